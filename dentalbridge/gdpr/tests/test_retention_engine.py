"""The retention engine (PRV-5, ORD-6, ACC-6): the register's periods decide what goes each
night, legal holds keep what they cover, a dry run only counts, and every run leaves a report."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from conftest import acting
from dentalbridge.gdpr import consent, erasure, purposes, retention, rights
from dentalbridge.gdpr.models import ConsentRecord, RetentionRun
from dentalbridge.messaging.models import EmailStatus, Notification, OutgoingEmail
from dentalbridge.orders.tests import conftest as order_fixtures
from dentalbridge.orders.tests.conftest import draft_order, put_in
from dentalbridge.privacy.door import through_the_door
from dentalbridge.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db

connected = order_fixtures.connected
order_patient = order_fixtures.patient


def _email(days_old: int) -> OutgoingEmail:
    email = OutgoingEmail.objects.create(
        to="someone@person.example", subject="s", text="t", html="h", status=EmailStatus.SENT
    )
    OutgoingEmail.objects.filter(pk=email.pk).update(
        created_at=timezone.now() - timedelta(days=days_old)
    )
    return email


def _report(run, rule, what=None):
    return next(e for e in run.report if e["rule"] == rule and (what is None or e["what"] == what))


def test_the_period_in_the_register_decides_what_goes(world, monkeypatch):
    young, _old = _email(20), _email(100)
    run = retention.run()
    assert list(OutgoingEmail.objects.all()) == [young]  # 90 days in the register
    assert _report(run, "communications", "sent e-mails")["deleted"] == 1
    rule = purposes.RETENTION["communications"]
    monkeypatch.setitem(
        purposes.RETENTION, "communications", replace(rule, default=purposes.Period(days=10))
    )
    retention.run()
    assert not OutgoingEmail.objects.exists()  # the same task, the declaration changed


def test_a_dry_run_counts_and_deletes_nothing(world):
    _email(200)
    run = retention.run(dry_run=True)
    assert run.dry_run and _report(run, "communications", "sent e-mails") == {
        "rule": "communications", "what": "sent e-mails", "period": "90 days",
        "by_country": False, "found": 1, "deleted": 0,
    }  # fmt: skip
    assert OutgoingEmail.objects.count() == 1
    assert AuditEvent.objects.filter(action="privacy.retention_run").count() == 1
    assert retention.expired_counts()["communications"] == 1


def test_pending_mail_and_unread_notifications_stay(world):
    email = _email(400)
    OutgoingEmail.objects.filter(pk=email.pk).update(status=EmailStatus.PENDING)
    note = Notification.objects.create(
        recipient=world.owner, organization=world.practice, event="order_message", text="x"
    )
    Notification.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(days=400))
    retention.run()
    assert OutgoingEmail.objects.count() == 1 and Notification.objects.count() == 1


def test_finished_orders_go_after_ten_years_unless_a_legal_hold_keeps_them(world, order_patient):
    from dentalbridge.patients import services as patient_services

    other = patient_services.patient_create(
        actor=acting(world.owner, world.practice), given_name="Held", family_name="Patient",
        date_of_birth=date(1970, 1, 1),
    )  # fmt: skip
    done = put_in(draft_order(world, order_patient), "closed")
    held = put_in(draft_order(world, other), "closed")
    still_open = put_in(draft_order(world, order_patient), "in_production")
    erasure.hold_place(actor=acting(world.owner, world.practice), patient_id=other.public_id,
                       kind="litigation", reason="Claim 12")  # fmt: skip
    with time_machine.travel(timezone.now() + timedelta(days=366 * 9)):
        assert _report(retention.run(), "orders")["deleted"] == 0
    with time_machine.travel(timezone.now() + timedelta(days=366 * 11)):
        run = retention.run()
    assert _report(run, "orders")["deleted"] == 1
    from dentalbridge.orders.models import Order

    with through_the_door():
        left = set(Order.objects.values_list("pk", flat=True))
    assert left == {held.pk, still_open.pk} and done.pk not in left


def test_closed_accounts_are_purged_after_the_registers_period(world):
    rights.close_account(actor=acting(world.dentist, world.practice))
    with time_machine.travel(timezone.now() + timedelta(days=365)):
        retention.run()
    world.dentist.refresh_from_db()
    with time_machine.travel(timezone.now() + timedelta(days=2 * 366 + 1)):
        run = retention.run()
    assert _report(run, "closed_accounts")["deleted"] == 1
    assert not type(world.dentist).objects.filter(pk=world.dentist.pk).exists()


def test_the_latest_consent_line_stays_as_the_state(world):
    consent.record(
        purpose="newsletter", given=True, method="form", text_shown="x", user=world.owner
    )
    consent.record(purpose="newsletter", given=False, method="form", text_shown="x",
                   user=world.owner)  # fmt: skip
    with time_machine.travel(timezone.now() + timedelta(days=4 * 366)):
        retention.run()
    assert [line.given for line in ConsentRecord.objects.all()] == [False]


def test_every_run_leaves_a_report_and_the_task_runs_nightly():
    from crontask import scheduler

    from dentalbridge.gdpr.tasks import run_retention

    run_retention.call()
    assert RetentionRun.objects.count() == 1
    jobs = {job.name: job for job in scheduler.get_jobs()}
    assert "hour='3'" in str(jobs[run_retention.name].trigger)
