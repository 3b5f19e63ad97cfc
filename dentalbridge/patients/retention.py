"""Purging deleted patients (REC-5), run daily by the scheduler.

A deleted patient stays restorable for ``PATIENT_RESTORE_DAYS``; then the record is purged for
real — the patient row and, by cascade, record items, versions, care-team grants, portal links
and invitations — except the archive copy the law requires the practice to keep for the archive
period of its country (the processing register's ``medical_archive`` rule), which is removed in
turn when that period ends. The audit log keeps the events (they name the patient by a random id
only, never by identity) and records each purge.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dentalbridge.patients import access
from dentalbridge.patients.copies import record_content
from dentalbridge.patients.models import PatientArchive
from dentalbridge.patients.record_files import record_files
from dentalbridge.privacy.audit import AuditAction, record
from dentalbridge.privacy.principal import Purpose, SystemActor
from dentalbridge.privacy.workflows import Period, workflows


@dataclass(frozen=True)
class PurgeReport:
    purged: int
    archives_removed: int


def archive_period(country_code: str) -> Period:
    """How long the archive copy is kept: the processing register's medical archive period for
    the practice's country (PRV-5)."""
    return workflows().retention_period("medical_archive", country_code)


def archive_record(patient, *, keep_until, reason: str, system: SystemActor) -> PatientArchive:
    """Close a patient's record into the archive copy the law requires (kept until
    ``keep_until``), and delete the live record: the purge after the restore period, and an
    erasure request within the archive period, end the same way (``system`` says which: its
    files are read for that purpose)."""
    items = list(access.record_of(patient))
    with transaction.atomic():
        listing = record_files().archive(patient, system)
        content = record_content(patient, items)
        content["files"] = [entry for entry in listing if "delete" not in entry]
        archive = PatientArchive(
            organization=patient.organization,
            patient_id=patient.public_id,
            pseudonym=patient.pseudonym,
            content=content,
            deleted_at=patient.deleted_at or timezone.now(),
            keep_until=keep_until,
        )
        archive.save(force_insert=True)
        record(
            AuditAction.PATIENT_PURGED,
            organization=patient.organization,
            patient=patient,
            target=archive,
            reason=reason,
            data={"archive_until": keep_until.isoformat(), "items": len(items)},
        )
        patient.delete()
    transaction.on_commit(lambda: record_files().archive_done(listing))
    return archive


def patients_purge_due() -> PurgeReport:
    now = timezone.now()
    cutoff = now - timedelta(days=settings.PATIENT_RESTORE_DAYS)
    system = SystemActor(Purpose.RETENTION)
    purged = 0
    for patient in access.patients_due_for_purge(system, cutoff):
        archive_record(
            patient,
            keep_until=archive_period(str(patient.organization.country)).after(now.date()),
            reason="retention: restore period over",
            system=system,
        )
        purged += 1
    removed = 0
    for archive in access.archives_due_for_removal(system, now.date()):
        with transaction.atomic():
            record(
                AuditAction.ARCHIVE_PURGED,
                organization=archive.organization,
                target=archive,
                reason="retention: archive period over",
                data={"patient": str(archive.patient_id)},
            )
            record_files().shred(archive, system)
            archive.delete()
        removed += 1
    return PurgeReport(purged=purged, archives_removed=removed)
