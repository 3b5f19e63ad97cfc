"""Notifications on orders (ORD-4): in the app and by e-mail, as each person chose; the order
confirmation on acceptance; e-mails leave through the task queue, a failing mail server does not
fail the request and the mail is retried; texts carry no patient identity."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from conftest import acting, client_for
from dentalbridge.messaging import notifications
from dentalbridge.messaging.models import (
    EmailStatus,
    Notification,
    NotificationPreference,
    OutgoingEmail,
)
from dentalbridge.messaging.tasks import retry_emails
from dentalbridge.orders import services
from dentalbridge.orders.tests.conftest import connected, draft_order, patient, put_in  # noqa: F401
from dentalbridge.organizations.models import Membership

# Nothing listens on the discard port here: every connection is refused at once.
BROKEN_MAIL_SERVER = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
    }
}


def _send(world, patient):  # noqa: F811
    order = draft_order(world, patient)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.order_transition(
            actor=acting(world.dentist, world.practice),
            order_id=order.public_id,
            transition="submit",
        )
    return order


def test_a_sent_order_tells_the_lab_in_the_app_and_by_email(world, patient):  # noqa: F811
    order = _send(world, patient)
    told = set(
        Notification.objects.filter(event="order_submitted").values_list(
            "recipient__email", flat=True
        )
    )
    assert told == {world.manager.email, world.technician.email}  # no unassigned designer
    assert sorted(m.to[0] for m in mail.outbox) == sorted(told)
    text = mail.outbox[0].body + mail.outbox[0].subject + mail.outbox[0].alternatives[0][0]
    assert order.reference in text and patient.pseudonym in text
    for identifying in ("Jane", "Doe"):
        assert identifying not in text
    # The year of birth in any date format, but not four digits inside a random id or link.
    assert not re.search(r"(?<![0-9A-Za-z_-])1980(?![0-9A-Za-z_])", text)


def test_acceptance_sends_the_order_confirmation_to_the_practice(world, patient):  # noqa: F811
    order = _send(world, patient)
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        accepted = services.order_transition(
            actor=acting(world.manager, world.lab), order_id=order.public_id, transition="accept"
        )
    assert {m.to[0] for m in mail.outbox} == {
        world.owner.email,
        world.dentist.email,
        world.assistant.email,
    }
    assert accepted.confirmed_due_date.isoformat() in mail.outbox[0].subject


def test_each_person_chooses_per_event_and_channel(world, patient):  # noqa: F811
    notifications.preference_set(
        user=world.manager, event="order_submitted", channel="email", enabled=False
    )
    notifications.preference_set(
        user=world.technician, event="order_submitted", channel="in_app", enabled=False
    )
    _send(world, patient)
    assert {m.to[0] for m in mail.outbox} == {world.technician.email}
    assert set(Notification.objects.values_list("recipient__email", flat=True)) == {
        world.manager.email
    }


def test_the_preferences_page_saves_the_ticked_boxes(world):
    client = client_for(world.dentist)
    page = client.get(reverse("notification_preferences"))
    assert page.status_code == 200 and "An order is shipped" in page.text
    client.post(reverse("notification_preferences"), {"on": ["order_shipped:in_app"]})
    shipped = NotificationPreference.objects.get(user=world.dentist, event="order_shipped")
    assert (shipped.in_app, shipped.email) == (True, False)
    assert not NotificationPreference.objects.get(user=world.dentist, event="design_ready").in_app


def test_a_failing_mail_server_does_not_fail_the_request_and_the_mail_is_retried(
    world,
    patient,  # noqa: F811
    settings,
):
    settings.MAILERS = BROKEN_MAIL_SERVER
    order = draft_order(world, patient)
    dentist = client_for(world.dentist, membership=Membership.objects.get(user=world.dentist))
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = dentist.post(
            reverse("order_step", args=[order.public_id]), {"transition": "submit"}
        )
    assert response.status_code == 302  # the order went out although no mail could
    waiting = list(OutgoingEmail.objects.all())
    assert len(waiting) == 2
    assert all(
        e.status == EmailStatus.PENDING and e.attempts == 1 and e.last_error for e in waiting
    )
    assert retry_emails.call() == {"retried": 0}  # not yet: the first pause is one minute
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert retry_emails.call() == {"retried": 2}
    assert {e.status for e in OutgoingEmail.objects.all()} == {EmailStatus.SENT}
    assert len(mail.outbox) == 2


def test_retries_back_off_and_give_up(world, patient, settings):  # noqa: F811
    settings.MAILERS = BROKEN_MAIL_SERVER
    email = OutgoingEmail.objects.create(to="x@lab.example", subject="s", text="t", html="h")
    for attempt in range(1, notifications.MAX_ATTEMPTS + 1):
        assert notifications.email_deliver(email.pk) in ("retry", "failed")
        email.refresh_from_db()
        assert email.attempts == attempt
    assert email.status == EmailStatus.FAILED
    assert notifications.retry_pause(1) == timedelta(minutes=1)
    assert notifications.retry_pause(20) == timedelta(hours=4)


def test_orders_at_risk_alert_both_sides_once(world, patient):  # noqa: F811
    order = _send(world, patient)
    put_in(order, "in_production")
    Notification.objects.all().delete()
    order = services.access.order_access(acting(world.manager, world.lab), order.public_id)
    day = order.confirmed_due_date
    with time_machine.travel(day - timedelta(days=1)):
        assert services.orders_alert_late() == 1
        assert services.orders_alert_late() == 0  # once per promised date
    told = set(
        Notification.objects.filter(event="order_overdue").values_list(
            "recipient__email", flat=True
        )
    )
    assert world.dentist.email in told and world.manager.email in told


def test_only_ones_own_notifications_are_listed(world, patient):  # noqa: F811
    _send(world, patient)
    page = client_for(world.manager).get(reverse("notification_list"))
    assert "New order" in page.text
    assert "New order" not in client_for(world.other_manager).get(reverse("notification_list")).text
    client_for(world.manager).post(reverse("notifications_read"))
    assert not Notification.objects.filter(recipient=world.manager, read_at=None).exists()


@pytest.mark.parametrize("persona", ["designer"])
def test_an_assigned_designer_hears_of_the_assignment(world, patient, persona):  # noqa: F811
    order = _send(world, patient)
    put_in(order, "accepted")
    services.order_assign(
        actor=acting(world.manager, world.lab),
        order_id=order.public_id,
        member_id=Membership.objects.get(user=getattr(world, persona)).public_id,
    )
    assert Notification.objects.filter(recipient=world.designer, event="order_assigned").exists()
