"""Run the DentalBridge benchmarks: ``.venv/bin/python bench/run.py [--quick] [--scenario ...]
[--database ...] [--files ...]``.

Four scenarios. ``core`` measures request cost (dashboard and API member list against a bare view)
and audit write overhead (a write with its audit line against the same write without), on SQLite
and, when it is reachable, PostgreSQL. ``patients`` seeds a practice with 10,000 patients, 200,000
record items and 1,000,000 audit rows and measures the patient list, the record timeline, the API
patient list and the audit pages against the bare view, on PostgreSQL (or SQLite if asked or if
PostgreSQL is not reachable). ``orders`` seeds a lab with 10,000 open and 100,000 finished orders
from 50 practices and measures its inbox pages against the bare view, the time from a practice's
submit to the lab's inbox, and the notification e-mails of 1,000 submitted orders sent by a
``db_worker`` against the same worker running no-op tasks, with the same database choice as
``patients``. ``files`` runs the eight file benchmarks (``bench/upload_bench.py``,
``mesh_bench.py``, ``dicom_bench.py``, ``intake_bench.py``, ``viewer_bench.py``,
``export_bench.py``, ``range_bench.py``, ``retention_bench.py``; ``--files`` picks some), each with
its own baseline.
``all`` (the default) runs the four scenarios. Prints one table per scenario and database (the
file benchmarks print their own lines) and writes JSON to bench/results/latest.json. See
bench/README.md for what the numbers mean.

Django can be configured once per process, so this script is two things: the parent parses the
options and starts one child process per database (``--child``), and one per file benchmark; each
child sets up its own Django, database and data (a file benchmark: its own servers, browser and
temporary files), measures, and hands its results back as JSON.
"""

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path; the project root is what we import from.
if sys.path and Path(sys.path[0]).resolve() == REPO / "bench":
    sys.path[0] = str(REPO)
elif str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432"
DEFAULT_OUTPUT = REPO / "bench" / "results" / "latest.json"

# (requests per endpoint, request warm-up, writes per variant, writes per round, write warm-up)
FULL = {"requests": 400, "request_warmup": 20, "writes": 1000, "round_size": 50, "write_warmup": 20}
# Quick keeps several rounds so the median still has something to choose from.
QUICK = {"requests": 50, "request_warmup": 5, "writes": 100, "round_size": 25, "write_warmup": 5}
# The patients scenario: requests per endpoint and warm-up rounds (its endpoints are slower and
# more numerous, so fewer rounds keep a full run to a few minutes).
PATIENTS_FULL = {"requests": 200, "request_warmup": 10}
PATIENTS_QUICK = {"requests": 30, "request_warmup": 3}
# The orders scenario: requests per inbox page and warm-up rounds.
ORDERS_FULL = {"requests": 200, "request_warmup": 10}
ORDERS_QUICK = {"requests": 30, "request_warmup": 3}
# Its own PostgreSQL database, so no scenario drops another's data.
POSTGRES_ORDERS_DB_NAME = "dentalbridge_bench_orders"
SCENARIOS = ("core", "patients", "orders", "files")
# The files scenario: bench/<name>_bench.py each, in this order (retention, which needs
# PostgreSQL, last).
FILE_BENCHMARKS = ("upload", "mesh", "dicom", "intake", "viewer", "export", "range", "retention")


def postgres_reachable(server: str) -> bool:
    from bench.measure import postgres_reachable as reachable

    return reachable(server)


# --- Output ---------------------------------------------------------------------------------------


def report_lines(name: str, result: dict) -> list[str]:
    """The table for one database; the ratio lines are the headline."""
    sizes = result["sizes"]
    lines = [
        f"== {name}: {result['database']}",
        f"   {sizes['requests']} requests per endpoint, interleaved; {sizes['writes']} writes "
        f"per variant in rounds of {sizes['round_size']}; set-up {result['setup_seconds']:.1f} s",
    ]
    for endpoint, row in result["requests"].items():
        line = (
            f"request  {endpoint:<12} median {row['median_ms']:6.2f} ms  "
            f"p99 {row['p99_ms']:6.2f} ms  queries {row['queries']:>2}"
        )
        if endpoint == "bare":
            line += "  (baseline)"
        else:
            line += (
                f"  = {row['ratio_median']:.2f}x bare (median), {row['ratio_p99']:.2f}x bare (p99)"
            )
        lines.append(line)
    for variant, row in result["writes"].items():
        line = (
            f"write    {variant:<12} {row['median_writes_per_s']:7.0f} writes/s (median)  "
            f"queries {row['queries']:>2}"
        )
        if variant == "plain":
            line += "  (baseline)"
        else:
            line += (
                f"  = {row['throughput_ratio']:.2f}x plain throughput, "
                f"{row['cost_ratio']:.2f}x time per write"
            )
        lines.append(line)
    members = result["requests"]["api-members"]
    n_plus_one = members["queries"] != members["queries_page_size_5"]
    lines.append(
        f"{'WARNING' if n_plus_one else 'check':<8} api-members: {members['queries']} queries for "
        f"{members['rows']} rows, {members['queries_page_size_5']} for 5 rows "
        + ("(a query per row: N+1)" if n_plus_one else "(no N+1)")
    )
    chain = result["audit_chain"]
    lines.append(
        f"audit    chain verified: {chain['checked']} events, ok ({chain['seconds']:.2f} s)"
    )
    return lines


def patients_report_lines(name: str, result: dict) -> list[str]:
    """The patients scenario's table; the ratio lines and the two checks are the headline."""
    scale, sizes = result["scale"], result["sizes"]
    lines = [
        f"== patients on {name}: {result['database']}",
        f"   {scale['patients']} patients, {scale['record_items']} record items, "
        f"{scale['audit_rows']} audit rows; {sizes['requests']} requests per endpoint, "
        f"interleaved; set-up {result['setup_seconds']:.1f} s",
        f"   load average (1 min) {result['load_average_before']:.1f} before seeding, "
        f"{result['load_average_after']:.1f} at the end, on {os.cpu_count()} CPUs "
        "(above ~1 something else was running)",
    ]
    seeding = result["seeding"]
    for step, seconds in seeding["seconds"].items():
        rows = seeding["rows"].get(step)
        line = f"seed     {step:<15} {seconds:7.2f} s"
        if rows:
            line += f"  {rows:>8} rows  ({rows / seconds:,.0f} rows/s)"
        lines.append(line)
    for table, size in seeding.get("sizes", {}).items():
        lines.append(
            f"size     {table:<27} {size['rows']:>9,} rows: table {size['heap'] / 2**20:4.0f} MB, "
            f"{size['index_count']:>2} indexes {size['indexes'] / 2**20:4.0f} MB"
        )
    for endpoint, row in result["requests"].items():
        line = (
            f"request  {endpoint:<14} p50 {row['median_ms']:7.2f} ms  "
            f"p99 {row['p99_ms']:7.2f} ms  queries {row['queries']:>2}"
        )
        if endpoint == "bare":
            line += "  (baseline)"
        else:
            line += f"  = {row['ratio_median']:.2f}x bare (p50), {row['ratio_p99']:.2f}x bare (p99)"
        lines.append(line)
    checks, requests = result["checks"], result["requests"]
    api = ", ".join(
        f"{queries} for a page of {checks['api_rows'][size]}"
        for size, queries in checks["api_queries"].items()
    )
    lines.append(f"check    api-patients: queries {api} (constant in the page size)")
    items = checks["timeline_items"]
    lines.append(
        f"check    timeline: queries {requests['timeline']['queries']} for "
        f"{items['timeline']} record items, {requests['timeline-max']['queries']} for "
        f"{items['timeline-max']} (constant in the record's size)"
    )
    lines.append(
        f"check    patient list: queries {requests['list']['queries']} on page 1, "
        f"{requests['list-page200']['queries']} on page 200, "
        f"{requests['list-search']['queries']} searched "
        f"({checks['list_rows']['list-search']} matches on its first page)"
    )
    pauses = result["gc"]
    lines.append(
        f"gc       {pauses['count']} full garbage collections during the requests (warm-up "
        f"included), median {pauses['median_ms']:.0f} ms, max {pauses['max_ms']:.0f} ms: "
        f"{pauses['seconds']:.1f} s of {pauses['timed_seconds']:.1f} s timed"
    )
    chain = result["audit_chain"]
    lines.append(
        f"audit    chain verified: {chain['checked']} events, ok ({chain['seconds']:.2f} s)"
    )
    lines.append(
        "slowest SQL statement of one request (one sample, after the timed rounds; "
        "plans in the JSON):"
    )
    for endpoint, row in requests.items():
        if endpoint != "bare" and row.get("slowest_queries"):
            slowest = row["slowest_queries"][0]
            sql = " ".join(slowest["sql"].split())
            lines.append(f"sql      {endpoint:<14} {slowest['ms']:7.2f} ms  {sql[:110]}")
    return lines


def orders_report_lines(name: str, result: dict) -> list[str]:
    """The orders scenario's table: inbox ratios, submit to inbox, fan-out against no-op."""
    scale, sizes, seeding = result["scale"], result["sizes"], result["seeding"]
    lines = [
        f"== orders on {name}: {result['database']}",
        f"   one lab, {scale['practices']} practices, {scale['open_orders']} open and "
        f"{scale['finished_orders']} finished orders; {sizes['requests']} requests per page, "
        f"interleaved; set-up {result['setup_seconds']:.1f} s",
        f"   load average (1 min) {result['load_average_before']:.1f} before seeding, "
        f"{result['load_average_after']:.1f} at the end, on {os.cpu_count()} CPUs "
        "(above ~1 something else was running)",
    ]
    for step, seconds in seeding["seconds"].items():
        rows = seeding["rows"].get(step)
        line = f"seed     {step:<15} {seconds:7.2f} s"
        if rows:
            line += f"  {rows:>8} rows  ({rows / seconds:,.0f} rows/s)"
        lines.append(line)
    for table, size in seeding.get("sizes", {}).items():
        lines.append(
            f"size     {table:<27} {size['rows']:>9,} rows: table {size['heap'] / 2**20:4.0f} MB, "
            f"{size['index_count']:>2} indexes {size['indexes'] / 2**20:4.0f} MB"
        )
    requests = result["requests"]
    for endpoint, row in requests.items():
        line = (
            f"request  {endpoint:<14} p50 {row['median_ms']:7.2f} ms  "
            f"p99 {row['p99_ms']:7.2f} ms  queries {row['queries']:>2}"
        )
        if endpoint == "bare":
            line += "  (baseline)"
        else:
            line += f"  = {row['ratio_median']:.2f}x bare (p50), {row['ratio_p99']:.2f}x bare (p99)"
        lines.append(line)
    shown = ", ".join(
        f"{name} {row['rows']} of {row['orders']}"
        for name, row in requests.items()
        if name != "bare"
    )
    lines.append(f"check    rows on page 1 (of the orders seeded for the view): {shown}")
    checks = result["checks"]
    n_plus_one = checks["open_queries_page"] != checks["open_queries_one_row"]
    lines.append(
        f"{'WARNING' if n_plus_one else 'check':<8} open: {checks['open_queries_page']} queries "
        f"for a page of {requests['open']['rows']}, {checks['open_queries_one_row']} for one "
        "order (searched) " + ("(a query per row: N+1)" if n_plus_one else "(no N+1)")
    )
    submit = result["submit_to_inbox"]
    lines.append(
        f"submit   to inbox query   p50 {submit['inbox_query']['median_ms']:7.2f} ms  "
        f"p99 {submit['inbox_query']['p99_ms']:7.2f} ms  (submit alone p50 "
        f"{submit['submit']['median_ms']:.2f} ms, p99 {submit['submit']['p99_ms']:.2f} ms, "
        f"{submit['submit_queries']} queries; {submit['samples']} orders)"
    )
    lines.append(
        f"submit   to inbox page    p50 {submit['inbox_page']['median_ms']:7.2f} ms  "
        f"p99 {submit['inbox_page']['p99_ms']:7.2f} ms  (submit + GET /orders/?view=new&q=<ref>)"
    )
    fanout = result["fanout"]
    lines.append(
        f"fanout   {fanout['orders']} orders submitted in {fanout['submit_seconds']:.1f} s "
        f"({fanout['orders_per_s']:.0f} orders/s): {fanout['notifications_in_app']} in-app "
        f"notifications, {fanout['emails']} e-mails queued as send_email tasks"
    )
    rounds = [("noop", fanout["noop"][0]), ("send_email", fanout["send_email"])]
    rounds.append(("noop", fanout["noop"][1]))
    for label, row in rounds:
        line = (
            f"worker   {label:<10} {row['tasks']:>5} tasks {row['tasks_per_s']:7.1f} tasks/s "
            f"({row['ms_per_task']:.2f} ms each; worker process {row['wall_seconds']:.1f} s "
            "with start-up)"
        )
        if label == "send_email":
            line += f"  = {fanout['ratio']:.2f}x noop ({fanout['noop_tasks_per_s']:.1f} tasks/s)"
        lines.append(line)
    pauses = result["gc"]
    lines.append(
        f"gc       {pauses['count']} full garbage collections during the requests (warm-up "
        f"included), median {pauses['median_ms']:.0f} ms, max {pauses['max_ms']:.0f} ms: "
        f"{pauses['seconds']:.1f} s of {pauses['timed_seconds']:.1f} s timed"
    )
    chain = result["audit_chain"]
    lines.append(
        f"audit    chain verified: {chain['checked']} events, ok ({chain['seconds']:.2f} s)"
    )
    lines.append(
        "slowest SQL statement of one request (one sample, after the timed rounds; "
        "plans in the JSON):"
    )
    for endpoint, row in requests.items():
        if endpoint != "bare" and row.get("slowest_queries"):
            slowest = row["slowest_queries"][0]
            sql = " ".join(slowest["sql"].split())
            lines.append(f"sql      {endpoint:<14} {slowest['ms']:7.2f} ms  {sql[:110]}")
    return lines


# --- Child: one database ------------------------------------------------------------------------


def run_child(
    scenario: str, database: str, quick: bool, postgres_server: str, json_path: Path
) -> None:
    if scenario == "patients":
        run_patients_child(database, quick, postgres_server, json_path)
        return
    if scenario == "orders":
        run_orders_child(database, quick, postgres_server, json_path)
        return
    from bench import world as bench_world

    sizes = QUICK if quick else FULL
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"dentalbridge-bench-{database}-") as tmp:
        bench_world.configure_environment(database, Path(tmp), postgres_server)
        if database == "postgres":
            bench_world.postgres_create(postgres_server)
        try:
            bench_world.prepare_django()
            import django  # configured by prepare_django; the models are importable from here on

            from bench import measure

            world = bench_world.build_world()
            setup_seconds = time.perf_counter() - started
            result = {
                "django": django.get_version(),
                "database": bench_world.database_description(),
                "sizes": sizes,
                "setup_seconds": setup_seconds,
                "requests": measure.measure_requests(
                    world, requests=sizes["requests"], warmup=sizes["request_warmup"]
                ),
                "writes": measure.measure_writes(
                    world,
                    writes=sizes["writes"],
                    round_size=sizes["round_size"],
                    warmup=sizes["write_warmup"],
                ),
                "audit_chain": measure.verify_audit_chain(),
            }
            result["seconds"] = time.perf_counter() - started
        finally:
            if "django" in sys.modules:
                from django.db import connections

                connections.close_all()
            if database == "postgres":
                bench_world.postgres_drop(postgres_server)
    print("\n".join(report_lines(database, result)), flush=True)
    json_path.write_text(json.dumps(result, indent=2), encoding="utf-8")


def _run_scale_child(
    scenario: str,
    database: str,
    quick: bool,
    postgres_server: str,
    json_path: Path,
    *,
    sizes: dict,
    db_name: str,
    report,
    environment: dict[str, str] | None = None,
) -> None:
    """A scenario at scale (``bench/<scenario>.py``'s ``run``) in its own database: set up,
    measure, always drop the database, print the report and write the JSON."""
    import importlib

    from bench import world as bench_world

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"dentalbridge-bench-{scenario}-{database}-") as tmp:
        bench_world.configure_environment(database, Path(tmp), postgres_server, db_name)
        os.environ.update(environment or {})
        if database == "postgres":
            bench_world.postgres_create(postgres_server, db_name)
        try:
            bench_world.prepare_django()
            import django

            module = importlib.import_module(f"bench.{scenario}")
            world = bench_world.build_world()
            setup_seconds = time.perf_counter() - started
            result = {
                "django": django.get_version(),
                "database": bench_world.database_description(),
                "sizes": sizes,
                "setup_seconds": setup_seconds,
                "load_average_before": os.getloadavg()[0],
                **module.run(
                    world,
                    quick=quick,
                    requests=sizes["requests"],
                    warmup=sizes["request_warmup"],
                ),
            }
            result["load_average_after"] = os.getloadavg()[0]
            result["seconds"] = time.perf_counter() - started
        finally:
            if "django" in sys.modules:
                from django.db import connections

                connections.close_all()
            if database == "postgres":
                bench_world.postgres_drop(postgres_server, db_name)
    print("\n".join(report(database, result)), flush=True)
    json_path.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")


def run_patients_child(database: str, quick: bool, postgres_server: str, json_path: Path) -> None:
    """The patients scenario in its own database (``dentalbridge_bench_patients`` on PostgreSQL)."""
    from bench import world as bench_world

    _run_scale_child(
        "patients",
        database,
        quick,
        postgres_server,
        json_path,
        sizes=PATIENTS_QUICK if quick else PATIENTS_FULL,
        db_name=bench_world.POSTGRES_PATIENTS_DB_NAME,
        report=patients_report_lines,
    )


def run_orders_child(database: str, quick: bool, postgres_server: str, json_path: Path) -> None:
    """The orders scenario in its own database (``dentalbridge_bench_orders`` on PostgreSQL),
    with the production task backend: submitting queues e-mails in the database for a worker
    (the db_worker subprocesses inherit it)."""
    _run_scale_child(
        "orders",
        database,
        quick,
        postgres_server,
        json_path,
        sizes=ORDERS_QUICK if quick else ORDERS_FULL,
        db_name=POSTGRES_ORDERS_DB_NAME,
        report=orders_report_lines,
        environment={"TASKS_BACKEND": "database"},
    )


# --- Child: one file benchmark -------------------------------------------------------------------


def _terminate(signum, frame):
    raise SystemExit(128 + signum)  # so the benchmark's ``finally`` blocks stop its servers


def run_file_child(name: str, quick: bool, json_path: Path) -> None:
    """``main`` of ``bench/<name>_bench.py`` in this process (it sets up and removes its own
    Django, servers, browser and files); its lines are printed as it goes, its result and the load
    average around it go to ``json_path``."""
    import importlib

    signal.signal(signal.SIGTERM, _terminate)
    module = importlib.import_module(f"bench.{name}_bench")
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    result = module.main(quick, []) if name == "upload" else module.main(quick)
    if name == "dicom":  # its main returns the figures; its command line prints them
        print(module.report_line(result), flush=True)
    seconds = time.perf_counter() - started
    # The upload benchmark measures its own (after its imports): keep those.
    result.setdefault("load_average_before", load_before)
    result.setdefault("load_average_after", os.getloadavg()[0])
    result.setdefault("seconds", seconds)
    print(
        f"files    {name}: {seconds:.0f} s, load average (1 min) "
        f"{result['load_average_before']:.1f} before, {result['load_average_after']:.1f} at the "
        f"end, on {os.cpu_count()} CPUs (above ~1 something else was running)",
        flush=True,
    )
    json_path.write_text(json.dumps(result, indent=2), encoding="utf-8")


# --- Parent: pick databases, start a child per database, collect ------------------------------


def plan(args, reachable: bool) -> list[tuple[str, str]]:
    """(scenario, database) pairs to run, in order (the files scenario is not among them).

    ``core`` runs where ``--database`` says, by default on SQLite and on PostgreSQL if reachable.
    ``patients`` and ``orders`` run where ``--database`` says, by default on PostgreSQL alone
    (they are PostgreSQL questions, and on both databases a full run would take twice as long),
    or on SQLite when PostgreSQL is not reachable.
    """
    scenarios = SCENARIOS if args.scenario == "all" else (args.scenario,)
    runs = []
    for scenario in scenarios:
        if scenario == "files":  # no database: each file benchmark sets up its own
            continue
        choice = args.database
        if choice is None and scenario == "core":
            choice = "both" if reachable else "sqlite"
        elif choice is None:
            choice = "postgres" if reachable else "sqlite"
        databases = ["sqlite", "postgres"] if choice == "both" else [choice]
        runs.extend((scenario, database) for database in databases)
    return runs


def run_file_command(command: list[str]) -> int:
    """Run a file benchmark's child (see ``measure.run_child``)."""
    from bench.measure import run_child

    return run_child(command, cwd=REPO, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def run_parent(args) -> int:
    files = list(args.files) if args.scenario in ("files", "all") else []
    runs: list[tuple[str, str]] = []
    server = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES).rstrip("/")
    if args.scenario != "files":
        reachable = postgres_reachable(server)
        if args.database is None and not reachable:
            print(f"PostgreSQL is not reachable at {server}: SQLite only.", flush=True)
        elif args.database in ("postgres", "both") and not reachable:
            print(f"PostgreSQL is not reachable at {server} (set BENCH_POSTGRES_URL).", flush=True)
            return 2
        runs = plan(args, reachable)
    # Pages link the built front-end through the static manifest; without it they answer 500.
    # The viewer benchmark serves it too.
    if (runs or "viewer" in files) and not (REPO / "frontend" / "dist" / "app.css").exists():
        print("frontend/dist is missing: run `make frontend` first.", flush=True)
        return 2
    started = time.perf_counter()
    results: dict[str, dict] = {scenario: {} for scenario, _database in runs}
    if files:
        results["files"] = {}
    with tempfile.TemporaryDirectory(prefix="dentalbridge-bench-") as tmp:
        for scenario, database in runs:
            if scenario != "core" and (scenario, database) != runs[0]:
                print(flush=True)  # the core tables keep their layout; a gap before the next
            json_path = Path(tmp) / f"{scenario}-{database}.json"
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--scenario",
                scenario,
                "--database",
                database,
                "--child",
                str(json_path),
            ]
            if args.quick:
                command.append("--quick")
            completed = subprocess.run(  # noqa: S603 — our own script, fixed arguments
                command, cwd=REPO, env={**os.environ, "BENCH_POSTGRES_URL": server}, check=False
            )
            if completed.returncode != 0:
                label = database if scenario == "core" else f"{scenario} {database}"
                print(f"The {label} benchmark failed (exit {completed.returncode}).")
                return completed.returncode
            results[scenario][database] = json.loads(json_path.read_text(encoding="utf-8"))

        if files:  # a file benchmark's child is stopped, not orphaned, when we are
            signal.signal(signal.SIGTERM, _terminate)
        for name in files:
            if runs or name != files[0]:
                print(flush=True)
            json_path = Path(tmp) / f"files-{name}.json"
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--scenario",
                "files",
                "--files",
                name,
                "--child",
                str(json_path),
            ]
            if args.quick:
                command.append("--quick")
            returncode = run_file_command(command)
            if returncode != 0:
                print(f"The {name} benchmark failed (exit {returncode}).")
                return returncode
            results["files"][name] = json.loads(json_path.read_text(encoding="utf-8"))

    if runs:
        django_version = next(iter(next(iter(results.values())).values()))["django"]
    else:
        from importlib.metadata import version

        django_version = version("django")
    output = {
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "quick": args.quick,
        "python": platform.python_version(),
        # The parent never imports Django; the children report the version they ran.
        "django": django_version,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
        "seconds": time.perf_counter() - started,
        "scenarios": list(results),
        # The core scenario, per database (the key predates the patients scenario).
        "databases": results.get("core", {}),
        "patients": results.get("patients", {}),
        "orders": results.get("orders", {}),
        # The file benchmarks, by name: what each one's main() returned.
        "files": results.get("files", {}),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(output, indent=2) + "\n", encoding="utf-8")
    print(f"\nResults: {args.output}  ({output['seconds']:.0f} s in all)")
    return 0


def file_benchmark_names(value: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    unknown = sorted(set(names) - set(FILE_BENCHMARKS))
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"{', '.join(unknown) or 'none'}: choose from {', '.join(FILE_BENCHMARKS)}"
        )
    return tuple(name for name in FILE_BENCHMARKS if name in names)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="few iterations: checks that it works, not timing"
    )
    parser.add_argument(
        "--scenario",
        choices=[*SCENARIOS, "all"],
        default="all",
        help="core: request cost and audit write overhead; patients: a practice at scale; "
        "orders: a lab's inbox, submit to inbox and notification fan-out; "
        "files: the upload, mesh, DICOM, intake, viewer, export, range and retention benchmarks "
        "(default: all)",
    )
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgres", "both"],
        help="default: core on both if PostgreSQL is reachable (BENCH_POSTGRES_URL), else "
        "sqlite; patients and orders on postgres if reachable, else sqlite (files: no database "
        "of ours)",
    )
    parser.add_argument(
        "--files",
        type=file_benchmark_names,
        default=FILE_BENCHMARKS,
        help=f"the file benchmarks to run, comma-separated (default: {','.join(FILE_BENCHMARKS)})",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"JSON results (default: {DEFAULT_OUTPUT})",
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child and args.scenario == "files":
        (name,) = args.files
        run_file_child(name, args.quick, args.child)
        return 0
    if args.child:
        server = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES).rstrip("/")
        run_child(args.scenario, args.database, args.quick, server, args.child)
        return 0
    return run_parent(args)


if __name__ == "__main__":
    sys.exit(main())
