"""From upload to the files others receive (FIL-1…FIL-5, ASVS V5), with the real pipeline.

* the official tus client (tuspy) uploads through a live server, with a resume after a stop;
* the stored file is encrypted, read back byte-exact; the anonymized copy, scan report, web
  preview and thumbnail are made;
* every file of the malicious corpus is refused with a clear 4xx and nothing is stored;
* a worker killed mid-way leaves nothing a second run does not finish.
"""

import hashlib
import io

import pytest
from tusclient import client as tus_client
from tusclient.exceptions import TusCommunicationError

from conftest import acting, client_for
from dentalbridge.accounts.services import api_token_create
from dentalbridge.files import blobs, delivery, keys, pipeline, tasks
from dentalbridge.files.models import Asset, AssetRole, AssetStatus, Upload
from dentalbridge.files.tests import corpus
from dentalbridge.files.tests import tus_client as tus
from dentalbridge.files.tests.conftest import stored_objects
from dentalbridge.files.tests.factories import DUMMY_TASKS
from dentalbridge.privacy.door import through_the_door

SCAN = tus.cube_stl(b"Jane Doe 1980-04-02")


def _assets(**filters) -> list[Asset]:
    with through_the_door():
        return list(Asset.objects.filter(**filters).order_by("created_at"))


def _vertices(stl: bytes) -> list[bytes]:
    """Each triangle's three vertices as stored in a binary STL."""
    count = int.from_bytes(stl[80:84], "little")
    return [stl[84 + 50 * n + 12 : 84 + 50 * n + 48] for n in range(count)]


def _plaintext(asset: Asset) -> bytes:
    return b"".join(delivery.plaintext(asset))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("storage_kind", ["local", "s3"])
def test_tuspy_uploads_resumes_and_the_pipeline_makes_what_others_receive(
    world, patient, live_server, request, storage_kind, settings
):
    request.getfixturevalue("local_files" if storage_kind == "local" else "s3_storage")
    secret = api_token_create(
        actor=acting(world.dentist, world.practice), name="scanner", valid_days=1
    ).secret
    client = tus_client.TusClient(
        f"{live_server.url}/api/v1/uploads/", headers={"Authorization": f"Bearer {secret}"}
    )
    metadata = {
        "filename": "Jane Doe UpperJaw.stl",
        "patient": str(patient.public_id),
        "sha256": hashlib.sha256(SCAN).hexdigest(),
        "title": "Preparation scan",
    }
    first = client.uploader(
        file_stream=io.BytesIO(SCAN), chunk_size=256, metadata=metadata, upload_checksum=True
    )
    first.upload_chunk()  # one chunk, then the "connection" is gone
    assert first.offset == 256
    resumed = client.uploader(
        file_stream=io.BytesIO(SCAN), url=first.url, chunk_size=256, upload_checksum=True
    )
    assert resumed.get_offset() == 256
    resumed.upload()
    assert resumed.offset == len(SCAN)

    (original,) = _assets(role=AssetRole.ORIGINAL)
    assert original.status == AssetStatus.READY, (original.error_code, original.error_message)
    assert original.sha256 == hashlib.sha256(SCAN).hexdigest()
    assert original.jaw == "upper"  # from "UpperJaw" in the scanner's file name
    assert _plaintext(original) == SCAN
    roles = {a.role: a for a in _assets(source=original)}
    assert set(roles) == {AssetRole.SHARED, AssetRole.PREVIEW, AssetRole.THUMBNAIL}
    shared = _plaintext(roles[AssetRole.SHARED])
    assert b"Jane" not in shared and b"Doe" not in shared
    assert _vertices(shared) == _vertices(SCAN)  # the geometry is untouched (normals recomputed)
    assert _plaintext(roles[AssetRole.THUMBNAIL]).startswith(b"\x89PNG")
    assert _plaintext(roles[AssetRole.PREVIEW])[:4] == b"glTF"
    check = original.report["check"]
    assert check["faces"] == 12 and check["watertight"] is True
    # Nothing in storage is plaintext, and no object name says anything about the patient.
    for name, data in stored_objects(settings).items():
        assert data.startswith(b"age-encryption.org/v1")
        assert b"Jane" not in data and "Jane" not in name
    # No upload, and no part, is left over.
    with through_the_door():
        assert list(Upload.objects.values_list("status", flat=True)) == ["complete"]


@pytest.mark.django_db(transaction=True)
def test_tuspy_gets_the_refusal_as_an_error(world, patient, live_server, local_files, settings):
    secret = api_token_create(
        actor=acting(world.dentist, world.practice), name="scanner", valid_days=1
    ).secret
    client = tus_client.TusClient(
        f"{live_server.url}/api/v1/uploads/", headers={"Authorization": f"Bearer {secret}"}
    )
    png = corpus.png_bytes() if hasattr(corpus, "png_bytes") else None
    data = png or b"\x89PNG\r\n\x1a\n" + bytes(100)
    uploader = client.uploader(
        file_stream=io.BytesIO(data),
        metadata={"filename": "scan.stl", "patient": str(patient.public_id)},
    )
    with pytest.raises(TusCommunicationError) as caught:
        uploader.upload()
    assert caught.value.status_code == 422
    assert stored_objects(settings) == {}


MALICIOUS = [label for label, _name, _builder in corpus.MALICIOUS]


@pytest.mark.django_db
@pytest.mark.parametrize("label", MALICIOUS)
def test_every_malicious_file_is_refused_with_a_clear_4xx_and_nothing_stored(
    world, patient, local_files, settings, tmp_path, label
):
    path, filename, declared = corpus.build(label, tmp_path)
    stage, code = corpus.EXPECTED[label]
    data = path.read_bytes()
    client = client_for(world.dentist)
    response = tus.create(client, declared, patient=patient.public_id, filename=filename)
    if stage in ("name", "declared"):
        assert response.status_code in (400, 413, 422), response.content
    else:
        assert response.status_code == 201, response.content
        response = tus.patch(client, response["Location"], 0, data)
        assert 400 <= response.status_code < 500, (label, response.status_code)
    error = response.json()["error"]
    assert error["code"] == code, (label, error)
    assert error["message"] and "Traceback" not in error["message"]
    assert stored_objects(settings) == {}
    assert _assets() == []


@pytest.mark.django_db
def test_a_worker_killed_mid_way_is_finished_by_the_next_run(
    world, patient, local_files, settings, monkeypatch
):
    settings.TASKS = DUMMY_TASKS
    client = client_for(world.dentist)
    response = tus.create(client, len(SCAN), patient=patient.public_id, filename="scan.stl")
    assert tus.patch(client, response["Location"], 0, SCAN).status_code == 204
    (original,) = _assets(role=AssetRole.ORIGINAL)

    real_preview = pipeline.Intake.mesh_previews

    def killed(self, *args):
        raise SystemExit("worker killed")  # after the anonymized copy, before the previews

    monkeypatch.setattr(pipeline.Intake, "mesh_previews", killed)
    with pytest.raises(SystemExit):
        pipeline.process_asset.call(original.pk)
    half = _assets(pk=original.pk)[0]
    assert half.status == AssetStatus.PROCESSING and half.step == "preview"
    assert [a.role for a in _assets(source=original)] == [AssetRole.SHARED]

    monkeypatch.setattr(pipeline.Intake, "mesh_previews", real_preview)
    result = pipeline.process_asset.call(original.pk)
    assert result["status"] == AssetStatus.READY
    roles = sorted(a.role for a in _assets(source=original))
    assert roles == sorted([AssetRole.SHARED, AssetRole.PREVIEW, AssetRole.THUMBNAIL])
    # Exactly one object per blob: the retry replaced, it did not duplicate.
    names = set(stored_objects(settings))
    assert len(names) == 1 + 3
    # Running it again changes nothing.
    assert pipeline.process_asset.call(original.pk) == {"skipped": True}


@pytest.mark.django_db
def test_stalled_assets_are_resumed_by_the_schedule(
    world, patient, local_files, settings, tmp_path
):
    settings.TASKS = DUMMY_TASKS
    client = client_for(world.dentist)
    response = tus.create(client, len(SCAN), patient=patient.public_id, filename="scan.stl")
    assert tus.patch(client, response["Location"], 0, SCAN).status_code == 204
    with through_the_door():
        Asset.objects.update(updated_at="2000-01-01T00:00:00Z")
    import os
    import time

    settings.DATA_DIR = tmp_path  # a work folder of its own
    leftover = settings.DATA_DIR / "work" / "intake-killed"
    leftover.mkdir(parents=True, exist_ok=True)
    (leftover / "original").write_bytes(SCAN)  # plaintext a killed worker left behind
    old = time.time() - 7 * 3600
    os.utime(leftover, (old, old))
    fresh = settings.DATA_DIR / "work" / "intake-running"
    fresh.mkdir(exist_ok=True)
    assert tasks.resume_stalled_assets.call() == {"resumed": 1, "work_removed": 1}
    assert not leftover.exists() and fresh.exists()
    fresh.rmdir()


@pytest.mark.django_db
def test_corrupted_storage_fails_the_asset_not_the_worker(world, patient, local_files, settings):
    settings.TASKS = DUMMY_TASKS
    client = client_for(world.dentist)
    response = tus.create(client, len(SCAN), patient=patient.public_id, filename="scan.stl")
    assert tus.patch(client, response["Location"], 0, SCAN).status_code == 204
    (original,) = _assets(role=AssetRole.ORIGINAL)
    storage = blobs.region_storage(original.region)
    with open(storage.path(original.parts[0]["name"]), "r+b") as handle:
        handle.seek(200)
        handle.write(b"\xff\xff\xff")
    result = pipeline.process_asset.call(original.pk)
    assert result["status"] == AssetStatus.FAILED and result["code"] == "corrupt"
    assert keys.identity_of(original.patient_key)  # the key is fine; the bytes are not


@pytest.mark.django_db
def test_photos_cbct_and_new_versions_through_the_pipeline(world, patient, local_files, tmp_path):
    """A photo gets a thumbnail and keeps its pixels; a CBCT series is anonymized as a study; a
    second upload to the same item is version 2, and version 1 stays downloadable."""
    from django.test import TestCase
    from PIL import Image

    from dentalbridge.files.tests import samples

    client = client_for(world.dentist)

    def upload(path, filename, **meta):
        data = path.read_bytes()
        created = tus.create(
            client, len(data), patient=patient.public_id, filename=filename, **meta
        )
        assert created.status_code == 201, created.content
        with TestCase.captureOnCommitCallbacks(execute=True):
            assert tus.patch(client, created["Location"], 0, data).status_code == 204
        with through_the_door():
            return (
                Asset.objects.select_related("item", "version")
                .filter(role=AssetRole.ORIGINAL)
                .latest("id")
            )

    photo = upload(samples.write_jpeg(tmp_path / "p.jpg"), "smile.jpg")
    assert photo.item.kind == "photo" and photo.status == AssetStatus.READY
    derived = {a.role: a for a in _assets(source=photo)}
    assert set(derived) == {AssetRole.SHARED, AssetRole.THUMBNAIL}
    copy_bytes = io.BytesIO(_plaintext(derived[AssetRole.SHARED]))
    with Image.open(copy_bytes) as copy, Image.open(tmp_path / "p.jpg") as source:
        assert copy.tobytes() == source.tobytes()
    assert {r["code"] for r in photo.report["anonymization"]["removed"]} >= {"gps", "exif"}

    series = samples.write_dicom_zip(tmp_path / "s.zip", tmp_path / "work")
    cbct = upload(series, "cbct.zip")
    assert cbct.item.kind == "cbct" and cbct.format == "dicom-zip"
    shared = _plaintext(next(a for a in _assets(source=cbct) if a.role == AssetRole.SHARED))
    assert samples.PATIENT_NAME.encode() not in shared and b"Doe^Jane" not in shared

    second = upload(samples.write_jpeg(tmp_path / "p2.jpg", orientation=1), "smile 2.jpg",
                    item=photo.item.public_id)  # fmt: skip
    assert second.item_id == photo.item_id and second.version.number == 2
    assert photo.version.number == 1 and _plaintext(photo)  # the first version stays
