"""The breach register and the DPO workspace (PRV-8, COM-5): a 72-hour clock to the supervisory
authority with a drafted notification, notices to the people affected, and one page for the DPO."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from conftest import acting, client_for
from dentalbridge.core.errors import NotFound, ValidationFailed
from dentalbridge.gdpr import breaches, requests
from dentalbridge.gdpr.models import RetentionRun
from dentalbridge.messaging.models import Notification
from dentalbridge.privacy.models import AuditEvent
from dentalbridge.privacy.principal import Principal

pytestmark = pytest.mark.django_db


def _record(world, **extra):
    values = {
        "title": "Lost laptop with an export",
        "description": "A support laptop with a CSV export of practice contacts was stolen.",
        "detected_at": timezone.now() - timedelta(hours=2),
        "occurred_at": None,
        "categories": ["business_contact", "health_record"],
        "subjects_count": 120,
        "consequences": "Phishing aimed at the practices.",
        "measures": "Disk was encrypted; passwords reset.",
        "high_risk": True,
        **extra,
    }
    return breaches.breach_record(actor=acting(world.dpo, world.platform), **values)


def test_a_breach_has_a_72_hour_clock_and_a_drafted_notification(world):
    breach = _record(world)
    assert breach.authority_due_at == breach.detected_at + timedelta(hours=72)
    draft = breaches.authority_draft(breach)
    for words in ("Lost laptop", "120", "Dental health record", "health data", "passwords reset"):
        assert words in draft
    assert not breach.authority_overdue
    with time_machine.travel(breach.detected_at + timedelta(hours=73)):
        assert breach.authority_overdue
        assert "Reasons for the delay" in breaches.authority_draft(breach)
        with pytest.raises(ValidationFailed, match="72 hours"):
            breaches.authority_notified(actor=acting(world.dpo, world.platform),
                                        breach_id=breach.public_id, reference="AP-1")  # fmt: skip
        done = breaches.authority_notified(
            actor=acting(world.dpo, world.platform), breach_id=breach.public_id,
            reference="AP-2026-991", late_reason="Forensics took four days.",
        )  # fmt: skip
    assert done.authority_reference == "AP-2026-991"
    actions = list(AuditEvent.objects.filter(action__startswith="breach.").values_list(
        "action", flat=True))  # fmt: skip
    assert actions == ["breach.recorded", "breach.authority_notified"]


def test_bad_breach_input_is_refused(world):
    with pytest.raises(ValidationFailed):
        _record(world, detected_at=timezone.now() + timedelta(days=1))
    with pytest.raises(ValidationFailed):
        _record(world, categories=["not_a_category"])
    with pytest.raises(NotFound):
        breaches.breach_record(actor=acting(world.owner, world.practice), title="x")


def test_the_people_affected_are_told_in_the_app_and_by_email(
    world, django_capture_on_commit_callbacks
):
    breach = _record(world)
    world.dentist.language = "nl"
    world.dentist.save()
    with django_capture_on_commit_callbacks(execute=True):
        told = breaches.people_notify(
            actor=acting(world.dpo, world.platform), breach_id=breach.public_id,
            organization_ids=[str(world.practice.public_id)],
        )  # fmt: skip
    assert told == 3  # owner, dentist, assistant of the practice
    assert {m.to[0] for m in mail.outbox} == {
        world.owner.email,
        world.dentist.email,
        world.assistant.email,
    }
    assert Notification.objects.filter(event="security_incident").count() == 3
    dutch = next(m for m in mail.outbox if m.to == [world.dentist.email])
    assert "beveiligingsincident" in dutch.body.lower()


def test_the_register_pages_are_for_the_dpo(world, django_capture_on_commit_callbacks):
    dpo = client_for(world.dpo)
    assert dpo.get(reverse("dpo_breaches")).status_code == 200
    created = dpo.post(reverse("dpo_breaches"), {
        "title": "Mail to the wrong practice", "description": "An order e-mail went astray.",
        "detected_at": (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "categories": ["pseudonym"], "subjects_count": 1, "consequences": "Little.",
        "measures": "Recipient deleted it.",
    })  # fmt: skip
    assert created.status_code == 302
    page = dpo.get(created["Location"]).content.decode()
    assert "Draft notification" in page and "Mail to the wrong practice" in page
    assert client_for(world.owner).get(reverse("dpo_breaches")).status_code == 404


def test_the_dpo_workspace_shows_deadlines_breaches_consents_and_retention(world):
    requests.request_create(actor=Principal(user=world.newcomer), kind="access")
    _record(world)
    dpo = client_for(world.dpo)
    page = dpo.get(reverse("dpo_home")).content.decode()
    for words in ("Open requests", "Lost laptop", "Consents", "Retention", "Patient audit trails"):
        assert words in page
    assert dpo.post(reverse("dpo_retention_dry_run")).status_code == 302
    assert RetentionRun.objects.get().dry_run
    assert client_for(world.owner).get(reverse("dpo_home")).status_code == 404
