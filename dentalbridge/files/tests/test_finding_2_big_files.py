"""Issue 13, finding 2, at the sizes the review used: a 300 MB binary STL of 6.0 M triangles was
acknowledged by the upload and then deleted by the worker because its check ran out of memory.

Through the real tus endpoint (the last PATCH answered 204: acknowledged), the real pipeline
with the production limits (``FILES_VALIDATE_*``, the scan checker's ``mesh.MEMORY_MB``), the
real sandbox and encryption: a 6 M-triangle scan and a 1 GB CBCT ZIP are stored and reported —
the scan with its full quality report and previews, the CBCT with what it holds and its
anonymized copy — and the originals are kept byte for byte.

On both databases, as the issue asks (about 50 s per run: 1.3 GB of files through encryption,
parsing and anonymization).
"""

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from django.test import TestCase

from conftest import client_for
from dentalbridge.files import delivery
from dentalbridge.files.models import Asset, AssetRole, AssetStatus
from dentalbridge.files.tests import tus_client as tus
from dentalbridge.files.tests.samples import PATIENT_NAME, dicom_ct_slice
from dentalbridge.privacy.door import through_the_door

pytestmark = pytest.mark.django_db

CHUNK = 64 * 1024 * 1024  # bytes per PATCH, as a client sends big files
NAME = b"Jane Doe 1980-04-02"


@pytest.fixture
def checked_by_the_worker(settings, local_files):
    """Acknowledged before any deep check (as every file above FILES_SYNC_CHECK_BYTES is); the
    worker checks it with the production limits."""
    settings.FILES_SYNC_CHECK_BYTES = 0
    settings.DATA_DIR = local_files.parent / "data"


def torus_stl(path: Path, triangles: int) -> int:
    """A closed, consistently wound torus of about ``triangles`` triangles as binary STL, the
    patient's name in its header; written ring by ring. Returns the triangle count."""
    ring = int(np.sqrt(triangles / 2 / 1.5))
    around = triangles // (2 * ring)
    u = np.linspace(0, 2 * np.pi, around, endpoint=False)
    v = np.linspace(0, 2 * np.pi, ring, endpoint=False)
    record = np.dtype([("normal", "<f4", 3), ("vertices", "<f4", (3, 3)), ("attr", "<u2")])

    def points(angle: float) -> np.ndarray:
        radius = 20 + 6 * np.cos(v)
        return np.stack([radius * np.cos(angle), radius * np.sin(angle), 6 * np.sin(v)], -1)

    count = 2 * around * ring
    with path.open("wb") as out:
        out.write(NAME.ljust(80) + np.uint32(count).tobytes())
        for i in range(around):
            a, b = points(u[i]), points(u[(i + 1) % around])
            c, d = np.roll(b, -1, axis=0), np.roll(a, -1, axis=0)
            rows = np.zeros(2 * ring, dtype=record)
            rows["vertices"][0::2] = np.stack([a, b, c], 1)
            rows["vertices"][1::2] = np.stack([a, c, d], 1)
            rows.tofile(out)
    return count


def cbct_zip(path: Path, slices: int, size: int) -> None:
    """A CBCT export: ``slices`` CT slices of ``size``² 16-bit pixels, identity in every one."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for index in range(1, slices + 1):
            data = io.BytesIO()
            dicom_ct_slice(index, slices, size).save_as(data, enforce_file_format=True)
            archive.writestr(f"Doe_Jane_CBCT/IMG{index:04d}.dcm", data.getvalue())


def upload_file(client, patient, path: Path, filename: str) -> Asset:
    """Send ``path`` through tus in 64 MiB pieces; the pipeline runs when the last one is in."""
    length = path.stat().st_size
    created = tus.create(client, length, patient=patient.public_id, filename=filename)
    assert created.status_code == 201, created.content
    offset = 0
    with path.open("rb") as source:
        while offset < length:
            piece = source.read(CHUNK)
            last = offset + len(piece) == length
            with TestCase.captureOnCommitCallbacks(execute=last):
                answer = tus.patch(client, created["Location"], offset, piece)
            assert answer.status_code == 204, answer.content  # acknowledged
            offset += len(piece)
    with through_the_door():
        return Asset.objects.get(role=AssetRole.ORIGINAL, original_name=filename)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while piece := source.read(CHUNK):
            digest.update(piece)
    return digest.hexdigest()


def stored_sha256(asset: Asset) -> str:
    digest = hashlib.sha256()
    for piece in delivery.plaintext(asset):
        digest.update(piece)
    return digest.hexdigest()


def derivatives(asset: Asset) -> dict[str, Asset]:
    with through_the_door():
        return {a.role: a for a in Asset.objects.filter(source=asset)}


def test_finding_2_a_6m_triangle_scan_is_stored_checked_and_previewed(
    world, patient, checked_by_the_worker, tmp_path
):
    scan = tmp_path / "upper.stl"
    triangles = torus_stl(scan, 6_000_000)
    assert triangles >= 6_000_000 * 0.99 and scan.stat().st_size > 290_000_000

    asset = upload_file(client_for(world.dentist), patient, scan, "Jane Doe UpperJaw.stl")

    assert asset.status == AssetStatus.READY, (asset.error_code, asset.error_message)
    assert stored_sha256(asset) == sha256_of(scan)  # kept byte for byte
    report = asset.report["check"]
    assert report["faces"] == triangles
    assert (report["components"], report["holes"], report["non_manifold_edges"]) == (1, 0, 0)
    assert report["watertight"] is True and report["status"] == "green"
    made = derivatives(asset)
    assert set(made) == {AssetRole.SHARED, AssetRole.PREVIEW, AssetRole.THUMBNAIL}
    assert made[AssetRole.SHARED].status == AssetStatus.READY
    assert asset.report["preview"]["faces"] == triangles
    assert asset.report["preview"]["preview_faces"] <= 200_000
    head = next(iter(delivery.plaintext(made[AssetRole.SHARED])))[:80]
    assert b"Jane" not in head  # the lab's copy: header cleared


def test_finding_2_a_1_gb_cbct_zip_is_stored_checked_and_anonymized(
    world, patient, checked_by_the_worker, tmp_path
):
    export = tmp_path / "cbct.zip"
    cbct_zip(export, slices=512, size=1024)
    assert export.stat().st_size > 1_000_000_000

    asset = upload_file(client_for(world.dentist), patient, export, "Doe Jane CBCT.zip")

    assert asset.status == AssetStatus.READY, (asset.error_code, asset.error_message)
    assert stored_sha256(asset) == sha256_of(export)  # kept byte for byte
    assert asset.format == "dicom-zip" and asset.report["kind"] == "cbct"
    assert asset.report["intake"] == {"files": 512, "ignored": 0, "modalities": {"CT": 512}}
    removed = {line["code"] for line in asset.report["anonymization"]["removed"]}
    assert "dicom_identifying_attributes" in removed
    shared = derivatives(asset)[AssetRole.SHARED]
    assert shared.status == AssetStatus.READY
    # The lab's copy: every slice there, no name in the first one read.
    first = b""
    for piece in delivery.plaintext(shared):
        first += piece
        if len(first) > 4 * 1024 * 1024:
            break
    assert PATIENT_NAME.encode() not in first and b"Doe^Jane" not in first
