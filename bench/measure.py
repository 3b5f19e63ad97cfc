"""The two measurements: request cost and audit write overhead.

Both interleave the variants they compare (round-robin, with the order rotated every round), so a
slow phase of the machine (a WAL checkpoint, a noisy neighbour, the CPU clocking down) hits every
variant alike instead of skewing one of them. Ratios are always taken against a baseline measured
in the same process, in the same run.
"""

import gc
import itertools
import statistics
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager, suppress


def postgres_reachable(server: str, *, timeout: int = 2) -> bool:
    """Does a PostgreSQL server answer at ``server`` (a URL without database name)?"""
    try:
        import psycopg

        with psycopg.connect(f"{server}/postgres", connect_timeout=timeout):
            return True
    except Exception:  # any failure means: not usable
        return False


def instance_environment(tmp, **settings: str) -> dict[str, str]:
    """The environment of a throwaway instance in ``tmp`` for a benchmark's child processes
    (embedded profile, SQLite file, local storage, locmem cache and mail), plus ``settings``;
    values that could leak in from the caller's shell are dropped."""
    import os
    from pathlib import Path

    tmp = Path(tmp)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "DATABASE_URL", "DENTALBRIDGE_", "DJANGO_", "CACHE_URL"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DENTALBRIDGE_PROFILE": "embedded",
            "DENTALBRIDGE_DATA_DIR": str(tmp / "data"),
            "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
            "CACHE_URL": "locmem://",
            "STORAGE_BACKEND": "local",
            "MEDIA_ROOT": str(tmp / "media"),
            "STATIC_ROOT": str(tmp / "static"),
            "EMAIL_URL": "locmem://",
            "DJANGO_DEBUG": "false",
            "ALLOWED_HOSTS": "testserver",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **settings,
        }
    )
    return env


def command_line(main: Callable[[bool], dict], doc: str, *, quick: str) -> None:
    """``python bench/<name>.py [--quick] [--json]`` of a benchmark whose ``main(quick)`` prints
    its report and returns its result; ``--json`` prints the result as JSON too. ``quick`` says
    what ``--quick`` measures instead."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument("--json", action="store_true", help="also print the result as JSON")
    options = parser.parse_args()
    outcome = main(options.quick)
    if options.json:
        print(json.dumps(outcome, indent=2))


def run_child(command: list[str], *, cwd, env: dict) -> int:
    """Run a benchmark's child process, its output going straight to ours; on Ctrl-C (which
    reaches the child too) or SIGTERM, give it time to clean up (servers, files, databases)."""
    import subprocess

    process = subprocess.Popen(command, cwd=cwd, env=env)  # noqa: S603 — our own scripts
    try:
        return process.wait()
    except BaseException as interrupted:
        if not isinstance(interrupted, KeyboardInterrupt):
            process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        raise


def process_tree(pid: int) -> list[int]:
    """``pid``'s descendants, found through /proc (also those in sessions of their own, as the
    upload benchmark's granian servers are), children before grandchildren."""
    import os
    from pathlib import Path

    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(0), []):
            found.append(child)
            queue.append(child)
    return found


def stop_process_tree(process, *, grace: float = 30) -> None:
    """Stop a command started with ``start_new_session=True`` and everything it started: SIGTERM
    to its process group and to every descendant (so the benchmarks' ``finally`` blocks stop their
    servers and drop their databases), then, after ``grace`` seconds, SIGKILL to whatever is
    left. Nothing it started outlives it."""
    import os
    import signal
    import subprocess
    import time

    def signal_all(signum: int, pids) -> None:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signum)
        for pid in pids:
            with suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signum)

    tree = process_tree(process.pid)
    if process.poll() is None:
        signal_all(signal.SIGTERM, tree)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_running(pid) for pid in tree):
        time.sleep(0.1)
    signal_all(signal.SIGKILL, [pid for pid in tree if _running(pid)])
    process.wait()


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in {"Z", "X"}
    except OSError:
        return False


def run_bounded(command: list, *, cwd, env: dict, timeout: float):
    """``subprocess.run(command, capture_output=True, text=True)`` for the smoke tests, in a
    session of its own: on a timeout, a failure of the caller or Ctrl-C, the command and all it
    started (servers, workers, browsers) are stopped (:func:`stop_process_tree`) before the error
    goes on; ``subprocess.run`` would SIGKILL only the command, leaving its servers behind. A
    timeout raises ``subprocess.TimeoutExpired`` carrying the output so far."""
    import subprocess

    process = subprocess.Popen(  # noqa: S603 — our own scripts
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException as error:
        stop_process_tree(process)
        stdout, stderr = process.communicate()
        if isinstance(error, subprocess.TimeoutExpired):
            raise subprocess.TimeoutExpired(command, timeout, stdout, stderr) from None
        raise
    finally:
        if process.poll() is not None:  # its own processes may have outlived it
            stop_process_tree(process, grace=5)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


class BenchError(RuntimeError):
    """A measurement did not do what it claims (wrong status, broken audit chain)."""


def rotated(items: Sequence, shift: int) -> list:
    shift %= len(items)
    return [*items[shift:], *items[:shift]]


def percentile(values: Sequence[float], pct: int) -> float:
    """Linear-interpolated percentile (``statistics.quantiles``' inclusive method)."""
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def count_queries(action: Callable[[], object]) -> int:
    """How many SQL statements one call runs (measured apart from the timed loop, because
    capturing queries forces Django's debug cursor)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


# --- Request cost -------------------------------------------------------------------------------


def _clients(world):
    """A signed-in browser session, an anonymous one and an API client holding only a token."""
    from django.test import Client

    from dentalbridge.organizations.selectors import SESSION_KEY

    browser = Client()
    browser.force_login(world.user)
    session = browser.session
    session[SESSION_KEY] = str(world.membership.public_id)
    session.save()
    api = Client(headers={"Authorization": f"Bearer {world.token_secret}"})
    return browser, Client(), api


def _getter(endpoints: dict) -> Callable:
    """``get(name)``: request one endpoint once, insisting on 200 OK."""

    def get(name: str):
        client, url = endpoints[name]
        response = client.get(url)
        if response.status_code != 200:
            raise BenchError(f"GET {url} ({name}) answered {response.status_code}, not 200")
        return response

    return get


@contextmanager
def gc_pauses():
    """Collect the durations (ms) of Python's full (generation 2) garbage collections while the
    block runs: in a Django process they take tens of milliseconds each and fall on whichever
    request happens to allocate at that moment, so they, not the database, often set the p99."""
    pauses: list[float] = []
    started = [0.0]

    def callback(phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append((time.perf_counter() - started[0]) * 1000)

    gc.callbacks.append(callback)
    try:
        yield pauses
    finally:
        gc.callbacks.remove(callback)


def time_requests(endpoints: dict, *, requests: int, warmup: int) -> dict[str, list[float]]:
    """Latencies in ms of ``requests`` GETs per endpoint (``{name: (client, url)}``), after
    ``warmup`` untimed rounds; interleaved round-robin, the order rotated every round."""
    names = list(endpoints)
    get = _getter(endpoints)
    for _ in range(warmup):
        for name in names:
            get(name)

    timings: dict[str, list[int]] = {name: [] for name in names}
    gc.collect()
    for i in range(requests):
        for name in rotated(names, i):
            client, url = endpoints[name]
            start = time.perf_counter_ns()
            response = client.get(url)
            elapsed = time.perf_counter_ns() - start
            if response.status_code != 200:
                raise BenchError(f"GET {url} ({name}) answered {response.status_code}, not 200")
            timings[name].append(elapsed)
    return {name: [t / 1e6 for t in ns] for name, ns in timings.items()}


def summarize(timings: dict[str, list[float]], baseline: str = "bare") -> dict:
    """Median, p99, mean and minimum per endpoint, and the ratios to the baseline endpoint."""
    results = {
        name: {
            "requests": len(ms),
            "median_ms": statistics.median(ms),
            "p99_ms": percentile(ms, 99),
            "mean_ms": statistics.fmean(ms),
            "min_ms": min(ms),
        }
        for name, ms in timings.items()
    }
    base = results[baseline]
    for row in results.values():
        row["ratio_median"] = row["median_ms"] / base["median_ms"]
        row["ratio_p99"] = row["p99_ms"] / base["p99_ms"]
    return results


def measure_requests(world, *, requests: int, warmup: int) -> dict:
    """Median and p99 latency of the dashboard and the API member list, against the bare view.

    ``django.test.Client`` runs the real WSGI handler and middleware in this process, without a
    network or server in between; it also keeps the database connection open across requests
    (as ``CONN_MAX_AGE`` does in production), so connecting is not part of the numbers.
    """
    browser, anonymous, api = _clients(world)
    org_id = world.organization.public_id
    members_url = f"/api/v1/organizations/{org_id}/members/"
    endpoints = {
        # The baseline: no view work, full middleware, signed in like the dashboard.
        "bare": (browser, "/bench/bare/"),
        # For scale only: the same view without a session shows what signing in costs on every
        # request (session and user lookups, allauth's activity tracking, the 2FA check).
        "bare-anon": (anonymous, "/bench/bare/"),
        # "/" only redirects here: the page a signed-in user lands on.
        "dashboard": (browser, f"/organizations/{org_id}/"),
        "api-members": (api, members_url),
    }
    get = _getter(endpoints)
    listed = get("api-members").json()
    if listed["count"] != world.member_count:
        raise BenchError(f"member list has {listed['count']} rows, not {world.member_count}")

    results = summarize(time_requests(endpoints, requests=requests, warmup=warmup))
    for name, row in results.items():
        row["queries"] = count_queries(lambda name=name: get(name))

    # N+1 check: a list whose query count depends on the page size runs a query per row.
    small_page = count_queries(lambda: api.get(members_url + "?page_size=5"))
    results["api-members"]["queries_page_size_5"] = small_page
    results["api-members"]["rows"] = world.member_count
    return results


# --- Audit write overhead -----------------------------------------------------------------------


def _write_variants(world) -> dict[str, Callable[[], object]]:
    """Three ways to make the same change (a new city for the practice).

    - ``plain``: the bare UPDATE in a transaction.
    - ``audited``: the same UPDATE plus the hash-chained audit line, in the same transaction.
    - ``service``: ``organization_update``, i.e. access check, validation, save and audit.

    Each write uses a new value, otherwise the service would find nothing changed and skip the
    write. ``updated_at`` is set by hand so the UPDATE is the one the service's ``save`` runs.
    """
    from django.db import transaction
    from django.utils import timezone

    from dentalbridge.organizations.models import Organization
    from dentalbridge.organizations.services import organization_update
    from dentalbridge.privacy.audit import AuditAction, record

    organization, user, principal = world.organization, world.user, world.principal
    counter = itertools.count()

    def new_city() -> str:
        return f"Utrecht {next(counter)}"

    def plain():
        with transaction.atomic():
            Organization.objects.filter(pk=organization.pk).update(
                city=new_city(), updated_at=timezone.now()
            )

    def audited():
        with transaction.atomic():
            Organization.objects.filter(pk=organization.pk).update(
                city=new_city(), updated_at=timezone.now()
            )
            record(
                AuditAction.ORGANIZATION_UPDATED,
                actor=user,
                organization=organization,
                target=organization,
                data={"fields": "city"},
            )

    def service():
        organization_update(
            actor=principal, organization_id=organization.public_id, city=new_city()
        )

    return {"plain": plain, "audited": audited, "service": service}


def measure_writes(world, *, writes: int, round_size: int, warmup: int) -> dict:
    """Throughput of each write variant; the median over rounds of ``round_size`` writes."""
    variants = _write_variants(world)
    names = list(variants)
    for name in names:
        for _ in range(warmup):
            variants[name]()

    per_round: dict[str, list[float]] = {name: [] for name in names}
    gc.collect()
    for i in range(writes // round_size):
        for name in rotated(names, i):
            write = variants[name]
            start = time.perf_counter_ns()
            for _ in range(round_size):
                write()
            elapsed = time.perf_counter_ns() - start
            per_round[name].append(round_size / (elapsed / 1e9))

    results = {}
    for name in names:
        rates = per_round[name]
        results[name] = {
            "writes": len(rates) * round_size,
            "rounds": len(rates),
            "round_size": round_size,
            "median_writes_per_s": statistics.median(rates),
            "min_writes_per_s": min(rates),
            "max_writes_per_s": max(rates),
            "queries": count_queries(variants[name]),
        }
    plain = results["plain"]["median_writes_per_s"]
    for row in results.values():
        row["throughput_ratio"] = row["median_writes_per_s"] / plain
        row["cost_ratio"] = plain / row["median_writes_per_s"]
    return results


def verify_audit_chain() -> dict:
    """The benchmark appended thousands of events; the chain must still verify end to end."""
    from dentalbridge.privacy.audit import verify

    start = time.perf_counter()
    result = verify()
    seconds = time.perf_counter() - start
    if not result.ok:
        raise BenchError(f"audit chain broken after the run: {result.first_break}")
    return {"ok": True, "checked": result.checked, "seconds": seconds}
