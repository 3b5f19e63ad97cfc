"""HTML or script typed into any text field is stored as typed and shown as text, on every page
that shows it (practice, care team, portal, the copy's summary)."""

import io
import zipfile
from datetime import date

import pytest
from django.urls import reverse

from conftest import acting, client_for, make_user
from dentalbridge.patients import services
from dentalbridge.patients.models import Patient, PatientAccount

pytestmark = pytest.mark.django_db

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
TEXT_FIELDS = (
    "given_name",
    "family_name",
    "gender",
    "phone",
    "address",
    "external_reference",
    "notes",
    "guardian_name",
    "guardian_contact",
)


def test_script_in_every_text_field_is_escaped_everywhere(world):
    owner = acting(world.owner, world.practice)
    fields = {name: PAYLOAD[: Patient._meta.get_field(name).max_length] for name in TEXT_FIELDS}
    patient = services.patient_create(actor=owner, date_of_birth=date(1990, 1, 1), **fields)
    item = services.record_item_create(
        actor=owner, patient_id=patient.public_id, kind="note", title=PAYLOAD, text=PAYLOAD
    )
    services.care_grant_create(
        actor=owner,
        patient_id=patient.public_id,
        grantee_email=world.other_owner.email,
        reason=PAYLOAD,
    )
    person = make_user("pat@patient.example", PAYLOAD[:100])
    PatientAccount(patient=patient, user=person).save(force_insert=True)
    pages = [
        (world.owner, reverse("patient_list")),
        (world.owner, reverse("patient_detail", args=[patient.public_id])),
        (world.owner, reverse("patient_edit", args=[patient.public_id])),
        (world.owner, reverse("record_item_detail", args=[patient.public_id, item.public_id])),
        (world.owner, reverse("patient_audit", args=[patient.public_id])),
        (world.other_owner, reverse("patient_shared_list")),
        (world.other_owner, reverse("patient_detail", args=[patient.public_id])),
        (person, reverse("portal_record", args=[patient.public_id])),
    ]
    for user, url in pages:
        body = client_for(user).get(url).content.decode()
        assert "<script>alert" not in body, url
        assert "<img src=x" not in body, url
        assert "&lt;script&gt;alert" in body, url
    response = client_for(person).get(reverse("portal_copy", args=[patient.public_id]))
    copy = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(copy)) as archive:
        summary = archive.read("summary.html").decode()
    assert "<script>alert" not in summary and "&lt;script&gt;" in summary
