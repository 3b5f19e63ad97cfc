"""Issue 13, finding 2: a file the upload protocol acknowledged is never lost because a later
check refused it or could not finish.

The files go through the real tus endpoint and the real pipeline and sandbox: nothing is mocked.
A check "runs out" because the memory it may use is made tiny (``FILES_VALIDATE_MEMORY_MB``):
reading a 16 MB scan in that much is impossible by a wide margin, on any machine.
"""

import hashlib
import struct

import pytest
from django.test import TestCase
from django.urls import reverse

from conftest import acting, client_for
from dentalbridge.files import delivery, services
from dentalbridge.files.models import Asset, AssetRole, AssetStatus
from dentalbridge.files.tests import tus_client as tus
from dentalbridge.organizations.models import ConnectionStatus, LabConnection
from dentalbridge.privacy.door import through_the_door

pytestmark = pytest.mark.django_db

TRIANGLES = 320_000  # 16 MB of binary STL


def big_scan(header: bytes = b"Jane Doe 1980-04-02") -> bytes:
    """A binary STL of ``TRIANGLES`` small triangles, the patient's name in its header."""
    triangle = struct.pack("<12fH", 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0)
    return header.ljust(80, b" ") + struct.pack("<I", TRIANGLES) + triangle * TRIANGLES


@pytest.fixture
def connected(world):
    LabConnection.objects.create(
        practice=world.practice, lab=world.lab, status=ConnectionStatus.ACCEPTED
    )


@pytest.fixture
def checked_by_the_worker(settings, local_files):
    """Every upload is acknowledged before its deep check (as a big one is in production) and the
    worker's check may use 1 MB more than it starts with."""
    settings.FILES_SYNC_CHECK_BYTES = 0
    settings.FILES_VALIDATE_MEMORY_MB = 1


def _upload(client, patient, data: bytes, filename: str, **meta) -> Asset:
    created = tus.create(client, len(data), patient=patient.public_id, filename=filename, **meta)
    assert created.status_code == 201, created.content
    with TestCase.captureOnCommitCallbacks(execute=True):  # the pipeline runs on commit
        done = tus.patch(client, created["Location"], 0, data)
    assert done.status_code == 204, done.content  # acknowledged
    with through_the_door():
        return Asset.objects.select_related("item").get(role=AssetRole.ORIGINAL)


def _derivatives(asset: Asset) -> dict[str, Asset]:
    with through_the_door():
        return {a.role: a for a in Asset.objects.filter(source=asset)}


def _lab_page(world, share) -> str:
    page = client_for(world.manager).get(reverse("lab_share_detail", args=[share.public_id]))
    assert page.status_code == 200
    return page.content.decode()


def test_finding_2_a_file_refused_after_acceptance_keeps_its_original(
    world, patient, connected, checked_by_the_worker
):
    data = big_scan()
    dentist = client_for(world.dentist)
    asset = _upload(dentist, patient, data, "Jane Doe UpperJaw.stl")

    # The original stays, encrypted, byte for byte as uploaded.
    assert asset.status == AssetStatus.UNCHECKED
    assert asset.error_code == "parser_limit"
    assert "memory" in asset.error_message
    assert asset.report["unchecked"] == {
        "code": "parser_limit",
        "step": "validate",
        "shareable": True,
    }
    assert asset.parts and asset.size == len(data)
    assert b"".join(delivery.plaintext(asset)) == data
    assert asset.sha256 == hashlib.sha256(data).hexdigest()

    # What a lab would receive is made (the anonymizer streams) but held for a dentist.
    shared = _derivatives(asset)[AssetRole.SHARED]
    assert shared.status == AssetStatus.HELD
    assert shared.report["hold_reason"] == "not_checked"
    assert b"Jane" not in b"".join(delivery.plaintext(shared))

    # The practice sees it on the record page, with the reason in words.
    page = dentist.get(
        reverse("record_item_detail", args=[patient.public_id, asset.item.public_id])
    ).content.decode()
    assert "Stored — not checked" in page
    assert asset.error_message in page
    assert "could not be checked completely" in page

    # Shared with the lab, the file does not reach it until a dentist has confirmed.
    share = services.share_create(
        actor=acting(world.dentist, world.practice),
        patient_id=patient.public_id,
        item_id=asset.item.public_id,
        lab_id=world.lab.public_id,
    )
    assert "/files/d/" not in _lab_page(world, share)
    response = dentist.post(
        reverse("patient_file_release", args=[patient.public_id, asset.public_id])
    )
    assert response.status_code == 302
    assert _derivatives(asset)[AssetRole.SHARED].status == AssetStatus.READY
    assert "/files/d/" in _lab_page(world, share)
    with through_the_door():
        assert Asset.objects.get(pk=asset.pk).status == AssetStatus.UNCHECKED  # still not checked


def test_finding_2_a_file_proven_bad_after_acceptance_is_kept_but_never_shared(
    world, patient, connected, checked_by_the_worker
):
    """The bytes that arrived are not those the client announced (another SHA-256): a check
    that proves something wrong. Acknowledged, the file stays for the practice, nothing is made
    from it, and no confirmation lets it out."""
    data = tus.cube_stl(b"Jane Doe 1980-04-02")
    dentist = client_for(world.dentist)
    asset = _upload(dentist, patient, data, "scan.stl", sha256="0" * 64)

    assert asset.status == AssetStatus.UNCHECKED
    assert asset.error_code == "checksum_mismatch"
    assert asset.report["unchecked"]["shareable"] is False
    assert b"".join(delivery.plaintext(asset)) == data
    assert _derivatives(asset) == {}

    page = dentist.get(
        reverse("record_item_detail", args=[patient.public_id, asset.item.public_id])
    ).content.decode()
    assert "Stored — not checked" in page
    assert "never shared outside the practice" in page
    assert "patient_file_release" not in page and "/release/" not in page

    share = services.share_create(
        actor=acting(world.dentist, world.practice),
        patient_id=patient.public_id,
        item_id=asset.item.public_id,
        lab_id=world.lab.public_id,
    )
    response = dentist.post(
        reverse("patient_file_release", args=[patient.public_id, asset.public_id]), follow=True
    )
    assert "cannot be shared outside the practice" in response.content.decode()
    assert "/files/d/" not in _lab_page(world, share)


def test_finding_2_a_file_checked_synchronously_is_unchanged(world, patient, local_files):
    """Below the synchronous limit nothing changes: checked before the last PATCH is answered,
    then ready."""
    asset = _upload(client_for(world.dentist), patient, tus.cube_stl(), "scan.stl")
    assert asset.status == AssetStatus.READY, (asset.error_code, asset.error_message)
    assert _derivatives(asset)[AssetRole.SHARED].status == AssetStatus.READY


def test_finding_2_the_practice_downloads_its_unchecked_original_nobody_else_does(
    world, patient, connected, checked_by_the_worker
):
    """Kept is not enough: the practice gets its file back (page link and API), byte for byte;
    the lab, even with the item shared and released, never fetches the unchecked original."""
    data = big_scan()
    dentist = client_for(world.dentist)
    asset = _upload(dentist, patient, data, "UpperJaw.stl")
    assert asset.status == AssetStatus.UNCHECKED

    page = dentist.get(
        reverse("record_item_files", args=[patient.public_id, asset.item.public_id])
    ).content.decode()
    [link] = {
        part.split('"')[0] for part in page.split('href="')[1:] if part.startswith("/files/d/")
    }
    download = dentist.get(link)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == data

    assert delivery.fetchable(asset, outside=False)
    assert not delivery.fetchable(asset, outside=True)
    lab_link = delivery.link_for(acting(world.manager, world.lab), asset)
    assert client_for(world.manager).get(lab_link).status_code == 404


def test_finding_2_pictures_of_a_held_copy_wait_with_it(world, patient, local_files, tmp_path):
    """A copy held for a dentist's confirmation keeps its preview and thumbnail from outside eyes
    too (they show what the copy shows); released, all three are there."""
    from dentalbridge.files import access, pipeline
    from dentalbridge.files.tests.factories import stored_scan

    asset = stored_scan(acting(world.dentist, world.practice), patient)
    picture = tmp_path / "thumbnail.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n")
    pipeline.store_derivative(
        asset, picture, role=AssetRole.THUMBNAIL, fmt="png", filename="thumb.png"
    )
    shared = _derivatives(asset)[AssetRole.SHARED]
    shared.status = AssetStatus.HELD
    shared.save(update_fields=["status"])

    def seen_outside() -> set[str]:
        files = access.files_of_items(patient, [asset.item], outside=True)
        return {a.role for a in files.get(asset.item_id, [])}

    assert seen_outside() == set()
    services.release_held(
        actor=acting(world.dentist, world.practice),
        patient_id=patient.public_id,
        asset_id=asset.public_id,
    )
    assert seen_outside() == {AssetRole.SHARED, AssetRole.THUMBNAIL}
