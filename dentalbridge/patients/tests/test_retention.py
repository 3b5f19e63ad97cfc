"""Delete → restorable for 30 days → purged for real, except the legal archive copy, which only
the owner opens for a stated purpose and which goes when its period ends (REC-5)."""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from conftest import acting
from dentalbridge.core.errors import Forbidden, NotFound
from dentalbridge.patients import access, services
from dentalbridge.patients.models import CareTeamGrant, Patient, RecordItem, RecordItemVersion
from dentalbridge.patients.retention import patients_purge_due
from dentalbridge.patients.tasks import purge_deleted_patients
from dentalbridge.privacy import audit
from dentalbridge.privacy.door import through_the_door
from dentalbridge.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def deleted_patient(world):
    dentist = acting(world.dentist, world.practice)
    patient = services.patient_create(
        actor=dentist,
        given_name="Dario",
        family_name="Delete",
        date_of_birth=date(1950, 6, 6),
        attending_dentist=world.dentist,
    )
    item = services.record_item_create(
        actor=dentist, patient_id=patient.public_id, kind="note", title="Extraction 48"
    )
    services.record_item_update(
        actor=dentist, patient_id=patient.public_id, item_id=item.public_id, text="Healed."
    )
    services.care_grant_create(
        actor=dentist,
        patient_id=patient.public_id,
        grantee_email=world.other_owner.email,
        reason="Surgery",
    )
    services.patient_delete(actor=dentist, patient_id=patient.public_id, reason="moved away")
    return patient


def rows(patient) -> dict:
    with through_the_door():
        return {
            "patients": Patient.objects.filter(pk=patient.pk).count(),
            "items": RecordItem.objects.filter(patient_id=patient.pk).count(),
            "versions": RecordItemVersion.objects.filter(item__patient_id=patient.pk).count(),
            "grants": CareTeamGrant.objects.filter(patient_id=patient.pk).count(),
        }


def test_nothing_is_purged_within_the_restore_period(deleted_patient):
    with time_machine.travel(timezone.now() + timedelta(days=29)):
        assert patients_purge_due().purged == 0
    assert rows(deleted_patient)["patients"] == 1


def test_after_thirty_days_the_record_is_gone_but_the_archive_copy_is_kept(world, deleted_patient):
    before = AuditEvent.objects.filter(patient_id=deleted_patient.public_id).count()
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        report = purge_deleted_patients.enqueue().return_value
        purged_on = timezone.localdate()
    assert report == {"purged": 1, "archives_removed": 0}
    assert rows(deleted_patient) == {"patients": 0, "items": 0, "versions": 0, "grants": 0}
    owner = acting(world.owner, world.practice)
    archive = access.archives_query(owner).get()
    assert archive.pseudonym == deleted_patient.pseudonym
    assert archive.keep_until == purged_on.replace(year=purged_on.year + 20)  # NL practice
    # The audit log keeps the trail (random ids only) and records the purge, after the system
    # read of the patient's files the archive lists (for retention); the chain holds.
    trail = AuditEvent.objects.filter(patient_id=deleted_patient.public_id).order_by("seq")
    new = list(trail)[before:]
    assert [(e.action, e.data.get("read")) for e in new] == [
        ("system.read", "files_of_patient"),
        ("patient.purged", None),
    ]
    assert (new[0].via, new[0].data["purpose"], new[0].actor_id) == ("system", "retention", None)
    purge = AuditEvent.objects.get(action="patient.purged")
    assert purge.via == "system" and "Delete" not in str(purge.data)
    assert audit.verify().ok


def test_only_the_owner_opens_the_archive_and_states_why(world, deleted_patient):
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        patients_purge_due()
    owner = acting(world.owner, world.practice)
    archive = access.archives_query(owner).get()
    opened = access.archive_access(owner, archive.public_id, purpose="Court order 2027/114")
    record = opened.content["record"]
    assert [v["text"] for v in record[0]["versions"]] == ["", "Healed."]
    event = AuditEvent.objects.get(action="archive.viewed")
    assert event.reason == "Court order 2027/114"
    with pytest.raises(Forbidden):
        access.archives_query(acting(world.dentist, world.practice))
    with pytest.raises(NotFound):
        access.archive_access(
            acting(world.other_owner, world.other_practice), archive.public_id, purpose="x"
        )
    with pytest.raises(NotFound):
        access.archives_query(acting(world.manager, world.lab))


def test_the_archive_goes_when_its_period_ends(world, deleted_patient, settings):
    settings.MEDICAL_ARCHIVE_YEARS = {"NL": 1}
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        patients_purge_due()
    keep_until = access.archives_query(acting(world.owner, world.practice)).get().keep_until
    last_day = timezone.make_aware(datetime.combine(keep_until, time(12)))
    with time_machine.travel(last_day):
        assert patients_purge_due().archives_removed == 0  # the last day is still kept
    with time_machine.travel(last_day + timedelta(days=1)):
        assert patients_purge_due().archives_removed == 1
    assert not access.archives_query(acting(world.owner, world.practice)).exists()
    assert AuditEvent.objects.filter(action="archive.purged").count() == 1
    assert audit.verify().ok


def test_the_purge_runs_every_night():
    from crontask import scheduler

    jobs = {job.name: job for job in scheduler.get_jobs()}
    job = jobs[purge_deleted_patients.name]
    assert str(job.trigger).startswith("cron[")
    assert "hour='3'" in str(job.trigger) and "minute='30'" in str(job.trigger)
