"""The tus 1.0 server (FIL-1): core, creation, termination, checksum, expiration — on local
storage and on the S3 server. The intake pipeline is switched off here (a dummy task backend):
these tests are about receiving bytes; test_intake_pipeline.py is about what happens next."""

import base64
import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from conftest import acting, client_for
from dentalbridge.files import blobs, keys, tasks
from dentalbridge.files.models import Asset, Upload
from dentalbridge.files.tests import tus_client as tus
from dentalbridge.files.tests.conftest import stored_objects
from dentalbridge.files.tests.factories import DUMMY_TASKS
from dentalbridge.privacy.door import through_the_door

pytestmark = pytest.mark.django_db

SCAN = tus.cube_stl(b"Jane Doe 1980-04-02")


@pytest.fixture(autouse=True)
def _no_pipeline(settings):
    settings.TASKS = DUMMY_TASKS


def _upload(public_id) -> Upload:
    with through_the_door():
        return Upload.objects.get(public_id=public_id)


def _start(client, patient, data=SCAN, **meta):
    meta.setdefault("filename", "Jane Doe upper.stl")
    response = tus.create(client, len(data), patient=patient.public_id, **meta)
    assert response.status_code == 201, response.content
    return response["Location"]


def test_options_announces_version_extensions_and_limits(world):
    response = client_for(world.dentist).options(reverse("api_uploads"))
    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    assert response["Tus-Resumable"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) == {
        "creation", "termination", "checksum", "expiration"
    }  # fmt: skip
    assert int(response["Tus-Max-Size"]) == 5 * 1024**3
    assert "sha256" in response["Tus-Checksum-Algorithm"]


def test_upload_in_chunks_with_checksums_becomes_an_encrypted_asset(world, patient, files_storage):
    client = client_for(world.dentist)
    url = _start(client, patient, sha256=hashlib.sha256(SCAN).hexdigest(), jaw="upper")
    assert tus.head(client, url)["Upload-Offset"] == "0"
    head = tus.head(client, url)
    assert head["Upload-Length"] == str(len(SCAN)) and head["Cache-Control"] == "no-store"
    assert "Upload-Expires" in head
    first, second = SCAN[:300], SCAN[300:]
    response = tus.patch(client, url, 0, first, checksum=tus.sha256_header(first))
    assert response.status_code == 204, response.content
    assert response["Upload-Offset"] == "300"
    assert tus.head(client, url)["Upload-Offset"] == "300"
    response = tus.patch(client, url, 300, second, checksum=tus.sha256_header(second))
    assert response.status_code == 204
    assert response["Upload-Offset"] == str(len(SCAN))

    upload = _upload(url.rstrip("/").rsplit("/", 1)[1])
    assert upload.status == "complete" and upload.format == "stl-binary"
    with through_the_door():
        asset = Asset.objects.get(pk=upload.asset_id)
    assert asset.role == "original" and asset.size == len(SCAN)
    assert asset.original_name == "Jane Doe upper.stl"
    assert "Jane" not in asset.filename and asset.filename.endswith(".stl")
    assert asset.jaw == "upper"
    assert asset.version.number == 1 and asset.item.kind == "scan"
    assert len(asset.parts) == 2

    # At rest: only ciphertext, and nowhere the patient's name.
    objects = stored_objects(pytest.importorskip("django.conf").settings)
    assert len(objects) == 2
    for name, data in objects.items():
        assert data.startswith(b"age-encryption.org/v1"), name
        assert SCAN[84:200] not in data and b"Jane" not in data and b"Doe" not in name.encode()
    # Reading back gives the exact bytes, checked part by part and as a whole.
    storage = blobs.region_storage(asset.region)
    identity = keys.identity_of(asset.patient_key)
    assert b"".join(blobs.read_blob(storage, asset.parts, identity)) == SCAN


def test_a_flipped_byte_on_storage_is_detected_on_read(world, patient, local_files):
    client = client_for(world.dentist)
    url = _start(client, patient)
    assert tus.patch(client, url, 0, SCAN).status_code == 204
    upload = _upload(url.rsplit("/", 1)[1])
    with through_the_door():
        asset = Asset.objects.get(pk=upload.asset_id)
    storage = blobs.region_storage(asset.region)
    path = storage.path(asset.parts[0]["name"])
    with open(path, "r+b") as handle:
        handle.seek(handle.seek(0, 2) // 2)
        byte = handle.read(1)[0]
        handle.seek(-1, 1)
        handle.write(bytes([byte ^ 0x01]))
    with pytest.raises(blobs.BlobCorrupt):
        b"".join(blobs.read_blob(storage, asset.parts, keys.identity_of(asset.patient_key)))


def test_wrong_checksum_is_460_and_nothing_is_kept(world, patient, files_storage, settings):
    client = client_for(world.dentist)
    url = _start(client, patient)
    wrong = "sha256 " + base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    response = tus.patch(client, url, 0, SCAN, checksum=wrong)
    assert response.status_code == 460
    assert response.json()["error"]["code"] == "checksum_mismatch"
    assert tus.head(client, url)["Upload-Offset"] == "0"
    assert stored_objects(settings) == {}
    unknown = tus.patch(client, url, 0, SCAN, checksum="crc32 AAAA")
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "checksum_algorithm"


def test_offset_conflict_bad_type_version_and_overlong_body(world, patient, local_files):
    client = client_for(world.dentist)
    url = _start(client, patient)
    assert tus.patch(client, url, 100, SCAN[100:]).status_code == 409
    bad_type = client.generic(
        "PATCH", url, SCAN, content_type="application/octet-stream",
        headers={**tus.TUS, "Upload-Offset": "0"},
    )  # fmt: skip
    assert bad_type.status_code == 415
    no_version = client.generic(
        "PATCH", url, SCAN, content_type="application/offset+octet-stream",
        headers={"Upload-Offset": "0"},
    )  # fmt: skip
    assert no_version.status_code == 412 and no_version["Tus-Version"] == "1.0.0"
    too_long = tus.patch(client, url, 0, SCAN + b"extra")
    assert too_long.status_code == 400
    assert too_long.json()["error"]["code"] == "exceeds_length"
    missing_offset = client.generic(
        "PATCH", url, SCAN, content_type="application/offset+octet-stream", headers=tus.TUS
    )
    assert missing_offset.status_code == 400
    assert tus.patch(client, url, 0, SCAN).status_code == 204
    # Complete: further bytes are a conflict, and the state stays readable.
    assert tus.patch(client, url, len(SCAN), b"x").status_code == 409
    assert tus.head(client, url)["Upload-Offset"] == str(len(SCAN))


def test_termination_deletes_what_arrived(world, patient, files_storage, settings):
    client = client_for(world.dentist)
    url = _start(client, patient)
    assert tus.patch(client, url, 0, SCAN[:200]).status_code == 204
    assert len(stored_objects(settings)) == 1
    assert tus.delete(client, url).status_code == 204
    assert stored_objects(settings) == {}
    assert tus.head(client, url).status_code == 404
    assert tus.patch(client, url, 200, SCAN[200:]).status_code == 404


def test_expired_uploads_answer_410_and_are_cleaned_up(world, patient, local_files, settings):
    client = client_for(world.dentist)
    url = _start(client, patient)
    assert tus.patch(client, url, 0, SCAN[:200]).status_code == 204
    later = timezone.now() + timedelta(hours=settings.FILES_UPLOAD_EXPIRES_HOURS, minutes=1)
    with time_machine.travel(later):
        assert tus.head(client, url).status_code == 410
        assert tasks.expire_uploads.call() == {"expired": 1}
    assert stored_objects(settings) == {}
    assert _upload(url.rsplit("/", 1)[1]).status == "cancelled"


@pytest.mark.parametrize(
    ("meta", "length", "status", "code"),
    [
        ({"filename": "scan.stl"}, 10_000_000_000, 422, "too_large"),
        ({"filename": "x" * 300 + ".stl"}, 1000, 422, "name_too_long"),
        ({"filename": "scan\x00.stl"}, 1000, 422, "name_invalid"),
        ({"filename": "tool.exe"}, 1000, 422, "unknown_type"),
        ({"filename": "scan.stl", "sha256": "nothex"}, 1000, 400, "validation_failed"),
        ({"filename": "scan.stl", "kind": "spaceship"}, 1000, 400, "validation_failed"),
    ],
)
def test_creation_refuses_bad_metadata_up_front(world, patient, local_files, settings, meta,
                                                 length, status, code):  # fmt: skip
    client = client_for(world.dentist)
    response = tus.create(client, length, patient=patient.public_id, **meta)
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert response["Tus-Resumable"] == "1.0.0"
    with through_the_door():
        assert not Upload.objects.exists()


def test_malformed_metadata_and_missing_length(world, patient, local_files):
    client = client_for(world.dentist)
    bad = client.post(
        reverse("api_uploads"),
        headers={**tus.TUS, "Upload-Length": "10", "Upload-Metadata": "filename ***"},
    )
    assert bad.status_code == 400
    no_length = client.post(reverse("api_uploads"), headers=tus.TUS)
    assert no_length.status_code == 400
    negative = client.post(reverse("api_uploads"), headers={**tus.TUS, "Upload-Length": "-5"})
    assert negative.status_code == 400
    no_patient = tus.create(client, 10, filename="a.stl")
    assert no_patient.status_code == 400


def test_over_quota_is_refused_before_any_byte(world, patient, local_files, settings):
    settings.FILES_QUOTA_BYTES = len(SCAN) * 2
    client = client_for(world.dentist)
    _start(client, patient)  # reserves its length
    response = tus.create(client, len(SCAN) + 1, patient=patient.public_id, filename="b.stl")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "quota_exceeded"
    assert "free" in response.json()["error"]["message"]
    world.practice.storage_quota = 10 * len(SCAN)
    world.practice.save()
    assert (
        tus.create(client, len(SCAN), patient=patient.public_id, filename="b.stl").status_code
        == 201
    )


def test_a_region_without_storage_refuses(world, patient, local_files, settings):
    settings.STORAGES = {k: v for k, v in settings.STORAGES.items() if k != "files-eu"}
    response = tus.create(
        client_for(world.dentist), 10, patient=patient.public_id, filename="a.stl"
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "region_unavailable"


def test_only_the_practice_staff_may_upload_and_only_the_uploader_continues(
    world, patient, local_files
):
    from dentalbridge.patients import services as patient_services

    patient_services.care_grant_create(
        actor=acting(world.dentist, world.practice),
        patient_id=patient.public_id,
        grantee_email=world.other_owner.email,
        reason="second opinion",
    )
    for user in (world.other_owner, world.manager, world.designer, world.dpo):
        response = tus.create(client_for(user), 10, patient=patient.public_id, filename="a.stl")
        assert response.status_code in (403, 404), (user, response.status_code)
    anonymous = tus.create(client_for(None), 10, patient=patient.public_id, filename="a.stl")
    assert anonymous.status_code in (401, 403)
    url = _start(client_for(world.dentist), patient)
    for user in (world.owner, world.assistant, world.other_owner, world.manager):
        client = client_for(user)
        assert tus.head(client, url).status_code == 404
        assert tus.patch(client, url, 0, SCAN).status_code == 404
        assert tus.delete(client, url).status_code == 404
    assert tus.head(client_for(None), url).status_code in (401, 403)


def test_a_concurrent_patch_that_lost_the_race_leaves_nothing(world, patient, local_files,
                                                              settings, monkeypatch):  # fmt: skip
    """Two PATCHes at the same offset: the one that commits second is refused and its part
    deleted (the offset is re-checked under a row lock after the bytes are stored)."""
    client = client_for(world.dentist)
    url = _start(client, patient)
    real_write = blobs.write_part

    def racing_write(storage, name, sink, recipient):
        written = real_write(storage, name, sink, recipient)
        upload = _upload(url.rsplit("/", 1)[1])
        upload.offset = 10  # another request got there first
        upload.save(update_fields=["offset"])
        return written

    monkeypatch.setattr(blobs, "write_part", racing_write)
    response = tus.patch(client, url, 0, SCAN[:100])
    assert response.status_code == 409
    assert stored_objects(settings) == {}


def test_api_token_clients_upload_the_same_way(world, patient, local_files):
    from django.test import Client

    from dentalbridge.accounts.services import api_token_create

    secret = api_token_create(
        actor=acting(world.dentist, world.practice), name="scanner", valid_days=1
    ).secret
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    url = _start(client, patient)
    assert tus.patch(client, url, 0, SCAN).status_code == 204
    wrong = Client(HTTP_AUTHORIZATION="Bearer dbp_wrong")
    assert tus.head(wrong, url).status_code == 401
