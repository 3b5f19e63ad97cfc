"""The retention engine at scale: ``.venv/bin/python bench/retention_bench.py [--quick]
[--json PATH] [--database postgres|sqlite] [--rounds N]``.

``privacy.retention.run()`` (the nightly job) over 1,000,000 expired rows on PostgreSQL: 600,000
sent e-mails (``messaging.OutgoingEmail``, status sent, failed or withdrawn, written 100 to 300
days ago) and 400,000 read notifications (``messaging.Notification``, read 100 to 300 days ago, of
20 people in 5 organizations), next to 100,000 rows that must stay: 40,000 e-mails sent in the
last 80 days, 10,000 old e-mails still pending, 30,000 unread notifications and 20,000 read in the
last 80 days. ``--quick``: 20,000 expired rows and 2,000 kept, one round.

Three figures, medians over the rounds (full: 3, ``--quick``: 1):

- **Dry run.** ``run(dry_run=True)``: what the DPO's preview costs (it counts every rule's rows).
  Timed after every seeding, so before each deletion below (two samples per round).
- **Engine.** ``run()``: wall time and rows deleted per second, with the engine's own batches of
  ``retention.BATCH`` primary keys in short transactions. Every SQL statement is timed on its way
  (``connection.execute_wrapper``, microseconds of overhead per statement), so the report says
  where the time goes: finding the next batch's keys, deleting them, the rest.
- **Baseline.** The plainest deletion of the same rows: one transaction, two raw statements,
  ``DELETE FROM messaging_outgoingemail WHERE status <> 'pending' AND created_at < %s`` and
  ``DELETE FROM messaging_notification WHERE read_at < %s``, with the cut-off the register gives
  (``purposes.retention_period("communications")``). Ratio = engine time / baseline time.

Each deletion starts from the same data: both tables are emptied (``TRUNCATE ... RESTART
IDENTITY``) and seeded again with the same rows (one seeded ``random.Random``, the same clock),
by ``COPY`` with the secondary indexes built after (``bench.seed._indexes_deferred``), then
``VACUUM (ANALYZE)`` and a ``CHECKPOINT``, as autovacuum would have left a table this size. The
order of engine and baseline alternates between rounds. After each deletion the expired rows must
be gone and every kept row still there, and the engine's ``RetentionRun`` report must say so too,
or the run fails. The e-mails' subject and bodies are the project's own templates
(``messaging/email/order.*``), rendered once per organization and variant.

The run is a throwaway instance in a child process (Django reads its settings once per process):
embedded profile, data dir in a temporary directory, and on PostgreSQL the database
``dentalbridge_bench_retention`` at ``BENCH_POSTGRES_URL`` (default
``postgres://postgres@127.0.0.1:5432``), created for the run (a leftover one is dropped first) and
dropped after, also on failure and on Ctrl-C. ``--database sqlite`` runs the same on a SQLite file.
A full run takes about 8 minutes on a busy 2-core machine (5 of them seeding), ``--quick`` 10 s.

Printed: the seeding steps, the three medians (``dry-run``, ``delete baseline``, ``delete
engine`` with its ratio), the engine's statements by table and kind, the plan of its batch query
per table (PostgreSQL), and the checks. ``main()`` returns every sample, the statements of every
engine run, the plans and the summary; ``--json PATH`` writes them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path; the project root is what we import from.
if sys.path and Path(sys.path[0]).resolve() == REPO / "bench":
    sys.path[0] = str(REPO)
elif str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import measure as bench_measure  # noqa: E402 — after the path fix
from bench.measure import BenchError  # noqa: E402 — after the path fix

DB_NAME = "dentalbridge_bench_retention"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432"
SEED = 20240501

FULL = {
    "expired_emails": 600_000,
    "expired_notifications": 400_000,
    "recent_emails": 40_000,  # sent in the last 80 days
    "pending_emails": 10_000,  # written 100-300 days ago, never sent
    "unread_notifications": 30_000,
    "recent_notifications": 20_000,  # read in the last 80 days
    "rounds": 3,
}
QUICK = {
    "expired_emails": 12_000,
    "expired_notifications": 8_000,
    "recent_emails": 800,
    "pending_emails": 200,
    "unread_notifications": 600,
    "recent_notifications": 400,
    "rounds": 1,
}
ORGANIZATIONS, PEOPLE_PER_ORGANIZATION, BODY_VARIANTS = 5, 4, 16
EXPIRED_AGE_DAYS = (100, 300)  # well before the 90-day cut-off: no row sits on the boundary
RECENT_AGE_DAYS = (0.01, 80)

EMAIL_TABLE, NOTIFICATION_TABLE = "messaging_outgoingemail", "messaging_notification"
# The columns seeded (all but the primary key), in the order the row generators yield them.
EMAIL_COLUMNS = (
    "public_id", "created_at", "updated_at", "to", "subject", "text", "html", "status", "attempts",
    "next_attempt_at", "last_error", "sent_at", "user_id", "purpose", "headers",
    "erase_after_sending",
)  # fmt: skip
NOTIFICATION_COLUMNS = (
    "public_id", "created_at", "updated_at", "recipient_id", "organization_id", "event", "text",
    "link", "read_at",
)  # fmt: skip
BASELINE_SQL = (
    "DELETE FROM messaging_outgoingemail WHERE status <> 'pending' AND created_at < %s",
    "DELETE FROM messaging_notification WHERE read_at < %s",
)
EVENTS = ("order_submitted", "order_accepted", "design_ready", "order_shipped", "order_message")
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def expected_counts(plan: dict) -> dict:
    emails = plan["expired_emails"] + plan["recent_emails"] + plan["pending_emails"]
    notifications = (
        plan["expired_notifications"] + plan["unread_notifications"] + plan["recent_notifications"]
    )
    return {
        "emails": emails,
        "emails_expired": plan["expired_emails"],
        "notifications": notifications,
        "notifications_expired": plan["expired_notifications"],
        "expired": plan["expired_emails"] + plan["expired_notifications"],
        "kept": emails + notifications - plan["expired_emails"] - plan["expired_notifications"],
    }


# --- PostgreSQL server ---------------------------------------------------------------------------


def postgres_reachable(server: str) -> bool:
    return bench_measure.postgres_reachable(server, timeout=3)


def drop_database(server: str) -> None:
    """Drop the bench database if it is there, even with a connection left open (``FORCE``,
    PostgreSQL 13+; older servers without it)."""
    import psycopg
    from psycopg import sql

    name = sql.Identifier(DB_NAME)
    with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=5) as db:
        try:
            db.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        except psycopg.errors.SyntaxError:
            db.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))


# --- Seeding (child process, Django set up) ------------------------------------------------------


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _reference(rng: random.Random) -> str:
    body = "".join(rng.choices(_REFERENCE_ALPHABET, k=8))
    return f"O-{body[:4]}-{body[4:]}"


def create_people() -> list[tuple]:
    """5 practices with 4 people each: [(user pk, e-mail, organization pk, organization name)]."""
    from dentalbridge.accounts.models import User
    from dentalbridge.organizations.models import Organization, OrganizationKind

    people = []
    for o in range(ORGANIZATIONS):
        organization = Organization.objects.create(
            kind=OrganizationKind.PRACTICE, name=f"Practice {o:02d}", country="NL", city="Utrecht"
        )
        for p in range(PEOPLE_PER_ORGANIZATION):
            email = f"person{p}@practice{o:02d}.bench.example"
            user = User.objects.create_user(email, None, full_name=f"Person {o:02d}-{p}")
            people.append((user.pk, email, organization.pk, organization.name))
    return people


def render_bodies(people: list[tuple]) -> dict:
    """{organization pk: [(subject, text, html)]}: the order e-mail as ``messaging.notifications``
    renders it, a few references per organization."""
    from django.conf import settings
    from django.template.loader import render_to_string

    rng = random.Random(SEED)
    bodies: dict = {}
    for _user, _email, organization_pk, name in people:
        if organization_pk in bodies:
            continue
        bodies[organization_pk] = []
        for _ in range(BODY_VARIANTS):
            reference = _reference(rng)
            context = {
                "text": f"Order {reference} (P-{rng.randrange(10**5):05d}) is shipped.",
                "url": f"{settings.SITE_URL.rstrip('/')}/orders/{_uuid(rng)}/",
                "organization": name,
                "reference": reference,
            }
            subject = " ".join(
                render_to_string("messaging/email/order_subject.txt", context).split()
            )
            bodies[organization_pk].append(
                (
                    subject,
                    render_to_string("messaging/email/order.txt", context),
                    render_to_string("messaging/email/order.html", context),
                )
            )
    return bodies


def _timeline(rng: random.Random, groups: list[tuple[str, int, tuple]]) -> list[tuple]:
    """[(age in days, kind)] for every row, oldest first: rows are written as time goes by, so
    the table's physical order follows ``created_at`` as in production."""
    rows = [(rng.uniform(*ages), kind) for kind, count, ages in groups for _ in range(count)]
    rows.sort(reverse=True)
    return rows


def email_rows(rng: random.Random, plan: dict, people: list, bodies: dict, now: datetime):
    timeline = _timeline(
        rng,
        [
            ("expired", plan["expired_emails"], EXPIRED_AGE_DAYS),
            ("pending", plan["pending_emails"], EXPIRED_AGE_DAYS),
            ("recent", plan["recent_emails"], RECENT_AGE_DAYS),
        ],
    )
    random_, choice = rng.random, rng.choice
    for age, kind in timeline:
        created = now - timedelta(days=age)
        _user, to, organization_pk, _name = choice(people)
        subject, text, html = choice(bodies[organization_pk])
        attempts, next_attempt, error, sent = 1, None, "", None
        if kind == "pending":
            status, attempts = "pending", 0
        elif kind == "expired" and random_() >= 0.94:
            if random_() < 0.83:
                status, attempts, error = "failed", 5, "550 5.1.1 mailbox unavailable"
            else:
                status, attempts = "withdrawn", 0
        else:
            status, sent = "sent", created + timedelta(seconds=20)
        yield (
            _uuid(rng), created, sent or created, to, subject, text, html, status, attempts,
            next_attempt, error, sent, None, "", "{}", False,
        )  # fmt: skip


def notification_rows(rng: random.Random, plan: dict, people: list, now: datetime):
    timeline = _timeline(
        rng,
        [
            ("expired", plan["expired_notifications"], EXPIRED_AGE_DAYS),
            ("unread", plan["unread_notifications"], (0.01, EXPIRED_AGE_DAYS[1])),
            ("recent", plan["recent_notifications"], RECENT_AGE_DAYS),
        ],
    )
    choice, uniform = rng.choice, rng.uniform
    for age, kind in timeline:
        user, _email, organization, _name = choice(people)
        if kind == "unread":
            created, read = now - timedelta(days=age), None
        else:  # age is when it was read; written up to two days before
            read = now - timedelta(days=age)
            created = read - timedelta(days=uniform(0, 2))
        text = f"Order {_reference(rng)} (P-{rng.randrange(10**5):05d}) is shipped."
        yield (
            _uuid(rng), created, read or created, user, organization, choice(EVENTS), text,
            f"/orders/{_uuid(rng)}/", read,
        )  # fmt: skip


def _check_columns(model, columns: tuple) -> None:
    """The seeded columns must be the model's, or the benchmark seeds a table that no longer is."""
    have = {f.column for f in model._meta.concrete_fields} - {model._meta.pk.column}
    if have != set(columns):
        raise BenchError(
            f"{model._meta.db_table} has columns {sorted(have)}, the benchmark seeds "
            f"{sorted(columns)}: update bench/retention_bench.py"
        )


def _write(model, columns: tuple, rows) -> int:
    """PostgreSQL: COPY, secondary indexes built after. SQLite: executemany, 5,000 at a time."""
    from django.db import connection, transaction

    table = model._meta.db_table
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    written = 0
    if connection.vendor == "postgresql":
        from bench.seed import _indexes_deferred

        statement = f"COPY {table} ({quoted}) FROM STDIN"
        with transaction.atomic(), _indexes_deferred(table), connection.cursor() as cursor:
            # Foreign keys checked row by row, not queued to the commit: PostgreSQL builds no
            # index on a table with checks pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
        return written
    # Dates and UUIDs as the backend stores them; the rest (JSON already text) as they are.
    by_column = {field.column: field for field in model._meta.concrete_fields}
    prepare = [
        (i, by_column[column])
        for i, column in enumerate(columns)
        if by_column[column].get_internal_type() in ("DateTimeField", "UUIDField")
    ]
    values = ", ".join(["%s"] * len(columns))
    statement = f"INSERT INTO {table} ({quoted}) VALUES ({values})"  # noqa: S608 — our names
    batch: list = []
    with transaction.atomic(), connection.cursor() as cursor:
        for row in rows:
            row = list(row)
            for i, field in prepare:
                row[i] = field.get_db_prep_value(row[i], connection)
            batch.append(row)
            if len(batch) == 5000:
                cursor.executemany(statement, batch)
                written += len(batch)
                batch = []
        if batch:
            cursor.executemany(statement, batch)
            written += len(batch)
    return written


def seed(plan: dict, people: list, bodies: dict, now: datetime) -> dict:
    """Empty both tables and write the same rows again; the seconds of each step."""
    from django.db import connection

    from dentalbridge.messaging.models import Notification, OutgoingEmail

    seconds = {}
    started = time.perf_counter()
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute(f"TRUNCATE {EMAIL_TABLE}, {NOTIFICATION_TABLE} RESTART IDENTITY")
        else:
            cursor.execute("DELETE FROM messaging_outgoingemail")
            cursor.execute("DELETE FROM messaging_notification")
    seconds["empty"] = time.perf_counter() - started
    rng = random.Random(SEED)
    started = time.perf_counter()
    rows = {
        "e-mails": _write(OutgoingEmail, EMAIL_COLUMNS, email_rows(rng, plan, people, bodies, now))
    }
    seconds["e-mails"] = time.perf_counter() - started
    started = time.perf_counter()
    rows["notifications"] = _write(
        Notification, NOTIFICATION_COLUMNS, notification_rows(rng, plan, people, now)
    )
    seconds["notifications"] = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if postgres:
            # Outside a transaction (Django autocommits): visibility map and statistics as
            # autovacuum leaves them, and the load's dirty pages written before the timing.
            cursor.execute(f"VACUUM (ANALYZE) {EMAIL_TABLE}, {NOTIFICATION_TABLE}")
            try:
                cursor.execute("CHECKPOINT")
            except Exception as exc:  # needs superuser or pg_checkpoint; optional, and said so
                print(f"(no CHECKPOINT after seeding: {exc})", flush=True)
        else:
            cursor.execute("ANALYZE")
    seconds["vacuum analyze" if postgres else "analyze"] = time.perf_counter() - started
    return {"seconds": seconds, "rows": rows}


# --- Measuring (child process) -------------------------------------------------------------------


def census(cutoff: datetime) -> dict:
    """Rows per table, and those past the cut-off by the rule's own definition."""
    from django.db import connection

    at = connection.ops.adapt_datetimefield_value(cutoff)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status <> 'pending' AND created_at < %s "
            "THEN 1 ELSE 0 END), 0) FROM messaging_outgoingemail",
            [at],
        )
        emails, emails_expired = cursor.fetchone()
        cursor.execute(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN read_at < %s THEN 1 ELSE 0 END), 0) "
            "FROM messaging_notification",
            [at],
        )
        notifications, notifications_expired = cursor.fetchone()
    return {
        "emails": int(emails),
        "emails_expired": int(emails_expired),
        "notifications": int(notifications),
        "notifications_expired": int(notifications_expired),
    }


def check_census(found: dict, expected: dict, when: str) -> None:
    wrong = {key: (found[key], expected[key]) for key in found if found[key] != expected[key]}
    if wrong:
        shown = ", ".join(
            f"{key} {got:,} (expected {want:,})" for key, (got, want) in wrong.items()
        )
        raise BenchError(f"{when}: {shown}")


def after_deletion(expected: dict) -> dict:
    return {
        "emails": expected["emails"] - expected["emails_expired"],
        "emails_expired": 0,
        "notifications": expected["notifications"] - expected["notifications_expired"],
        "notifications_expired": 0,
    }


def check_report(run, expected: dict) -> dict:
    """The engine's own report: our rows found (and deleted, unless a dry run), nothing else."""
    wanted = {
        "sent e-mails": expected["emails_expired"],
        "read notifications": expected["notifications_expired"],
    }
    found = deleted = 0
    for entry in run.report:
        if entry["found"] is None:  # rules run elsewhere
            continue
        want = wanted.get(entry["what"], 0)
        want_deleted = 0 if run.dry_run else want
        if entry["found"] != want or entry["deleted"] != want_deleted:
            raise BenchError(
                f"retention run{' (dry)' if run.dry_run else ''}: {entry['what']} found "
                f"{entry['found']}, deleted {entry['deleted']}; expected {want} and {want_deleted}"
            )
        found += entry["found"]
        deleted += entry["deleted"]
    return {"found": found, "deleted": deleted}


@contextmanager
def statements():
    """[(sql, seconds)] of every statement run in the block."""
    from django.db import connection

    log: list = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            log.append((sql, time.perf_counter() - started))

    with connection.execute_wrapper(timed):
        yield log


def statement_summary(log: list, wall: float) -> dict:
    """Per table and kind (find: the next batch's keys; delete; count; other): how many
    statements, their seconds, and the first, median and slowest of them."""
    groups: dict = {}
    for sql, seconds in log:
        text = sql.lstrip().upper()
        if EMAIL_TABLE.upper() in text:
            table = "e-mails"
        elif NOTIFICATION_TABLE.upper() in text:
            table = "notifications"
        else:
            table = "other"
        if text.startswith("DELETE"):
            kind = "delete"
        elif text.startswith("SELECT") and "COUNT(" in text:
            kind = "count"
        elif text.startswith("SELECT") and " LIMIT " in text:
            kind = "find"
        else:
            kind = "other"
        groups.setdefault(f"{table} {kind}", []).append(seconds)
    summary = {
        name: {
            "statements": len(times),
            "seconds": sum(times),
            "first_ms": times[0] * 1000,
            "median_ms": statistics.median(times) * 1000,
            "last_ms": times[-1] * 1000,
            "max_ms": max(times) * 1000,
        }
        for name, times in groups.items()
    }
    summary["outside SQL"] = {"seconds": wall - sum(s for _sql, s in log)}
    return summary


def explain_plans() -> dict:
    """The plan of the engine's first batch query per table (one sample, not timed)."""
    from django.utils import timezone

    from dentalbridge.gdpr import retention
    from dentalbridge.privacy.principal import Purpose, SystemActor

    today = timezone.localdate()
    system = SystemActor(Purpose.RETENTION)
    plans = {}
    for what, rows in (
        ("sent e-mails", retention._emails(system, today)),
        ("read notifications", retention._notifications(system, today)),
    ):
        # The engine's batch query, as _delete_in_batches builds it (keyset on the primary key).
        batch = rows.order_by("pk").values_list("pk", flat=True)[: retention.BATCH]
        plans[what] = {"sql": str(batch.query), "plan": batch.explain()}
    return plans


def plan_outline(plan: str) -> str:
    """``Limit > Sort > Seq Scan on messaging_outgoingemail`` from a text plan."""
    nodes = []
    for line in plan.splitlines():
        node = line.strip().removeprefix("->").strip()
        if not node or ":" in node.split("(")[0]:  # details (Filter:, Sort Key:), not nodes
            continue
        nodes.append(re.sub(r"\s+\(cost=.*$", "", node))
    return " > ".join(nodes)


def timed_dry_run(expected: dict) -> dict:
    from dentalbridge.gdpr import retention

    started = time.perf_counter()
    done = retention.run(dry_run=True)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, **check_report(done, expected)}


def engine(expected: dict) -> dict:
    from dentalbridge.gdpr import retention

    with statements() as log:
        started = time.perf_counter()
        done = retention.run()
        seconds = time.perf_counter() - started
    report = check_report(done, expected)
    if report["deleted"] != expected["expired"]:
        raise BenchError(f"the engine deleted {report['deleted']:,}, not {expected['expired']:,}")
    return {"seconds": seconds, **report, "statements": statement_summary(log, seconds)}


def baseline(cutoff: datetime, expected: dict) -> dict:
    from django.db import connection, transaction

    at = connection.ops.adapt_datetimefield_value(cutoff)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        deleted = 0
        for statement in BASELINE_SQL:
            cursor.execute(statement, [at])
            deleted += cursor.rowcount
    seconds = time.perf_counter() - started
    if deleted != expected["expired"]:
        raise BenchError(f"the baseline deleted {deleted:,}, not {expected['expired']:,}")
    return {"seconds": seconds, "deleted": deleted}


def measure(plan: dict, rounds: int) -> dict:
    import django
    from django.utils import timezone

    from bench.world import database_description
    from dentalbridge.gdpr import purposes, retention
    from dentalbridge.messaging.models import Notification, OutgoingEmail

    _check_columns(OutgoingEmail, EMAIL_COLUMNS)
    _check_columns(Notification, NOTIFICATION_COLUMNS)
    expected = expected_counts(plan)
    now = timezone.now()
    cutoff_day = purposes.retention_period("communications").before(timezone.localdate())
    cutoff = timezone.make_aware(datetime.combine(cutoff_day, datetime.min.time()))
    people = create_people()
    bodies = render_bodies(people)
    result: dict = {
        "django": django.get_version(),
        "database": database_description(),
        "plan": plan,
        "expected": expected,
        "batch": retention.BATCH,
        "cutoff": cutoff.isoformat(),
        "seeding": [],
        "dry_run": [],
        "engine": [],
        "baseline": [],
    }
    kept = after_deletion(expected)
    for number in range(1, rounds + 1):
        order = ("engine", "baseline") if number % 2 else ("baseline", "engine")
        for variant in order:
            seeded = seed(plan, people, bodies, now)
            result["seeding"].append(seeded)
            check_census(census(cutoff), expected, "after seeding")
            if "plans" not in result and connection_vendor() == "postgresql":
                result["plans"] = explain_plans()
            dry = timed_dry_run(expected)
            check_census(census(cutoff), expected, "after the dry run (it must delete nothing)")
            result["dry_run"].append(dry)
            row = engine(expected) if variant == "engine" else baseline(cutoff, expected)
            check_census(census(cutoff), kept, f"after the {variant}'s deletion")
            row["round"] = number
            result[variant].append(row)
            print(
                f"round    {number}/{rounds} {variant:<8}  seed "
                f"{sum(seeded['seconds'].values()):6.1f} s"
                f"  dry run {dry['seconds']:6.2f} s  delete {row['seconds']:7.2f} s "
                f"({expected['expired'] / row['seconds']:,.0f} rows/s)",
                flush=True,
            )
    return result


def connection_vendor() -> str:
    from django.db import connection

    return connection.vendor


def run_child(database: str, quick: bool, rounds: int, data_dir: Path, out: Path) -> None:
    """In this (fresh) process: configure, create the database, migrate, measure; always drop
    the database; write the result to ``out``."""
    from bench import world

    server = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES).rstrip("/")
    data_dir.mkdir(parents=True, exist_ok=True)
    world.configure_environment(database, data_dir, server, DB_NAME)
    started = time.perf_counter()
    if database == "postgres":
        world.postgres_create(server, DB_NAME)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        setup_seconds = time.perf_counter() - started
        result = measure(QUICK if quick else FULL, rounds)
        result["setup_seconds"] = setup_seconds
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if database == "postgres":
            drop_database(server)
    out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")


# --- Summary and report (parent) -----------------------------------------------------------------


def summarize(result: dict) -> dict:
    expired = result["expected"]["expired"]

    def medians(samples: list) -> dict:
        seconds = [s["seconds"] for s in samples]
        median = statistics.median(seconds)
        return {
            "median_s": median,
            "rows_per_s": expired / median,
            "min_s": min(seconds),
            "max_s": max(seconds),
            "samples_s": seconds,
        }

    summary = {name: medians(result[name]) for name in ("dry_run", "engine", "baseline")}
    summary["ratio"] = summary["engine"]["median_s"] / summary["baseline"]["median_s"]
    steps: dict = {}
    for seeded in result["seeding"]:
        for step, seconds in seeded["seconds"].items():
            steps.setdefault(step, []).append(seconds)
    summary["seeding_median_s"] = {step: statistics.median(s) for step, s in steps.items()}
    # Where the engine's time goes: the run with the median wall time.
    runs = sorted(result["engine"], key=lambda row: row["seconds"])
    summary["engine_statements"] = runs[len(runs) // 2]["statements"]
    return summary


def report_lines(result: dict) -> list[str]:
    plan, expected, summary = result["plan"], result["expected"], result["summary"]
    dry, eng, base = summary["dry_run"], summary["engine"], summary["baseline"]
    rounds = plan["rounds"]
    lines = [
        f"== retention on {result['database']}",
        f"   privacy.retention.run() over {expected['expired']:,} expired rows "
        f"({plan['expired_emails']:,} e-mails, {plan['expired_notifications']:,} notifications) "
        f"next to {expected['kept']:,} kept, against two plain DELETEs in one transaction; "
        f"{rounds} round(s), re-seeded before each deletion, medians; set-up "
        f"{result['setup_seconds']:.1f} s",
        f"   load average (1 min) {result['load_average_before']:.1f} before, "
        f"{result['load_average_after']:.1f} at the end, on {os.cpu_count()} CPUs "
        "(above ~1 something else was running)",
    ]
    rows = result["seeding"][0]["rows"]
    for step, seconds in summary["seeding_median_s"].items():
        line = f"seed     {step:<15} {seconds:7.2f} s"
        if step in rows:
            line += f"  {rows[step]:>8,} rows  ({rows[step] / seconds:,.0f} rows/s)"
        lines.append(line)
    lines += [
        f"dry-run  run(dry_run=True) {dry['median_s']:8.2f} s  counts {expected['expired']:,} "
        f"expired rows ({dry['rows_per_s']:,.0f} rows/s; {len(dry['samples_s'])} samples, "
        "one before each deletion)",
        f"delete   baseline          {base['median_s']:8.2f} s  {base['rows_per_s']:>9,.0f} rows/s"
        "  (two DELETE ... WHERE, one transaction)",
        f"delete   engine            {eng['median_s']:8.2f} s  {eng['rows_per_s']:>9,.0f} rows/s"
        f"  = {summary['ratio']:.2f}x baseline time (batches of {result['batch']:,} keys)",
    ]
    for name, row in summary["engine_statements"].items():
        if name == "outside SQL" or row["seconds"] < 0.005 * eng["median_s"]:
            continue  # the other rules' queries on empty tables, the report and its audit line
        lines.append(
            f"engine   {name:<21} {row['statements']:>4} statements {row['seconds']:7.2f} s  "
            f"(first {row['first_ms']:.0f} ms, median {row['median_ms']:.0f} ms, last "
            f"{row['last_ms']:.0f} ms, max {row['max_ms']:.0f} ms)"
        )
    outside = summary["engine_statements"]["outside SQL"]["seconds"]
    lines.append(
        f"engine   {'outside SQL':<21}                 {outside:7.2f} s  (Python, commits; the "
        "median run's statements, each timed)"
    )
    for what, row in result.get("plans", {}).items():
        lines.append(f"plan     {what:<19} {plan_outline(row['plan'])}")
    kept = after_deletion(expected)
    lines.append(
        f"check    after every deletion: 0 expired rows left, all {expected['kept']:,} kept rows "
        f"still there ({kept['emails']:,} e-mails, {kept['notifications']:,} notifications); "
        f"the engine's report: found and deleted {expected['expired']:,}"
    )
    return lines


# --- Main (parent) -------------------------------------------------------------------------------


def child_environment(server: str) -> dict[str, str]:
    """Ours; what could leak in from the caller's shell (a database, a profile, retention
    overrides, pytest's settings) is dropped, and ``world.configure_environment`` pins the rest."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("PYTEST", "DATABASE_URL", "DENTALBRIDGE_", "DJANGO_", "CACHE_URL", "RETENTION_")
        )
    }
    env.update({"BENCH_POSTGRES_URL": server, "PYTHONUNBUFFERED": "1"})
    return env


def run_child_process(command: list[str], env: dict) -> int:
    """The child (see ``measure.run_child``): on Ctrl-C or SIGTERM it gets time to drop its
    database."""
    return bench_measure.run_child(command, cwd=REPO, env=env)


def main(quick: bool = False, database: str = "postgres", rounds: int | None = None) -> dict:
    """Seed, measure, remove everything; returns the results (and prints them)."""
    server = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES).rstrip("/")
    if database == "postgres" and not postgres_reachable(server):
        raise BenchError(
            f"PostgreSQL is not reachable at {server}: start it, or set BENCH_POSTGRES_URL (a "
            "server URL without database name, e.g. postgres://postgres@127.0.0.1:5432), or "
            "run on SQLite with --database sqlite"
        )
    plan = QUICK if quick else FULL
    rounds = rounds or plan["rounds"]
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="dentalbridge-retention-bench-"))
    try:
        out = tmp / "result.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--database", database,
                   "--rounds", str(rounds), "--child", str(tmp / "data"), str(out)]  # fmt: skip
        if quick:
            command.append("--quick")
        returncode = run_child_process(command, child_environment(server))
        if returncode != 0:
            raise BenchError(f"the retention benchmark's child failed (exit {returncode})")
        result = json.loads(out.read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if database == "postgres":  # the child drops it; this catches a child killed hard
            try:
                drop_database(server)
            except Exception as exc:  # report, but do not hide the error that got us here
                print(f"(could not drop {DB_NAME}: {exc})", file=sys.stderr, flush=True)
    result["plan"] = {**plan, "rounds": rounds}
    result.update(
        {
            "python": platform.python_version(),
            "quick": quick,
            "load_average_before": load_before,
            "load_average_after": os.getloadavg()[0],
            "seconds": time.perf_counter() - started,
        }
    )
    result["summary"] = summarize(result)
    print("\n".join(report_lines(result)), flush=True)
    return result


def _terminate(signum, frame):
    # Once: a second signal must not cut short the ``finally`` blocks that drop the database.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 expired rows, one round")
    parser.add_argument(
        "--database",
        choices=["postgres", "sqlite"],
        default="postgres",
        help="postgres (default: BENCH_POSTGRES_URL, else postgres://postgres@127.0.0.1:5432) "
        "or a SQLite file",
    )
    parser.add_argument("--rounds", type=int, help="default: 3, --quick: 1")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the result here")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminate)
    if args.child:
        try:
            run_child(args.database, args.quick, args.rounds, *args.child)
        except BenchError as error:
            print(f"retention benchmark: {error}", file=sys.stderr)
            sys.exit(2)
        except KeyboardInterrupt:  # the parent says so
            sys.exit(130)
        sys.exit(0)
    try:
        outcome = main(args.quick, args.database, args.rounds)
    except BenchError as error:
        print(f"retention benchmark: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print(f"retention benchmark: interrupted ({DB_NAME} and the files removed)", flush=True)
        sys.exit(130)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(outcome, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"Results: {args.json}")
