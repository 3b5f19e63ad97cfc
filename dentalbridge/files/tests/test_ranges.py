"""HTTP Range on file downloads (RFC 9110 §14): a download resumed where it broke, a video
sought — the bytes asked for, decrypted from the encrypted parts without reading the parts
before them, on local storage and on the S3 server; bad or unsatisfiable ranges answered as the
RFC says, and every ranged download audited with its range."""

import io

import pytest
from django.test import Client
from django.urls import reverse

from conftest import acting
from dentalbridge.accounts.services import api_token_create
from dentalbridge.files import blobs, keys, uploads
from dentalbridge.files.models import Asset, AssetStatus
from dentalbridge.files.tests import tus_client as tus
from dentalbridge.files.tests.factories import DUMMY_TASKS
from dentalbridge.privacy.door import through_the_door
from dentalbridge.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db

# A mesh big enough for several parts of different sizes (one part per PATCH, as tus writes).
SCAN = tus.cube_stl(b"Jane Doe 1980-04-02")
CUTS = (300, 520)  # parts: [0, 300), [300, 520), [520, end)


def stored_in_parts(settings, actor, patient) -> Asset:
    settings.TASKS = DUMMY_TASKS
    upload = uploads.upload_create(
        actor=actor,
        length=len(SCAN),
        metadata={"filename": "upper.stl", "patient": str(patient.public_id)},
    )
    for begin, end in zip((0, *CUTS), (*CUTS, len(SCAN)), strict=True):
        done = uploads.upload_receive(
            actor=actor,
            upload_id=upload.public_id,
            offset=begin,
            content_length=end - begin,
            body=io.BytesIO(SCAN[begin:end]),
        )
    assert done.asset_id is not None
    with through_the_door():
        asset = Asset.objects.select_related("patient__organization", "patient_key").get(
            pk=done.asset_id
        )
    asset.status = AssetStatus.READY
    asset.save(update_fields=["status"])
    assert len(asset.parts) == 3
    return asset


def read(asset, start, stop) -> bytes:
    storage = blobs.region_storage(asset.region)
    identity = keys.identity_of(asset.patient_key)
    return b"".join(blobs.read_range(storage, asset.parts, identity, start, stop))


def test_every_range_across_part_boundaries_is_exactly_the_slice(
    world, patient, files_storage, settings
):
    asset = stored_in_parts(settings, acting(world.owner, world.practice), patient)
    size = len(SCAN)
    points = sorted({0, 1, 299, 300, 301, 519, 520, 521, size - 1, size})
    for start in points:
        for stop in points:
            if start <= stop:
                assert read(asset, start, stop) == SCAN[start:stop], (start, stop)
    with pytest.raises(ValueError, match="bad range"):
        read(asset, 10, 5)


def test_parts_outside_the_range_are_not_read(world, patient, local_files, settings):
    asset = stored_in_parts(settings, acting(world.owner, world.practice), patient)
    storage = blobs.region_storage(asset.region)
    first, _middle, last = (part["name"] for part in asset.parts)
    storage.delete(first)
    storage.delete(last)
    assert read(asset, 310, 500) == SCAN[310:500]  # the middle part alone
    with pytest.raises(blobs.BlobCorrupt, match="missing"):
        read(asset, 0, 10)


def test_a_flipped_byte_in_the_part_read_is_detected(world, patient, local_files, settings):
    asset = stored_in_parts(settings, acting(world.owner, world.practice), patient)
    path = blobs.region_storage(asset.region).path(asset.parts[1]["name"])
    with open(path, "r+b") as handle:
        handle.seek(-20, 2)
        byte = handle.read(1)[0]
        handle.seek(-1, 1)
        handle.write(bytes([byte ^ 0x01]))
    with pytest.raises(blobs.BlobCorrupt):
        read(asset, 305, 310)
    assert read(asset, 530, 540) == SCAN[530:540]  # the other parts are fine


def test_a_part_read_to_its_end_is_checked_against_its_checksum(
    world, patient, local_files, settings
):
    """A resumed download (``bytes=N-``) reads its parts to their ends: each is checked."""
    asset = stored_in_parts(settings, acting(world.owner, world.practice), patient)
    asset.parts[0]["sha256"] = "0" * 64
    for start, stop in ((10, 300), (0, 300), (299, 300), (290, 310)):
        with pytest.raises(blobs.BlobCorrupt, match="checksum"):
            read(asset, start, stop)  # the first part read to its end
    assert read(asset, 300, len(SCAN)) == SCAN[300:]  # the other parts are not touched


# --- The download link ----------------------------------------------------------------------------


@pytest.fixture
def link(world, patient, local_files, settings):
    """A CAD program's bearer link to a three-part scan."""
    stored_in_parts(settings, acting(world.owner, world.practice), patient)
    secret = api_token_create(
        actor=acting(world.dentist, world.practice), name="t", valid_days=1
    ).secret
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    listing = api.get(reverse("api_patient_files", args=[patient.public_id])).json()
    (original,) = [row for row in listing["results"] if row["role"] == "original"]
    return original["download_url"]


N = len(SCAN)


@pytest.mark.parametrize(
    ("header", "start", "stop"),
    [
        ("bytes=10-19", 10, 20),
        ("bytes=290-530", 290, 531),  # across two part boundaries
        ("bytes=600-", 600, N),  # resumed at byte 600
        ("bytes=-5", N - 5, N),  # the last five
        ("bytes=0-99999999", 0, N),  # clipped to the file
        ("bytes=-99999999", 0, N),
        (f"bytes={N - 1}-{N - 1}", N - 1, N),
        ("bytes = 10 - 19", 10, 20),
    ],
)
def test_a_range_is_answered_206_with_the_bytes_asked_for(link, header, start, stop):
    response = Client().get(link, HTTP_RANGE=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{stop - 1}/{N}"
    assert response["Content-Length"] == str(stop - start)
    assert response["Accept-Ranges"] == "bytes"
    assert b"".join(response.streaming_content) == SCAN[start:stop]
    event = AuditEvent.objects.filter(action="file.downloaded").latest("pk")
    assert event.data["range"] == f"{start}-{stop - 1}"


@pytest.mark.parametrize("header", [f"bytes={N}-", f"bytes={N + 10}-{N + 20}", "bytes=-0"])
def test_a_range_beyond_the_file_is_416(link, header):
    response = Client().get(link, HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{N}"
    assert response.content == b""


@pytest.mark.parametrize(
    "header",
    [
        "bytes=20-10",  # last before first
        "bytes=0-1,5-6",  # several ranges: the whole file instead
        "items=0-5",
        "bytes=abc",
        "bytes=-",
        "bytes=" + "9" * 40 + "-",  # beyond any size: not a range we parse
        "bytes=\x00-1",
    ],
)
def test_a_range_the_server_may_ignore_gets_the_whole_file(link, header):
    response = Client().get(link, HTTP_RANGE=header)
    assert response.status_code == 200
    assert response["Content-Length"] == str(N)
    assert response["Accept-Ranges"] == "bytes"
    assert b"".join(response.streaming_content) == SCAN
    assert "range" not in AuditEvent.objects.filter(action="file.downloaded").latest("pk").data


def test_if_range_resumes_only_the_same_file(link):
    whole = Client().get(link)
    etag = whole["ETag"]
    assert etag.startswith('"') and len(etag) == 66  # the file's SHA-256
    first = b"".join(whole.streaming_content)[:100]  # the connection broke after 100 bytes
    resumed = Client().get(link, HTTP_RANGE="bytes=100-", HTTP_IF_RANGE=etag)
    assert resumed.status_code == 206
    assert first + b"".join(resumed.streaming_content) == SCAN
    for stale in ('"' + "0" * 64 + '"', "Wed, 21 Oct 2026 07:28:00 GMT", "W/" + etag):
        changed = Client().get(link, HTTP_RANGE="bytes=100-", HTTP_IF_RANGE=stale)
        assert changed.status_code == 200  # not the file the client had: all of it again
        assert b"".join(changed.streaming_content) == SCAN
