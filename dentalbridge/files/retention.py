"""Files at the end of a record's life (REC-5, FIL-2).

When a deleted patient is purged, the practice must still keep the record for its country's
archive period. The files stay stored, encrypted, listed in the archive; the patient's keys are
detached from the patient row and kept with the archive's patient id. When the archive period
ends, the blobs are deleted and the keys destroyed — which makes every copy unreadable, backups
included (crypto-shredding).
"""

from django.db import transaction

from dentalbridge.files import access, blobs
from dentalbridge.files.models import AssetRole, UploadStatus
from dentalbridge.privacy.audit import AuditAction, record
from dentalbridge.privacy.principal import Purpose, SystemActor


def archive_files(patient, *, system: SystemActor) -> list[dict]:
    """Before the patient row goes: what the archive must list, and keys kept for it. Uploads
    never finished are deleted now (they were never part of the record). ``system`` is the
    caller's: the retention run's purge, or an erasure within the archive period."""
    assets, uploads, keys = access.files_of_patient(system, patient)
    for upload in uploads:
        if upload.status == UploadStatus.RECEIVING:
            blobs.delete_parts(blobs.region_storage(upload.region), upload.parts)
    for key in keys:
        key.archived_patient_id = patient.public_id
        key.save(update_fields=["archived_patient_id", "updated_at"])
    return [
        {
            "id": str(asset.public_id),
            "role": asset.role,
            "item": str(asset.item.public_id) if asset.item_id else "",
            "version": asset.version.number if asset.version_id else None,
            "name": asset.original_name or asset.filename,
            "format": asset.format,
            "size": asset.size,
            "sha256": asset.sha256,
            "region": asset.region,
            "parts": [part["name"] for part in asset.parts],
            "key": asset.patient_key.key_id,
        }
        for asset in assets
        if asset.parts and asset.role in (AssetRole.ORIGINAL, AssetRole.REPAIRED, AssetRole.SHARED)
    ] + [
        # Previews and thumbnails are not part of the record: gone with the patient.
        {"delete": [part["name"] for part in asset.parts], "region": asset.region}
        for asset in assets
        if asset.parts and asset.role in (AssetRole.PREVIEW, AssetRole.THUMBNAIL)
    ]


def delete_previews(listing: list[dict]) -> list[dict]:
    """Delete the derived previews named in ``listing``; returns the files the archive keeps."""
    kept = []
    for entry in listing:
        if "delete" in entry:
            storage = blobs.region_storage(entry["region"])
            for name in entry["delete"]:
                storage.delete(name)
        else:
            kept.append(entry)
    return kept


def shred_archived_files(archive, *, system: SystemActor) -> int:
    """The archive period is over (the retention run), or an erasure ends the archive: delete
    its files' blobs and destroy its keys, read for ``system``'s purpose."""
    files = (archive.content or {}).get("files", [])
    for entry in files:
        storage = blobs.region_storage(entry["region"])
        for name in entry["parts"]:
            storage.delete(name)
    with transaction.atomic():
        destroyed = access.destroy_archived_keys(system, archive.patient_id)
        if destroyed or files:
            record(
                AuditAction.FILE_KEYS_DESTROYED,
                organization=archive.organization,
                target=archive,
                reason="erasure: the archive ends with the erasure"
                if system.purpose == Purpose.ERASURE
                else "retention: archive period over",
                data={"patient": str(archive.patient_id), "keys": destroyed, "files": len(files)},
            )
    return destroyed
