"""Reads by the platform itself (issue 12, item 1): the patients' system-use access functions take
a ``SystemActor`` — a closed purpose, and the person whose action started the work, if any —
refuse anything else before reading, and audit the read as ``system.read`` on the system channel.
The retention run names its purpose, and the erasure its own."""

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from conftest import acting
from dentalbridge.patients import access, services
from dentalbridge.patients.retention import patients_purge_due
from dentalbridge.privacy.principal import Purpose, SystemActor
from dentalbridge.privacy.tests.system_reads import (
    assert_refuses_all_but_a_system_actor,
    system_reads,
    the_system_read,
)

pytestmark = pytest.mark.django_db

LATER = timedelta(days=366 * 30)  # past the restore period and every archive period


@pytest.fixture
def patient(world):
    return services.patient_create(
        actor=acting(world.owner, world.practice),
        given_name="Dario",
        family_name="Delete",
        date_of_birth=date(1950, 6, 6),
        email="dario.delete@patient.example",
        attending_dentist=world.dentist,
    )


# name → (how to call it, what the event names: the patient, or how many rows)
CALLS = {
    "patients_due_for_purge": (
        lambda system, patient: access.patients_due_for_purge(system, timezone.now() + LATER),
        "count",
    ),
    "archives_due_for_removal": (
        lambda system, patient: access.archives_due_for_removal(
            system, (timezone.now() + LATER).date()
        ),
        "count",
    ),
    "archives_of_patient": (
        lambda system, patient: access.archives_of_patient(system, patient.public_id),
        "count",
    ),
    "patient_by_ref": (
        lambda system, patient: access.patient_by_ref(system, patient.public_id),
        "patient",
    ),
    "patients_with_email": (
        lambda system, patient: access.patients_with_email(system, " Dario.Delete@patient.example"),
        "count",
    ),
}
PURPOSES = {
    "patients_due_for_purge": Purpose.RETENTION,
    "archives_due_for_removal": Purpose.RETENTION,
    "archives_of_patient": Purpose.ERASURE,
    "patient_by_ref": Purpose.ERASURE,
    "patients_with_email": Purpose.DATA_REQUESTS,
}


@pytest.mark.parametrize("name", CALLS)
def test_a_system_read_refuses_a_principal_or_nothing(world, patient, name):
    call, _subject = CALLS[name]
    assert_refuses_all_but_a_system_actor(
        lambda actor: call(actor, patient), acting(world.owner, world.practice)
    )


@pytest.mark.parametrize("name", CALLS)
def test_a_system_read_is_audited_with_its_purpose(world, patient, name):
    call, subject = CALLS[name]
    result = call(SystemActor(PURPOSES[name]), patient)
    event = the_system_read(name, PURPOSES[name])
    if subject == "count":
        assert event.data["count"] == len(result)
        assert event.patient_id is None
    else:
        assert result == patient
        assert (event.target_type, event.target_id) == ("patients.patient", str(patient.public_id))
        assert event.patient_id == patient.public_id
    assert "Dario" not in str(event.data) and "Delete" not in str(event.data)
    assert "dario.delete" not in str(event.data).lower()  # the address looked for, neither


def test_the_address_finds_the_patients_it_did_before(world, patient):
    """Behaviour unchanged: any case, surrounding blanks, not a deleted patient."""
    system = SystemActor(Purpose.DATA_REQUESTS)
    assert access.patients_with_email(system, " DARIO.delete@patient.example ") == [patient]
    services.patient_delete(
        actor=acting(world.owner, world.practice), patient_id=patient.public_id, reason="moved"
    )
    assert access.patients_with_email(system, "dario.delete@patient.example") == []
    assert [e.data["count"] for e in system_reads("patients_with_email")] == [1, 0]


def test_the_person_who_started_the_work_is_named(world, patient):
    owner = acting(world.owner, world.practice)
    access.patient_by_ref(SystemActor(Purpose.ERASURE, on_behalf_of=owner), patient.public_id)
    [event] = system_reads("patient_by_ref")
    assert (event.actor_id, event.organization_id) == (
        world.owner.public_id,
        world.practice.public_id,
    )
    assert (event.via, event.data["purpose"]) == ("system", "erasure")


def test_an_unknown_patient_is_a_read_of_nothing(world):
    assert access.patient_by_ref(SystemActor(Purpose.ERASURE), "0" * 32) is None
    [event] = system_reads("patient_by_ref")
    assert (event.data["count"], event.patient_id, event.target_id) == (0, None, "")


def test_the_retention_run_reads_for_retention(world, patient):
    services.patient_delete(
        actor=acting(world.owner, world.practice), patient_id=patient.public_id, reason="moved"
    )
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert patients_purge_due().purged == 1
    with time_machine.travel(timezone.now() + LATER):
        assert patients_purge_due().archives_removed == 1
    reads = [(e.data["read"], e.data["purpose"], e.data.get("count")) for e in system_reads()]
    assert reads == [
        ("patients_due_for_purge", "retention", 1),
        ("files_of_patient", "retention", None),  # the files the archive lists
        ("archives_due_for_removal", "retention", 0),
        ("patients_due_for_purge", "retention", 0),
        ("archives_due_for_removal", "retention", 1),
        ("destroy_archived_keys", "retention", 0),  # the keys kept for the archive
    ]


def test_the_record_files_are_read_for_the_callers_purpose(world, patient):
    """``RecordFiles.archive``/``shred`` read the files for the actor they are handed: the
    retention run's, or an erasure's on behalf of the person carrying it out."""
    from dentalbridge.patients.record_files import record_files

    owner = acting(world.owner, world.practice)
    erasing = SystemActor(Purpose.ERASURE, on_behalf_of=owner)
    assert record_files().archive(patient, erasing) == []
    services.patient_delete(actor=owner, patient_id=patient.public_id, reason="moved")
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        patients_purge_due()
    [archive] = access.archives_of_patient(SystemActor(Purpose.ERASURE), patient.public_id)
    record_files().shred(archive, erasing)
    reads = [
        (e.data["read"], e.data["purpose"], e.actor_id)
        for e in system_reads()
        if e.data["read"] in ("files_of_patient", "destroy_archived_keys")
    ]
    assert reads == [
        ("files_of_patient", "erasure", world.owner.public_id),
        ("files_of_patient", "retention", None),  # the purge's own
        ("destroy_archived_keys", "erasure", world.owner.public_id),
    ]
