"""The retention engine (PRV-5, ORD-6, ACC-6): every night, what the processing register says
has been kept long enough goes — unless a legal hold keeps it — and a report says what went.

Each retention rule of the register that the platform itself stores data under has an executor
here: it finds the expired rows from the rule's period (for the organization's country where
the rule differs by country), skips what a legal hold covers, and deletes in batches (short
transactions, so a million rows never lock a table for long). A dry run counts without deleting,
for the DPO to see what tonight's run would do. Rules without an executor say why in
``NOT_RUN_HERE`` (the medical archive has its own purge with archive copies; the audit log is an
append-only chain).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from dentalbridge.gdpr import access, purposes
from dentalbridge.gdpr.models import RetentionRun
from dentalbridge.orders import access as orders_access
from dentalbridge.privacy.audit import AuditAction, record
from dentalbridge.privacy.principal import Principal, Purpose, SystemActor

BATCH = 5000

NOT_RUN_HERE = {
    "medical_archive": "the nightly patient purge (patients.retention) archives, then removes",
    "security_log": "the audit log is an append-only hash chain; it names nobody",
    "browsing": "kept by the analytics service the operator configured, not by the platform",
    "business_records": "ends with the organization's own closing, not on a schedule",
    "credentials": "secrets are replaced when used, revoked or expired, at that moment",
}


@dataclass(frozen=True)
class Executor:
    rule: str
    what: str
    # (the run's actor, today) → rows past the period (country-blind rules); the actor is for the
    # rules whose rows only a door keeper hands out
    expired: Callable[[SystemActor, object], QuerySet]
    by_country: bool = False


def _cutoff(rule: str, today, country: str = ""):
    """The first moment still kept: midnight (in the site's time zone) of the cut-off day. A
    datetime, not a date, so the database compares the indexed column as it is stored."""
    day = purposes.retention_period(rule, country).before(today)
    return timezone.make_aware(datetime.combine(day, time.min))


def _emails(_system: SystemActor, today) -> QuerySet:
    from dentalbridge.messaging.models import EmailStatus, OutgoingEmail

    cutoff = _cutoff("communications", today)
    return OutgoingEmail.objects.exclude(status=EmailStatus.PENDING).filter(created_at__lt=cutoff)


def _notifications(_system: SystemActor, today) -> QuerySet:
    from dentalbridge.messaging.models import Notification

    cutoff = _cutoff("communications", today)
    return Notification.objects.filter(read_at__lt=cutoff)


def _task_results(_system: SystemActor, today) -> QuerySet:
    from django_tasks_db.models import DBTaskResult

    cutoff = _cutoff("work_queue", today)
    return DBTaskResult.objects.filter(finished_at__lt=cutoff)


def _closed_accounts(_system: SystemActor, today) -> QuerySet:
    from django.contrib.auth import get_user_model

    cutoff = _cutoff("closed_accounts", today)
    return get_user_model().objects.filter(is_active=False, closed_at__lt=cutoff)


def _answered_requests(system: SystemActor, today) -> QuerySet:
    from dentalbridge.gdpr.models import RequestStatus

    cutoff = _cutoff("request_records", today)
    return access.data_requests_answered_before(
        system, cutoff, (RequestStatus.DONE, RequestStatus.REFUSED)
    )


def _superseded_consents(_system: SystemActor, today) -> QuerySet:
    """Ledger lines older than the proof period that a later line for the same subject and
    purpose replaced (the latest line of each stays: it is the state)."""
    from dentalbridge.gdpr.models import ConsentRecord

    cutoff = _cutoff("consent_proof", today)
    latest = (
        ConsentRecord.objects.values("user", "visitor_id", "purpose")
        .annotate(last=Max("pk"))
        .values("last")
    )
    return ConsentRecord.objects.filter(created_at__lt=cutoff).exclude(pk__in=latest)


def _orders(system: SystemActor, today) -> QuerySet:
    """Finished orders past the business-records period (ORD-6), except those of a patient
    under a legal hold."""
    return orders_access.orders_expired(
        lambda country: _cutoff("orders", today, country), held=access.held_patient_ids(system)
    )


EXECUTORS = (
    Executor("communications", "sent e-mails", _emails),
    Executor("communications", "read notifications", _notifications),
    Executor("work_queue", "finished background tasks", _task_results),
    Executor("closed_accounts", "closed accounts", _closed_accounts),
    Executor("request_records", "answered data-protection requests", _answered_requests),
    Executor("consent_proof", "superseded consent lines", _superseded_consents),
    Executor("orders", "finished orders", _orders, by_country=True),
)


def _delete_in_batches(rows: QuerySet) -> int:
    """Walk the expired rows in primary-key order, a batch at a time (the primary key index
    finds each batch, whatever the table's size), and delete each batch by its key range and
    the rule's own condition: one short transaction per batch."""
    deleted = 0
    last = None
    while True:
        page = rows.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        ids = list(page.values_list("pk", flat=True)[:BATCH])
        if not ids:
            return deleted
        with transaction.atomic():
            deleted += access.delete_matching(rows.filter(pk__gte=ids[0], pk__lte=ids[-1]))
        last = ids[-1]


def run(*, dry_run: bool = False, actor: Principal | None = None) -> RetentionRun:
    """One pass over every rule; the report lists each rule's cut-off, rows found and deleted."""
    today = timezone.localdate()
    started = timezone.now()
    system = SystemActor(Purpose.RETENTION, on_behalf_of=actor)  # the DPO's dry run, or nobody
    report: list[dict[str, Any]] = []
    for executor in EXECUTORS:
        rows = executor.expired(system, today)
        found = rows.count()
        deleted = 0 if dry_run else _delete_in_batches(rows)
        rule = purposes.RETENTION[executor.rule]
        report.append(
            {
                "rule": executor.rule,
                "what": executor.what,
                "period": str(purposes.retention_period(executor.rule)),
                "by_country": executor.by_country or bool(rule.by_country),
                "found": found,
                "deleted": deleted,
            }
        )
    for elsewhere, why in NOT_RUN_HERE.items():
        report.append({"rule": elsewhere, "what": why, "found": None, "deleted": None})
    with transaction.atomic():
        done = RetentionRun.objects.create(
            started_at=started,
            finished_at=timezone.now(),
            dry_run=dry_run,
            report=report,
            run_by=getattr(actor, "user", None),
        )
        record(
            AuditAction.RETENTION_RUN,
            principal=actor,
            target=done,
            data={
                "dry_run": dry_run,
                "deleted": sum(entry["deleted"] or 0 for entry in report),
            },
        )
    return done


def expired_counts(*, actor: Principal | None = None) -> dict[str, int]:
    """For the DPO workspace: what tonight's run would delete, rule by rule (no report)."""
    today = timezone.localdate()
    system = SystemActor(Purpose.RETENTION, on_behalf_of=actor)  # the DPO whose page asks
    counts: dict[str, int] = {}
    for executor in EXECUTORS:
        found = executor.expired(system, today).count()
        counts[executor.rule] = counts.get(executor.rule, 0) + found
    return counts
