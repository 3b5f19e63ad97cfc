"""The audit trail of one patient, for the practice owner: on screen, as CSV and as JSON."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from conftest import acting, client_for
from dentalbridge.patients import access, services
from dentalbridge.privacy.models import AuditEvent
from dentalbridge.privacy.policy import Perm

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(world):
    created = services.patient_create(
        actor=acting(world.owner, world.practice),
        given_name="Anna",
        family_name="Verdi",
        date_of_birth=date(1969, 9, 9),
        attending_dentist=world.dentist,
    )
    services.patient_update(
        actor=acting(world.dentist, world.practice), patient_id=created.public_id, notes="x"
    )
    return created


def export(client, patient, fmt):
    return client.get(reverse("patient_audit_export", args=[patient.public_id, fmt]))


def test_owner_sees_everything_that_happened_to_this_patient_only(world, patient):
    other = services.patient_create(
        actor=acting(world.owner, world.practice),
        given_name="Bruno",
        family_name="Neri",
        date_of_birth=date(1990, 1, 1),
    )
    page = client_for(world.owner).get(reverse("patient_audit", args=[patient.public_id]))
    assert page.status_code == 200
    actions = [e.action for e in page.context["page"]]
    assert "patient.created" in actions and "patient.updated" in actions
    assert all(e.patient_id == patient.public_id for e in page.context["page"])
    assert other.pseudonym not in page.content.decode()


def test_csv_export_is_complete_named_by_pseudonym_and_audited(world, patient):
    response = export(client_for(world.owner), patient, "csv")
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == f'attachment; filename="audit-{patient.pseudonym}.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["action"] for row in rows} >= {"patient.created", "patient.updated"}
    assert all(len(row["hash"]) == 64 for row in rows)
    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.patient_id == patient.public_id
    assert exported.data["format"] == "csv"
    assert "Verdi" not in response["Content-Disposition"]


def test_csv_cells_cannot_run_as_spreadsheet_formulas(world, patient):
    attacker = client_for(world.owner)
    attacker.get(
        reverse("patient_detail", args=[patient.public_id]),
        HTTP_USER_AGENT='=HYPERLINK("http://evil.example","click")',
    )
    text = export(client_for(world.owner), patient, "csv").content.decode()
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text


def test_json_export(world, patient):
    body = export(client_for(world.owner), patient, "json").json()
    assert body["patient_id"] == str(patient.public_id)
    assert {"seq", "action", "actor_email", "reason", "hash"} <= set(body["events"][0])


@pytest.mark.parametrize(("persona", "status"), [("dentist", 403), ("assistant", 403)])
def test_the_team_without_audit_rights_is_refused(world, patient, persona, status):
    client = client_for(getattr(world, persona))
    assert client.get(reverse("patient_audit", args=[patient.public_id])).status_code == status
    assert export(client, patient, "json").status_code == status


def test_a_care_team_grant_does_not_open_the_audit_trail(world, patient):
    services.care_grant_create(
        actor=acting(world.dentist, world.practice),
        patient_id=patient.public_id,
        grantee_email=world.other_owner.email,
        reason="Second opinion",
    )
    colleague = acting(world.other_owner, world.other_practice)
    assert access.patient_access(colleague, patient.public_id, Perm.PATIENT_VIEW)
    client = client_for(world.other_owner)
    assert client.get(reverse("patient_audit", args=[patient.public_id])).status_code == 404


def test_unknown_export_format_is_404(world, patient):
    assert export(client_for(world.owner), patient, "xlsx").status_code == 404
