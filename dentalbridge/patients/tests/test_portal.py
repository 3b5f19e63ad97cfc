"""The patient portal (REC-4): invited by the practice, the patient sees their own record —
nothing else — and downloads a copy."""

import io
import json
import re
import zipfile
from datetime import date, timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import acting, client_for, make_user
from dentalbridge.core.errors import Conflict, NotFound
from dentalbridge.files.tests.conftest import local_files  # noqa: F401 (fixture)
from dentalbridge.patients import access, services
from dentalbridge.patients.copies import record_copy
from dentalbridge.privacy.models import AuditEvent
from dentalbridge.privacy.principal import Principal

pytestmark = pytest.mark.django_db

EMAIL = "pia.patient@patient.example"


@pytest.fixture
def patient(world):
    owner = acting(world.owner, world.practice)
    created = services.patient_create(
        actor=owner,
        given_name="Pia",
        family_name="Patient",
        date_of_birth=date(1991, 3, 3),
        email=EMAIL,
    )
    item = services.record_item_create(
        actor=owner, patient_id=created.public_id, kind="note", title="Hygiene", text="Floss."
    )
    services.record_item_update(
        actor=owner, patient_id=created.public_id, item_id=item.public_id, text="Floss daily."
    )
    return created


def invite(world, patient, django_capture_on_commit_callbacks, email=""):
    with django_capture_on_commit_callbacks(execute=True):
        services.patient_invitation_create(
            actor=acting(world.assistant, world.practice), patient_id=patient.public_id, email=email
        )
    message = mail.outbox[-1]
    return message, re.search(r"/portal/join/([^/\s]+)/", message.body).group(1)


def test_invited_patient_joins_and_sees_only_their_own_record(
    world, patient, django_capture_on_commit_callbacks
):
    message, token = invite(world, patient, django_capture_on_commit_callbacks)
    assert message.to == [EMAIL]
    assert "Pia" not in message.subject + message.body  # the e-mail names the practice only
    person = make_user(EMAIL, "Pia Patient")
    me = Principal(user=person)
    services.patient_invitation_accept(actor=me, token=token)
    assert [p.pk for p in access.portal_patients(me)] == [patient.pk]
    assert access.portal_patient_access(me, patient.public_id).family_name == "Patient"
    viewed = AuditEvent.objects.filter(action="patient.viewed", actor_id=person.public_id).get()
    assert viewed.reason.startswith("patient portal")
    # The same link works once.
    with pytest.raises(Conflict, match="already been used"):
        services.patient_invitation_accept(actor=me, token=token)


def test_another_patients_record_is_404_by_url_and_api(
    world, patient, django_capture_on_commit_callbacks
):
    other = services.patient_create(
        actor=acting(world.owner, world.practice),
        given_name="Otto",
        family_name="Other",
        date_of_birth=date(1980, 1, 1),
    )
    _message, token = invite(world, patient, django_capture_on_commit_callbacks)
    person = make_user(EMAIL, "Pia Patient")
    services.patient_invitation_accept(actor=Principal(user=person), token=token)
    client = client_for(person)
    assert client.get(reverse("portal_record", args=[patient.public_id])).status_code == 200
    for url in (
        reverse("portal_record", args=[other.public_id]),
        reverse("portal_copy", args=[other.public_id]),
        reverse("patient_detail", args=[patient.public_id]),
        reverse("api_patient", args=[patient.public_id]),
        reverse("api_patient", args=[other.public_id]),
        reverse("api_record", args=[patient.public_id]),
    ):
        assert client.get(url).status_code == 404, url


def test_the_copy_has_a_readable_summary_and_machine_readable_json(
    world, patient, django_capture_on_commit_callbacks
):
    _message, token = invite(world, patient, django_capture_on_commit_callbacks)
    me = Principal(user=make_user(EMAIL, "Pia Patient"))
    services.patient_invitation_accept(actor=me, token=token)
    filename, stream = record_copy(actor=me, patient_id=patient.public_id)
    assert filename == f"dental-record-{patient.pseudonym}.zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(stream))) as archive:
        assert sorted(archive.namelist()) == ["record.json", "summary.html"]
        data = json.loads(archive.read("record.json"))
        summary = archive.read("summary.html").decode()
    assert data["patient"]["family_name"] == "Patient"
    assert [v["text"] for v in data["record"][0]["versions"]] == ["Floss.", "Floss daily."]
    assert "Floss daily." in summary and "Pia" in summary
    assert AuditEvent.objects.filter(action="record.copy_downloaded").count() == 1


def test_the_copy_holds_the_records_files_as_the_practice_stored_them(
    world,
    patient,
    local_files,  # noqa: F811 (the fixture)
    django_capture_on_commit_callbacks,
):
    """The scan comes out byte for byte (decrypted as the ZIP streams); a file held for the
    practice's confirmation, one still being processed and another patient's file do not; each
    file going out is audited."""
    from dentalbridge.files.models import AssetStatus
    from dentalbridge.files.tests.factories import SCAN, stored_scan
    from dentalbridge.privacy.door import through_the_door

    owner = acting(world.owner, world.practice)
    scan = stored_scan(owner, patient, filename="Pia upper.stl")
    pending = stored_scan(owner, patient, data=SCAN[:-2] + b"\1\1", filename="lower.stl")
    held = stored_scan(owner, patient, data=SCAN[:-2] + b"\3\3", filename="bite.stl")
    with through_the_door():
        type(pending).objects.filter(pk=pending.pk).update(status=AssetStatus.PROCESSING)
        type(held).objects.filter(pk=held.pk).update(status=AssetStatus.HELD)
    someone_else = services.patient_create(
        actor=owner, given_name="Otto", family_name="Other", date_of_birth=date(1970, 1, 1)
    )
    stored_scan(owner, someone_else, data=SCAN[:-1] + b"\2", filename="Otto upper.stl")
    _message, token = invite(world, patient, django_capture_on_commit_callbacks)
    me = Principal(user=make_user(EMAIL, "Pia Patient"))
    services.patient_invitation_accept(actor=me, token=token)

    response = client_for(me.user).get(reverse("portal_copy", args=[patient.public_id]))
    assert response.status_code == 200 and response.streaming
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        names = archive.namelist()
        (inside,) = [n for n in names if n.startswith("files/")]
        assert inside.endswith("/v1-Pia upper.stl")
        assert archive.read(inside) == SCAN
        data = json.loads(archive.read("record.json"))
        summary = archive.read("summary.html").decode()
    assert data["files"] == [
        {"name": inside, "item": str(scan.item.public_id), "size": len(SCAN), "sha256": scan.sha256}
    ]
    assert inside in summary and "Otto" not in summary
    events = AuditEvent.objects.filter(action="file.downloaded", target_id=str(scan.public_id))
    assert events.count() == 1 and events.get().data["zip"] is True
    copied = AuditEvent.objects.get(action="record.copy_downloaded")
    assert copied.data == {"items": 4, "files": 1}


@pytest.mark.parametrize("problem", ["expired", "other_address", "unknown"])
def test_unusable_invitations_are_refused(
    world, patient, django_capture_on_commit_callbacks, problem
):
    _message, token = invite(world, patient, django_capture_on_commit_callbacks)
    email = "someone.else@patient.example" if problem == "other_address" else EMAIL
    me = Principal(user=make_user(email, "Someone"))
    if problem == "unknown":
        with pytest.raises(NotFound):
            services.patient_invitation_accept(actor=me, token="nope")
        return
    moment = timezone.now() + (timedelta(days=15) if problem == "expired" else timedelta(0))
    with time_machine.travel(moment), pytest.raises(Conflict):
        services.patient_invitation_accept(actor=me, token=token)
    assert access.portal_patients(me) == []
    refused = AuditEvent.objects.get(action="portal.refused")
    assert refused.outcome == "denied"


def test_a_patient_user_must_enrol_a_second_factor(
    world, patient, django_capture_on_commit_callbacks
):
    _message, token = invite(world, patient, django_capture_on_commit_callbacks)
    person = make_user(EMAIL, "Pia Patient", mfa=False)
    services.patient_invitation_accept(actor=Principal(user=person), token=token)
    response = client_for(person).get(reverse("portal_record", args=[patient.public_id]))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    Authenticator.objects.filter(user=person).delete()
    assert client_for(person).get(reverse("portal_home"))["Location"] == reverse(
        "mfa_activate_totp"
    )


def test_practice_invites_from_the_patient_page(world, patient, django_capture_on_commit_callbacks):
    client = client_for(world.assistant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal_invite", args=[patient.public_id]), {"email": ""})
    assert response.status_code == 302
    assert mail.outbox[-1].to == [EMAIL]  # defaults to the patient's own address
    page = Client()
    assert page.get(reverse("portal_home"))["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    "address", ["pia\u200b@mail.example", "pia@[192.0.2.1]", "pia\u202e@mail.example"]
)
def test_finding_7_a_lookalike_address_is_refused_for_a_portal_invitation(world, patient, address):
    from dentalbridge.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        services.patient_invitation_create(
            actor=acting(world.owner, world.practice), patient_id=patient.public_id, email=address
        )
    assert refused.value.fields["email"]
    assert mail.outbox == []


def test_finding_7_a_portal_invitation_goes_to_the_addresss_one_form(
    world, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = services.patient_invitation_create(
            actor=acting(world.owner, world.practice),
            patient_id=patient.public_id,
            email="  Pia.Patient@MAIL.Example. ",
        )
    assert invitation.email == "pia.patient@mail.example"
    assert mail.outbox[-1].to == ["pia.patient@mail.example"]
