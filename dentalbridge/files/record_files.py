"""The files app's side of ``patients.record_files.RecordFiles``."""

from dentalbridge.files import delivery, retention
from dentalbridge.privacy.principal import SystemActor


class RecordFiles:
    def archive(self, patient, system: SystemActor) -> list[dict]:
        return retention.archive_files(patient, system=system)

    def archive_done(self, listing: list[dict]) -> None:
        retention.delete_previews(listing)

    def shred(self, archive, system: SystemActor) -> None:
        retention.shred_archived_files(archive, system=system)

    def copy_entries(self, patient, items):
        # What the practice has confirmed: a file held for its decision is not sent out yet.
        return delivery.file_entries(patient, items, outside=False, folder="files/", held=False)

    def copy_audit(self, actor, patient, entries) -> None:
        delivery.audit_zip_files(actor, patient, entries, organization=patient.organization)

    def copy_stream(self, entries, texts):
        return delivery.zip_stream(entries, texts)
