"""The platform DPO answers a regulator: who touched this patient's data, in any practice —
from the audit log alone, even after a purge — and the legal archive for a stated purpose."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from conftest import acting, client_for
from dentalbridge.patients import services
from dentalbridge.patients.retention import patients_purge_due
from dentalbridge.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def purged_patient(world):
    owner = acting(world.owner, world.practice)
    patient = services.patient_create(
        actor=owner, given_name="Rita", family_name="Regulator", date_of_birth=date(1966, 6, 6),
        attending_dentist=world.dentist,
    )  # fmt: skip
    services.care_grant_create(
        actor=acting(world.dentist, world.practice),
        patient_id=patient.public_id,
        grantee_email=world.other_owner.email,
        reason="Implant",
    )
    client_for(world.other_owner).get(reverse("patient_detail", args=[patient.public_id]))
    services.patient_delete(actor=owner, patient_id=patient.public_id)
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        patients_purge_due()
    return patient


def test_dpo_sees_who_touched_a_patient_across_practices_even_after_the_purge(
    world, purged_patient
):
    page = client_for(world.dpo).get(reverse("dpo_patient_audit", args=[purged_patient.public_id]))
    assert page.status_code == 200
    actions = {e.action for e in page.context["page"]}
    assert {"patient.created", "care_team.granted", "patient.viewed", "patient.purged"} <= actions
    actors = {e.actor_email for e in page.context["page"]}
    assert world.other_owner.email in actors  # the other practice's dentist, through the grant
    assert "Regulator" not in page.content.decode()  # ids, never identity


def test_dpo_opens_the_archive_only_with_a_purpose(world, purged_patient):
    purge = AuditEvent.objects.get(action="patient.purged")
    url = reverse("dpo_archive", args=[purge.target_id])
    client = client_for(world.dpo)
    assert client.get(url).status_code == 200  # the purpose form
    refused = client.post(url, {"purpose": ""})
    assert refused.status_code == 200 and "Regulator" not in refused.content.decode()
    opened = client.post(url, {"purpose": "Supervisory authority request 2026/3"})
    assert "Regulator" in opened.content.decode()
    viewed = AuditEvent.objects.get(action="archive.viewed")
    assert viewed.reason == "Supervisory authority request 2026/3"
    assert viewed.organization_id == world.platform.public_id


@pytest.mark.parametrize("persona", ["owner", "dentist", "manager", "designer"])
def test_the_dpo_pages_do_not_exist_for_others(world, purged_patient, persona):
    client = client_for(getattr(world, persona))
    assert client.get(reverse("dpo_home")).status_code == 404
    url = reverse("dpo_patient_audit", args=[purged_patient.public_id])
    assert client.get(url).status_code == 404


def test_a_malformed_id_is_answered_with_a_message(world):
    page = client_for(world.dpo).get(reverse("dpo_home"), {"patient": "not-an-id"})
    assert page.status_code == 200
    assert "Enter an id like" in page.content.decode()
