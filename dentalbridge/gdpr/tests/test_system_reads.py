"""Reads by the platform itself (issue 12, item 1): the GDPR workflows' system-use access functions
take a ``SystemActor`` — a closed purpose, and the person whose action started the work, if any —
refuse anything else before reading, and audit the read as ``system.read`` on the system channel.
The reminders, the copy, the routing, the retention engine and the erasure name their purpose;
the legal holds a person sees on a page are read with that person's principal."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from conftest import acting, make_user
from dentalbridge.core.errors import Forbidden
from dentalbridge.gdpr import access, erasure, requests, retention
from dentalbridge.gdpr.models import RequestStatus
from dentalbridge.patients import services as patient_services
from dentalbridge.patients.models import PatientAccount
from dentalbridge.privacy.door import through_the_door
from dentalbridge.privacy.models import AuditEvent
from dentalbridge.privacy.principal import Principal, Purpose, SystemActor
from dentalbridge.privacy.tests.system_reads import (
    assert_refuses_all_but_a_system_actor,
    system_reads,
    the_system_read,
)

pytestmark = pytest.mark.django_db

EMAIL = "rosa.request@patient.example"
LATER = timedelta(days=60)  # past every request's deadline


@pytest.fixture
def rosa(world):
    """A patient of Smile Studio with a portal account, under a legal hold, who asked for a copy
    of her record."""
    owner = acting(world.owner, world.practice)
    patient = patient_services.patient_create(
        actor=owner, given_name="Rosa", family_name="Request", date_of_birth=date(1980, 5, 5),
        email=EMAIL,
    )  # fmt: skip
    user = make_user(EMAIL, "Rosa Request")
    with through_the_door():
        PatientAccount.objects.create(patient=patient, user=user)
    erasure.hold_place(actor=owner, patient_id=patient.public_id, kind="tax", reason="Audit 7")
    made = requests.request_create(
        actor=Principal(user=user), kind="access", patient_id=patient.public_id
    )
    return patient, user, made


# name → (how to call it, what the event names: the patient, the request, how many rows, or
# nothing more — a query the caller counts and deletes)
CALLS = {
    "data_request_for_export": (
        lambda system, made: access.data_request_for_export(system, made.public_id),
        "request",
    ),
    "data_requests_open_due_by": (
        lambda system, made: access.data_requests_open_due_by(system, timezone.now() + LATER),
        "count",
    ),
    "patient_export_sections": (
        lambda system, made: access.patient_export_sections(system, made.patient),
        "patient",
    ),
    "active_holds_of_patient": (
        lambda system, made: access.active_holds_of_patient(system, made.patient),
        "patient",
    ),
    "data_requests_answered_before": (
        lambda system, made: access.data_requests_answered_before(
            system, timezone.now() + LATER, (RequestStatus.DONE, RequestStatus.REFUSED)
        ),
        "query",
    ),
    "held_patient_ids": (
        lambda system, made: access.held_patient_ids(system),
        "count",
    ),
}
PURPOSES = {
    "data_request_for_export": Purpose.DATA_REQUESTS,
    "data_requests_open_due_by": Purpose.DATA_REQUESTS,
    "patient_export_sections": Purpose.DATA_REQUESTS,
    "active_holds_of_patient": Purpose.ERASURE,
    "data_requests_answered_before": Purpose.RETENTION,
    "held_patient_ids": Purpose.RETENTION,
}


def _link(message) -> str:
    return re.search(r"/privacy/request/confirm/([^/\s]+)/", message.body).group(1)


def _reads(*names: str) -> list[tuple]:
    """(read, purpose, actor) of the system reads of ``names``, in order."""
    return [
        (e.data["read"], e.data["purpose"], e.actor_id)
        for e in system_reads()
        if e.data["read"] in names
    ]


@pytest.mark.parametrize("name", CALLS)
def test_a_system_read_refuses_a_principal_or_nothing(world, rosa, name):
    call, _subject = CALLS[name]
    assert_refuses_all_but_a_system_actor(
        lambda actor: call(actor, rosa[2]), acting(world.owner, world.practice)
    )


@pytest.mark.parametrize("name", CALLS)
def test_a_system_read_is_audited_with_its_purpose(world, rosa, name):
    patient, _user, made = rosa
    call, subject = CALLS[name]
    result = call(SystemActor(PURPOSES[name]), made)
    event = the_system_read(name, PURPOSES[name])
    if subject == "count":
        assert event.data["count"] == len(result) == 1
        assert event.patient_id is None
    elif subject == "query":
        assert "count" not in event.data and event.patient_id is None
    elif subject == "request":
        assert result == made
        assert (event.target_type, event.target_id) == ("gdpr.datarequest", str(made.public_id))
        assert event.patient_id == patient.public_id
    else:
        assert (event.target_type, event.target_id) == ("patients.patient", str(patient.public_id))
        assert event.patient_id == patient.public_id
    for identifying in ("Rosa", "Request", EMAIL, "Audit 7"):
        assert identifying not in str(event.data)


def test_the_reads_find_what_they_did_before(world, rosa):
    """Behaviour unchanged: the same rows as before the actor was added."""
    patient, _user, made = rosa
    system = SystemActor(Purpose.DATA_REQUESTS)
    assert access.data_request_for_export(system, "0" * 32) is None
    assert system_reads("data_request_for_export")[-1].data["count"] == 0
    assert access.data_requests_open_due_by(system, timezone.now()) == []
    assert access.data_requests_open_due_by(system, timezone.now() + LATER) == [made]
    sections = access.patient_export_sections(system, patient)
    assert sections["patient"] == [patient] and sections["data_requests"] == [made]
    assert [hold.reason for hold in sections["legal_holds"]] == ["Audit 7"]
    assert list(sections)[-1] == "access_log"
    # The copy's access log shows the read that made it.
    assert sections["access_log"][-1].data["read"] == "patient_export_sections"
    retention_run = SystemActor(Purpose.RETENTION)
    assert access.held_patient_ids(retention_run) == [patient.pk]
    answered = (RequestStatus.DONE, RequestStatus.REFUSED)
    later = timezone.now() + LATER
    assert list(access.data_requests_answered_before(retention_run, later, answered)) == []
    requests.request_answer(
        actor=acting(world.owner, world.practice), request_id=made.public_id, answer="Enclosed."
    )
    assert list(access.data_requests_answered_before(retention_run, later, answered)) == [made]
    [hold] = access.active_holds_of_patient(SystemActor(Purpose.ERASURE), patient)
    assert hold.reason == "Audit 7"


def test_the_person_who_started_the_work_is_named(world, rosa):
    owner = acting(world.owner, world.practice)
    access.active_holds_of_patient(SystemActor(Purpose.ERASURE, on_behalf_of=owner), rosa[0])
    [event] = system_reads("active_holds_of_patient")
    assert (event.actor_id, event.organization_id) == (
        world.owner.public_id,
        world.practice.public_id,
    )
    assert (event.via, event.data["purpose"]) == ("system", "erasure")


def test_the_holds_on_a_page_are_read_with_the_viewers_principal(world, rosa):
    """The patient's page and an erasure request's page: the owner who keeps the holds sees
    them; anyone else is refused, and nothing is read as the platform's."""
    patient = rosa[0]
    before = AuditEvent.objects.count()
    owner = acting(world.owner, world.practice)
    assert access.keeps_legal_holds(owner, patient)
    assert [hold.reason for hold in access.legal_holds_of(owner, patient)] == ["Audit 7"]
    for other in (
        acting(world.dentist, world.practice),  # the practice, without the permission
        acting(world.other_owner, world.other_practice),  # another practice's owner
        acting(world.dpo, world.platform),  # the platform's DPO
        Principal(user=rosa[1]),  # the patient
    ):
        assert not access.keeps_legal_holds(other, patient)
        with pytest.raises(Forbidden):
            access.legal_holds_of(other, patient)
    assert AuditEvent.objects.count() == before  # the page audits the patient it shows


def test_the_reminders_read_for_the_data_requests(world, rosa):
    with time_machine.travel(timezone.now() + timedelta(days=23.5)):
        assert requests.reminders_due() == 1
    assert _reads("data_requests_open_due_by") == [
        ("data_requests_open_due_by", "data_requests", None)
    ]


def test_the_copy_is_made_for_the_requester(world, rosa):
    """Whoever holds the download link is nobody the platform knows: the request is looked up by
    the platform itself; the copy is made on behalf of the person who asked for it."""
    _patient, user, made = rosa
    token = requests.export_url(made).rsplit("/", 2)[-2]
    requests.export_open(token)
    assert _reads("data_request_for_export", "patient_export_sections") == [
        ("data_request_for_export", "data_requests", None),
        ("patient_export_sections", "data_requests", user.public_id),
    ]


def test_routing_a_request_reads_for_the_data_requests(
    world, rosa, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        requests.request_create_public(
            name="Rosa", email=EMAIL, kind="access", details="", ip="198.51.100.8"
        )
    verified = requests.request_verify(_link(mail.outbox[-1]))
    assert verified.patient == rosa[0]  # routed to her practice, as before
    # A request whose address matches no record: the platform's DPO names the practice.
    with django_capture_on_commit_callbacks(execute=True):
        requests.request_create_public(
            name="Rosa", email="another.address@patient.example", kind="access", details="",
            ip="198.51.100.9",
        )  # fmt: skip
    other = requests.request_verify(_link(mail.outbox[-1]))
    dpo = acting(world.dpo, world.platform)
    requests.request_route(
        actor=dpo, request_id=other.public_id, practice_id=world.practice.public_id
    )
    assert _reads("patients_with_email") == [
        ("patients_with_email", "data_requests", None),  # the requester: nobody known yet
        ("patients_with_email", "data_requests", None),
        ("patients_with_email", "data_requests", world.dpo.public_id),  # the DPO routing it
    ]
    assert [e.data["count"] for e in system_reads("patients_with_email")] == [1, 0, 0]


def test_the_retention_engine_reads_for_retention(world, rosa):
    retention.run()
    dpo = acting(world.dpo, world.platform)
    retention.run(dry_run=True, actor=dpo)
    retention.expired_counts(actor=dpo)
    names = ("data_requests_answered_before", "held_patient_ids")
    assert _reads(*names) == [
        ("data_requests_answered_before", "retention", None),  # the nightly run: nobody
        ("held_patient_ids", "retention", None),
        ("data_requests_answered_before", "retention", world.dpo.public_id),  # the dry run
        ("held_patient_ids", "retention", world.dpo.public_id),
        ("data_requests_answered_before", "retention", world.dpo.public_id),  # the workspace
        ("held_patient_ids", "retention", world.dpo.public_id),
    ]


def test_an_erasure_reads_the_holds_for_the_person_who_carries_it_out(
    world, rosa, settings, tmp_path
):
    patient, user, _made = rosa
    settings.ERASURE_LOG = tmp_path / "erasure-log.jsonl"
    made = requests.request_create(
        actor=Principal(user=user), kind="erasure", patient_id=patient.public_id
    )
    receipt = erasure.erase_for_request(
        actor=acting(world.owner, world.practice), request_id=made.public_id
    )
    assert receipt["mode"] == "held"  # the hold keeps everything, as before
    assert _reads("active_holds_of_patient") == [
        ("active_holds_of_patient", "erasure", world.owner.public_id)
    ]
