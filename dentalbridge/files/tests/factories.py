"""Stored files for tests that need one to exist, without running the intake pipeline (its
parsers run in child processes and are tested on their own)."""

import io
import tempfile
from pathlib import Path

from django.test import override_settings

from dentalbridge.files import pipeline, uploads
from dentalbridge.files.models import Asset, AssetRole, AssetStatus
from dentalbridge.files.tests.tus_client import cube_stl
from dentalbridge.privacy.door import through_the_door

DUMMY_TASKS = {
    "default": {
        "BACKEND": "django.tasks.backends.dummy.DummyBackend",
        "QUEUES": ["default", "email", "files"],
    }
}
SCAN = cube_stl(b"Jane Doe 1980-04-02")


def stored_scan(actor, patient, *, data: bytes = SCAN, filename="Jane Doe upper.stl", item=None):
    """An uploaded scan, ready, with an anonymized copy (header blanked): the original asset."""
    metadata = {"filename": filename, "patient": str(patient.public_id)}
    if item is not None:
        metadata["item"] = str(item.public_id)
    with override_settings(TASKS=DUMMY_TASKS, FILES_SYNC_CHECK_BYTES=0):
        upload = uploads.upload_create(actor=actor, length=len(data), metadata=metadata)
        done = uploads.upload_receive(
            actor=actor,
            upload_id=upload.public_id,
            offset=0,
            content_length=len(data),
            body=io.BytesIO(data),
        )
    assert done.asset_id is not None
    with through_the_door():
        asset = Asset.objects.select_related("patient__organization", "patient_key").get(
            pk=done.asset_id
        )
    asset.status = AssetStatus.READY
    asset.sha256 = done.parts[0]["sha256"]
    asset.save()
    with tempfile.TemporaryDirectory() as work:
        shared = Path(work) / "shared.stl"
        shared.write_bytes(bytes(80) + data[80:])
        pipeline.store_derivative(
            asset, shared, role=AssetRole.SHARED, fmt=asset.format, filename=asset.filename
        )
    return asset
