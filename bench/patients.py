"""The patients scenario: the patient list, the record timeline and the audit pages of a practice
with 10,000 patients, 200,000 record items and 1,000,000 audit rows.

Request latency (median and p99) and queries per request of each page, against the bare view
measured in the same rounds; the API list's query count at two page sizes (it must not grow with
the page); and ``privacy.audit.verify()`` over the whole log. ``run.py --scenario patients``.
"""

import re
import statistics
import time

from bench import measure, seed
from bench.measure import BenchError

API_PAGE_SIZES = (50, 200)
DEEP_PAGE = 200
PAGE_SIZE = 25  # patients.views.PAGE_SIZE
_PATIENT_LINK = re.compile(r'href="/patients/([0-9a-f-]{36})/"')


def _closest(counts: dict, target: int):
    """The key whose count is closest to ``target`` (the first such, so the choice is stable)."""
    return min(counts, key=lambda key: (abs(counts[key] - target), str(key)))


def endpoints(world, seeded: seed.Seeded) -> tuple[dict, dict]:
    """``({name: (client, url)}, {name: what it shows})``, the baseline first."""
    browser, _anonymous, api = measure._clients(world)
    # Two patients of the same kind (the owner is not their attending dentist), so that the only
    # difference between their pages is the size of the record.
    records = {
        k: n for k, n in seeded.items_per_patient.items() if k not in seeded.attended_by_owner
    }
    typical = _closest(records, 20)
    largest = max(records, key=lambda key: records[key])
    # The audit trail of a patient with a typical number of events, and not the timeline patient,
    # whose trail grows by one event per timed view of the timeline.
    trails = {k: n for k, n in seeded.audit_per_patient.items() if k not in (typical, largest)}
    middle = sorted(trails.values())[len(trails) // 2]
    audited = _closest(trails, middle)
    org = world.organization.public_id
    table = {
        "bare": (browser, "/bench/bare/", "baseline: a view returning 'ok', signed in"),
        "list": (browser, "/patients/", "patient list, page 1 of 25"),
        "list-page200": (
            browser,
            f"/patients/?page={DEEP_PAGE}",
            f"patient list, page {DEEP_PAGE} (the last page if there are fewer)",
        ),
        "list-search": (
            browser,
            f"/patients/?q={seed.SEARCH_FRAGMENT}",
            f"patient list searched for {seed.SEARCH_FRAGMENT!r}, page 1",
        ),
        "timeline": (
            browser,
            f"/patients/{typical}/",
            f"patient page with its record timeline ({seeded.items_per_patient[typical]} items)",
        ),
        "timeline-max": (
            browser,
            f"/patients/{largest}/",
            f"the same for the largest record ({seeded.items_per_patient[largest]} items, "
            "unpaginated)",
        ),
        **{
            f"api-{size}": (
                api,
                f"/api/v1/patients/?page_size={size}",
                f"API patient list, page of {size}, bearer token",
            )
            for size in API_PAGE_SIZES
        },
        "org-audit": (
            browser,
            f"/organizations/{org}/audit/",
            f"the practice's audit log, page 1 of 50 ({seeded.practice_audit_rows} rows of it)",
        ),
        "patient-audit": (
            browser,
            f"/patients/{audited}/audit/",
            f"one patient's audit trail, page 1 of 50 ({trails[audited]} rows at the start)",
        ),
    }
    return (
        {name: (client, url) for name, (client, url, _what) in table.items()},
        {name: f"GET {url}: {what}" for name, (_client, url, what) in table.items()},
    )


def _slowest_queries(action, *, keep: int = 3) -> list[dict]:
    """The ``keep`` slowest SQL statements of one call, timed one by one (Django's own query log
    rounds to whole milliseconds), and on PostgreSQL the plan of each SELECT among them (only
    SELECTs: an EXPLAIN ANALYZE of the audit INSERT would append to the chain)."""
    from django.db import connection

    timed = []

    def timer(execute, sql, params, many, context):
        start = time.perf_counter_ns()
        try:
            return execute(sql, params, many, context)
        finally:
            timed.append((time.perf_counter_ns() - start, sql, params, many))

    with connection.execute_wrapper(timer):
        action()
    slowest = []
    for ns, sql, params, many in sorted(timed, key=lambda q: q[0], reverse=True)[:keep]:
        found = {"ms": ns / 1e6, "sql": sql, "params": [str(p) for p in (params or ())]}
        if connection.vendor == "postgresql" and sql.startswith("SELECT") and not many:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                found["plan"] = [line for (line,) in cursor.fetchall()]
        slowest.append(found)
    return slowest


def _patient_of(url: str) -> str:
    return url.split("/")[2]


def _checks(table: dict, results: dict, seeded: seed.Seeded) -> dict:
    """What the pages must show, so that a fast wrong answer cannot pass for a fast page; and the
    API list's query count, which must not depend on the page size."""
    get = measure._getter(table)
    api_rows = {}
    for size in API_PAGE_SIZES:
        body = get(f"api-{size}").json()
        api_rows[size] = len(body["results"])
        if api_rows[size] != min(size, body["count"]):
            raise BenchError(f"API page_size={size} returned {api_rows[size]} rows")
    queries = {size: results[f"api-{size}"]["queries"] for size in API_PAGE_SIZES}
    if len(set(queries.values())) != 1:
        raise BenchError(
            f"API patient list: the query count grows with the page size {queries} "
            "(a query per row: N+1)"
        )
    timeline = {name: results[name]["queries"] for name in ("timeline", "timeline-max")}
    if len(set(timeline.values())) != 1:
        raise BenchError(
            f"patient page: the query count grows with the record's size {timeline} "
            "(a query per record item: N+1)"
        )
    rows = {
        name: len(set(_PATIENT_LINK.findall(get(name).content.decode())))
        for name in ("list", "list-page200", "list-search")
    }
    if rows["list"] != min(PAGE_SIZE, len(seeded.patient_ids)) or not all(rows.values()):
        raise BenchError(f"patient list pages show too few patients: {rows}")
    return {
        "api_rows": api_rows,
        "api_queries": queries,
        "list_rows": rows,
        "timeline_items": {
            "timeline": seeded.items_per_patient[_patient_of(table["timeline"][1])],
            "timeline-max": seeded.items_per_patient[_patient_of(table["timeline-max"][1])],
        },
    }


def measure_pages(world, seeded: seed.Seeded, *, requests: int, warmup: int) -> dict:
    table, legend = endpoints(world, seeded)
    with measure.gc_pauses() as pauses:
        timings = measure.time_requests(table, requests=requests, warmup=warmup)
    results = measure.summarize(timings)
    get = measure._getter(table)
    for name, row in results.items():
        row["samples_ms"] = [round(ms, 3) for ms in timings[name]]  # in the order measured
        row["queries"] = measure.count_queries(lambda name=name: get(name))
        row["what"] = legend[name]
        row["slowest_queries"] = _slowest_queries(lambda name=name: get(name))
    gc_pauses = {
        "count": len(pauses),
        "median_ms": statistics.median(pauses) if pauses else 0.0,
        "max_ms": max(pauses, default=0.0),
        "seconds": sum(pauses) / 1000,
        "timed_seconds": sum(sum(ms) for ms in timings.values()) / 1000,
    }
    return {"requests": results, "checks": _checks(table, results, seeded), "gc": gc_pauses}


def verify_chain() -> dict:
    from dentalbridge.privacy.audit import verify

    started = time.perf_counter()
    result = verify()
    seconds = time.perf_counter() - started
    if not result.ok:
        raise BenchError(f"audit chain broken: {result.first_break}")
    return {"ok": True, "checked": result.checked, "seconds": seconds}


def run(world, *, quick: bool, requests: int, warmup: int) -> dict:
    scale = seed.QUICK_SCALE if quick else seed.FULL_SCALE
    seeded = seed.seed(world, scale)
    measured = measure_pages(world, seeded, requests=requests, warmup=warmup)
    return {
        "scale": {
            "patients": scale.patients,
            "record_items": scale.record_items,
            "audit_rows": scale.audit_rows,
            "other_organizations": scale.other_organizations,
        },
        "seeding": {"seconds": seeded.seconds, "rows": seeded.rows, "sizes": seeded.sizes},
        **measured,
        "audit_chain": verify_chain(),
    }
