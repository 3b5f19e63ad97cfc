"""The files app's side of ``patients.record_files.RecordFiles``."""

from dentalbridge.files import delivery, retention


class RecordFiles:
    def archive(self, patient) -> list[dict]:
        return retention.archive_files(patient)

    def archive_done(self, listing: list[dict]) -> None:
        retention.delete_previews(listing)

    def shred(self, archive) -> None:
        retention.shred_archived_files(archive)

    def copy_entries(self, patient, items):
        # What the practice has confirmed: a file held for its decision is not sent out yet.
        return delivery.file_entries(patient, items, outside=False, folder="files/", held=False)

    def copy_audit(self, actor, patient, entries) -> None:
        delivery.audit_zip_files(actor, patient, entries, organization=patient.organization)

    def copy_stream(self, entries, texts):
        return delivery.zip_stream(entries, texts)
