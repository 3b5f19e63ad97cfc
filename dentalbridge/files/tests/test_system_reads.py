"""Reads by the platform itself (issue 12, item 1): the files' system-use access functions (and
the GDPR workflows' ``labs_of_patient`` built on them) take a ``SystemActor`` — a closed purpose,
and the person whose action started the work, if any — refuse anything else before reading, and
audit the read as ``system.read`` on the system channel. The tasks and the erasure name their
purpose."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from conftest import acting, make_user
from dentalbridge.files import access, pipeline, services, tasks, uploads
from dentalbridge.files.tests.factories import DUMMY_TASKS, stored_scan
from dentalbridge.gdpr import access as gdpr_access
from dentalbridge.organizations.models import ConnectionStatus, LabConnection
from dentalbridge.patients.models import PatientAccount
from dentalbridge.privacy.door import through_the_door
from dentalbridge.privacy.principal import Principal, Purpose, SystemActor
from dentalbridge.privacy.tests.system_reads import (
    assert_refuses_all_but_a_system_actor,
    system_reads,
    the_system_read,
)

pytestmark = pytest.mark.django_db

LATER = timedelta(days=30)  # past every upload's expiry and every asset's last progress


@pytest.fixture
def scan(world, patient, local_files):
    """A stored scan of the patient, shared with a connected lab, and an upload left unfinished."""
    LabConnection.objects.create(
        practice=world.practice, lab=world.lab, status=ConnectionStatus.ACCEPTED
    )
    owner = acting(world.owner, world.practice)
    asset = stored_scan(owner, patient)
    services.share_create(
        actor=owner,
        patient_id=patient.public_id,
        item_id=asset.item.public_id,
        lab_id=world.lab.public_id,
    )
    uploads.upload_create(
        actor=owner,
        length=100,
        metadata={"filename": "late.stl", "patient": str(patient.public_id)},
    )
    return asset


# name → (how to call it, what the event names: the patient, the asset, or how many rows)
CALLS = {
    "uploads_expired": (
        lambda system, asset: access.uploads_expired(system, timezone.now() + LATER),
        "count",
    ),
    "asset_for_pipeline": (
        lambda system, asset: access.asset_for_pipeline(system, asset.pk),
        "asset",
    ),
    "assets_stalled": (
        lambda system, asset: access.assets_stalled(
            system, timezone.now() + LATER, unleased_before=timezone.now() + LATER
        ),
        "count",
    ),
    "files_of_patient": (
        lambda system, asset: access.files_of_patient(system, asset.patient),
        "patient",
    ),
    "destroy_archived_keys": (
        lambda system, asset: access.destroy_archived_keys(system, asset.patient.public_id),
        "count",
    ),
    "share_labs_of_patient": (
        lambda system, asset: access.share_labs_of_patient(system, asset.patient),
        "patient",
    ),
    "labs_of_patient": (
        lambda system, asset: gdpr_access.labs_of_patient(system, asset.patient),
        "patient",
    ),
}
PURPOSES = {
    "uploads_expired": Purpose.UPLOAD_CLEANUP,
    "asset_for_pipeline": Purpose.INTAKE,
    "assets_stalled": Purpose.STALLED_FILES,
    "files_of_patient": Purpose.RETENTION,
    "destroy_archived_keys": Purpose.RETENTION,
    "share_labs_of_patient": Purpose.DELETION_INSTRUCTIONS,
    "labs_of_patient": Purpose.DELETION_INSTRUCTIONS,
}


@pytest.mark.parametrize("name", CALLS)
def test_a_system_read_refuses_a_principal_or_nothing(world, scan, name):
    call, _subject = CALLS[name]
    assert_refuses_all_but_a_system_actor(
        lambda actor: call(actor, scan), acting(world.owner, world.practice)
    )


@pytest.mark.parametrize("name", CALLS)
def test_a_system_read_is_audited_with_its_purpose(world, scan, name):
    call, subject = CALLS[name]
    result = call(SystemActor(PURPOSES[name]), scan)
    event = the_system_read(name, PURPOSES[name])
    if subject == "count":
        assert event.data["count"] == (result if isinstance(result, int) else len(result))
        assert event.patient_id is None
    elif subject == "asset":
        assert (event.target_type, event.target_id) == ("files.asset", str(scan.public_id))
        assert event.patient_id == scan.patient.public_id
    else:
        assert event.target_id == str(scan.patient.public_id)
        assert event.patient_id == scan.patient.public_id
    assert "Doe" not in str(event.data) and "Jane" not in str(event.data)


def test_the_reads_find_what_they_did_before(world, scan):
    """Behaviour unchanged: the same rows as before the actor was added."""
    system = SystemActor(Purpose.RETENTION)
    assert [u.status for u in access.uploads_expired(system, timezone.now() + LATER)] == [
        "receiving"
    ]
    assert access.asset_for_pipeline(system, scan.pk) == scan
    assert access.asset_for_pipeline(system, -1) is None
    assert system_reads("asset_for_pipeline")[-1].data["count"] == 0
    assets, found_uploads, keys = access.files_of_patient(system, scan.patient)
    assert scan in assets and len(found_uploads) == 2 and len(keys) == 1
    assert access.share_labs_of_patient(system, scan.patient) == [world.lab]
    assert gdpr_access.labs_of_patient(system, scan.patient) == {world.lab: []}


def test_the_person_who_started_the_work_is_named(world, scan):
    owner = acting(world.owner, world.practice)
    access.files_of_patient(SystemActor(Purpose.ERASURE, on_behalf_of=owner), scan.patient)
    [event] = system_reads("files_of_patient")
    assert (event.actor_id, event.organization_id) == (
        world.owner.public_id,
        world.practice.public_id,
    )
    assert (event.via, event.data["purpose"]) == ("system", "erasure")


def test_the_tasks_name_their_purpose(world, scan, settings):
    settings.TASKS = DUMMY_TASKS
    with time_machine.travel(timezone.now() + LATER):
        assert tasks.expire_uploads.call() == {"expired": 1}
        tasks.resume_stalled_assets.call()
    pipeline.process_asset.call(scan.pk)  # ready already: skipped, but read
    services.repair_asset.call(-1)  # no such asset: nothing to repair, but looked up
    purposes = [(e.data["read"], e.data["purpose"]) for e in system_reads()]
    assert purposes == [
        ("uploads_expired", "upload_cleanup"),
        ("assets_stalled", "stalled_files"),
        ("asset_for_pipeline", "intake"),
        ("asset_for_pipeline", "intake"),
    ]


def test_an_erasure_reads_for_the_person_who_carries_it_out(
    world, scan, settings, tmp_path, django_capture_on_commit_callbacks
):
    from dentalbridge.gdpr import erasure, requests

    settings.ERASURE_LOG = tmp_path / "erasure-log.jsonl"
    patient = scan.patient
    user = make_user("jane.doe@patient.example", "Jane Doe")
    with through_the_door():
        PatientAccount.objects.create(patient=patient, user=user)
    made = requests.request_create(
        actor=Principal(user=user), kind="erasure", patient_id=patient.public_id
    )
    past_the_archive_period = time_machine.travel(timezone.now() + timedelta(days=366 * 21))
    with past_the_archive_period, django_capture_on_commit_callbacks(execute=True):
        receipt = erasure.erase_for_request(
            actor=acting(world.owner, world.practice), request_id=made.public_id
        )
    assert receipt["mode"] == "erased"
    reads = {(e.data["read"], e.data["purpose"], e.actor_id) for e in system_reads()}
    owner = world.owner.public_id
    assert reads == {
        ("active_holds_of_patient", "erasure", owner),  # what the erasure may do
        ("labs_of_patient", "deletion_instructions", owner),
        ("sent_orders_of_patient", "deletion_instructions", owner),  # the orders app's part
        ("share_labs_of_patient", "deletion_instructions", owner),
        ("files_of_patient", "erasure", owner),
        ("archives_of_patient", "erasure", owner),
    }
    # A replay after a restore is the platform's own: nobody is behind it.
    erasure.replay()
    [replayed] = system_reads("patient_by_ref")
    assert (replayed.data["purpose"], replayed.actor_id, replayed.data["count"]) == (
        "erasure",
        None,
        0,
    )


def test_an_erasure_within_the_archive_period_reads_the_files_for_the_erasure(
    world, scan, settings, tmp_path, django_capture_on_commit_callbacks
):
    """The record goes into the archive the way the retention run's purge puts it there, but
    the files it lists are read for the erasure, on behalf of the person carrying it out."""
    from dentalbridge.gdpr import erasure, requests

    settings.ERASURE_LOG = tmp_path / "erasure-log.jsonl"
    patient = scan.patient
    user = make_user("jane.doe@patient.example", "Jane Doe")
    with through_the_door():
        PatientAccount.objects.create(patient=patient, user=user)
    made = requests.request_create(
        actor=Principal(user=user), kind="erasure", patient_id=patient.public_id
    )
    with django_capture_on_commit_callbacks(execute=True):
        receipt = erasure.erase_for_request(
            actor=acting(world.owner, world.practice), request_id=made.public_id
        )
    assert receipt["mode"] == "archived"
    owner = world.owner.public_id
    assert [(e.data["purpose"], e.actor_id) for e in system_reads("files_of_patient")] == [
        ("erasure", owner),  # what goes now: previews, lab copies, unfinished uploads
        ("erasure", owner),  # what the archive lists (the retention run's purpose before)
    ]
    assert "retention" not in {e.data["purpose"] for e in system_reads()}
