"""The copy for an access or portability request (Arts. 15, 20): every piece of a patient's data,
checked by walking the processing register's categories; a FHIR Bundle that validates; the
files, byte for byte; a link that only works as long as it should."""

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from conftest import acting, client_for
from dentalbridge.files import services as file_services
from dentalbridge.files.tests.conftest import local_files  # noqa: F401 (fixture)
from dentalbridge.files.tests.factories import SCAN, stored_scan
from dentalbridge.gdpr import portability, requests
from dentalbridge.orders import access as orders_access
from dentalbridge.orders import services as order_services
from dentalbridge.orders.tests import conftest as order_fixtures
from dentalbridge.orders.tests.conftest import draft_order, put_in
from dentalbridge.organizations.models import Membership
from dentalbridge.patients import services as patient_services
from dentalbridge.patients.models import Patient
from dentalbridge.privacy.door import through_the_door
from dentalbridge.privacy.models import AuditEvent
from dentalbridge.privacy.principal import Principal
from dentalbridge.privacy.tests.test_patient_door import patient_data_models

pytestmark = pytest.mark.django_db

connected = order_fixtures.connected


@pytest.fixture
def seeded(world, connected, local_files, django_capture_on_commit_callbacks):  # noqa: F811
    """A patient with something in every place a patient's data can be."""
    owner = acting(world.owner, world.practice)
    dentist = acting(world.dentist, world.practice)
    patient = patient_services.patient_create(
        actor=owner, given_name="Elena", family_name="Exportova", date_of_birth=date(1984, 2, 29),
        sex="female", gender="woman", email="elena.exportova@patient.example",
        phone="+31 6 5555 0101", address="Kerkstraat 9, Utrecht", external_reference="EX-42",
        notes="Allergic to latex.", attending_dentist=world.dentist,
    )  # fmt: skip
    note = patient_services.record_item_create(
        actor=dentist, patient_id=patient.public_id, kind="note", title="Check-up",
        text="Caries 36.", taken_on=date(2026, 10, 1),
    )  # fmt: skip
    patient_services.record_item_update(
        actor=dentist, patient_id=patient.public_id, item_id=note.public_id, text="Caries 36, 37."
    )
    scan = stored_scan(dentist, patient)
    share = file_services.share_create(
        actor=owner, patient_id=patient.public_id, item_id=scan.item.public_id,
        lab_id=world.lab.public_id, note="For the crown",
    )  # fmt: skip
    file_services.designer_assign(
        actor=acting(world.manager, world.lab), share_id=share.public_id,
        designer_id=world.designer.public_id,
        ends_at=timezone.now() + timedelta(days=7),
    )  # fmt: skip
    patient_services.care_grant_create(
        actor=dentist, patient_id=patient.public_id, grantee_email=world.other_owner.email,
        reason="Implant planning",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        patient_services.patient_invitation_create(
            actor=owner, patient_id=patient.public_id, email=patient.email
        )
    order = draft_order(world, patient, preparation_notes="Chamfer margin")
    order_services.order_attach(
        actor=dentist, order_id=order.public_id, item_id=scan.item.public_id
    )
    put_in(order, "in_design")
    manager = acting(world.manager, world.lab)
    designer = Membership.objects.get(user=world.designer)
    order_services.order_assign(
        actor=manager, order_id=order.public_id, member_id=designer.public_id
    )
    order_services.order_message_post(
        actor=dentist, order_id=order.public_id, body="Shade A2 please"
    )
    seen = orders_access.order_access(manager, order.public_id)
    order_services.order_messages_read(
        actor=manager, order=seen, messages=orders_access.order_messages(seen)
    )  # the lab read the thread: a read receipt
    from dentalbridge.gdpr import erasure

    erasure.hold_place(actor=owner, patient_id=patient.public_id, kind="authority",
                       reason="Inspection 2026-4")  # fmt: skip
    made = requests.request_forward(
        actor=manager, order_reference=order.reference, kind="portability",
        requester_email=patient.email,
    )  # fmt: skip
    return patient, scan, made, order


def _export(made) -> zipfile.ZipFile:
    _name, stream = requests.export_open(requests.export_url(made).rsplit("/", 2)[-2])
    return zipfile.ZipFile(io.BytesIO(b"".join(stream)))


def _fk_path(model, target) -> str | None:
    """The lookup from ``model`` to ``target`` along foreign keys (breadth first)."""
    queue = [(model, "")]
    seen = set()
    while queue:
        current, path = queue.pop(0)
        if current is target:
            return path.removesuffix("__") or "pk"
        if current in seen:
            continue
        seen.add(current)
        for field in current._meta.concrete_fields:
            if field.many_to_one or field.one_to_one:
                if field.related_model in seen:
                    continue
                queue.append((field.related_model, f"{path}{field.name}__"))
    return None


def test_the_copy_holds_every_piece_of_the_patients_data_the_register_declares(seeded):
    patient, _scan, made, _order = seeded
    archive = _export(made)
    data = json.loads(archive.read("data.json"))
    exported = {
        entry["id"]: entry for rows in data["patient"].values() for entry in rows
    }  # every row by its id
    checked_models = 0
    for model in patient_data_models():
        names = portability.declared_fields(model._meta.label)
        if not names:
            continue
        path = _fk_path(model, Patient)
        lookup = "pk" if path == "pk" else f"{path}"
        with through_the_door():
            rows = list(model._default_manager.filter(**{lookup: patient.pk}))
        assert rows, f"the seeded patient has no {model._meta.label}: seed one"
        checked_models += 1
        for obj in rows:
            key = portability.row_id(obj)
            assert key in exported, f"{model._meta.label} {key} is missing from the copy"
            for name in names:
                assert exported[key][name] == json.loads(
                    json.dumps(portability._plain(getattr(obj, name)), default=str)
                ), f"{model._meta.label}.{name}"
    assert checked_models >= 12
    # The access log: who touched the record (without the staff members' addresses).
    events = data["patient"]["access_log"]
    assert len(events) == AuditEvent.objects.filter(patient_id=patient.public_id).count()
    assert all("ip" not in event and "actor_id" not in event for event in events)
    assert set(data["not_exported"]) >= {"files.PatientKey", "privacy.AuditEvent.ip"}


def test_the_fhir_bundle_validates_and_points_at_the_files(seeded):
    _patient, _scan, made, _order = seeded
    archive = _export(made)
    bundle = Bundle.model_validate_json(archive.read("fhir-bundle.json"))
    assert bundle.type == "collection"
    kinds = [entry.resource.__resource_type__ for entry in bundle.entry]
    assert kinds[0] == "Patient" and "Observation" in kinds and "DocumentReference" in kinds
    person = bundle.entry[0].resource
    assert person.name[0].family == "Exportova" and str(person.birthDate) == "1984-02-29"
    note = next(e.resource for e in bundle.entry if e.resource.__resource_type__ == "Observation")
    assert note.valueString == "Caries 36, 37."
    document = next(
        e.resource for e in bundle.entry if e.resource.__resource_type__ == "DocumentReference"
    )
    attachment = document.content[0].attachment
    assert archive.read(attachment.url) == SCAN  # the original, decrypted, byte for byte
    import hashlib

    # FHIR's attachment hash is SHA-1 by the standard; fhir.resources decodes its base64.
    assert attachment.hash == hashlib.sha1(SCAN, usedforsecurity=False).digest()
    assert attachment.size == len(SCAN)


def test_the_link_works_for_a_week_and_every_download_is_audited(world, seeded):
    _patient, _scan, made, _order = seeded
    url = requests.export_url(made)
    path = url.removeprefix("http://testserver").split("://", 1)[-1]
    path = path[path.index("/privacy/") :]
    response = client_for(None).get(path)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).testzip() is None
    assert AuditEvent.objects.filter(action="data_request.exported").count() == 1
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert client_for(None).get(path).status_code == 404
    forged = path.replace(path.split("/")[-2], path.split("/")[-2][:-4] + "AAAA")
    assert client_for(None).get(forged).status_code == 404


def test_an_erasure_request_has_no_copy(world, seeded):
    _patient, _scan, _made, order = seeded
    erasure = requests.request_forward(
        actor=acting(world.manager, world.lab), order_reference=order.reference, kind="erasure"
    )
    token = requests.export_url(erasure).rsplit("/", 2)[-2]
    from dentalbridge.core.errors import NotFound

    with pytest.raises(NotFound):
        requests.export_open(token)


def test_portability_sends_the_link_to_another_controller(
    world, seeded, django_capture_on_commit_callbacks
):
    _patient, _scan, made, _order = seeded
    with django_capture_on_commit_callbacks(execute=True):
        requests.request_answer(
            actor=acting(world.owner, world.practice), request_id=made.public_id,
            answer="Here is your data.", send_copy_to="records@new-practice.example",
        )  # fmt: skip
    to_controller = next(m for m in mail.outbox if m.to == ["records@new-practice.example"])
    assert "/privacy/download/" in to_controller.body
    to_person = next(m for m in mail.outbox if m.to == ["elena.exportova@patient.example"]
                     and "answer" in m.subject.lower())  # fmt: skip
    assert "/privacy/download/" in to_person.body


def test_a_person_gets_a_copy_of_their_account(world, django_capture_on_commit_callbacks):
    made = requests.request_create(actor=Principal(user=world.owner), kind="access")
    archive = _export(made)
    data = json.loads(archive.read("data.json"))
    account = data["account"]
    assert account["account"][0]["email"] == world.owner.email
    assert "password" not in account["account"][0]
    assert [m["role"] for m in account["memberships"]] == ["owner"]
    assert "fhir-bundle.json" not in archive.namelist()
    assert any(e["action"] == "data_request.received" for e in account["activity"])


def test_the_account_copy_has_every_kind_of_account_data_the_register_declares(world):
    """Seed a row of every account-data model a person can have, then walk the register."""
    from dentalbridge.accounts.services import api_token_create
    from dentalbridge.gdpr import consent, purposes
    from dentalbridge.messaging.models import Notification, NotificationPreference, OutgoingEmail

    user = world.owner
    api_token_create(actor=acting(user, world.practice), name="cad", valid_days=1)
    consent.record(purpose="newsletter", given=True, method="form", text_shown="x", user=user)
    Notification.objects.create(recipient=user, organization=world.practice, event="order_message",
                                text="New message", link="/orders/")  # fmt: skip
    NotificationPreference.objects.create(user=user, event="order_message", email=False)
    OutgoingEmail.objects.create(to=user.email, subject="s", text="t", html="h", user=user)
    rows = portability.account_rows(user)
    exported = {type(obj)._meta.label for section in rows.values() for obj in section}
    declared = set()
    for category in purposes.CATEGORIES:
        if category.key in {"account", "credentials", "consents", "communications"}:
            declared |= set(category.fields)
    not_seeded = {"organizations.Invitation", "socialaccount.SocialAccount"}  # none for this user
    not_seeded.add("patients.PatientInvitation")  # patient data: in the patient's copy
    secrets_only = {"account.EmailConfirmation", "socialaccount.SocialToken"}
    assert declared - not_seeded - secrets_only <= exported
