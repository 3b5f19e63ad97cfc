"""Scan check and repair through the product (FIL-4): a defective scan uploaded by the practice
gets a report that names its defects; "Repair" makes a new version of the record item whose scan
is watertight, with a before/after report; the original version and file are kept unchanged."""

import pytest
from django.test import TestCase
from django.urls import reverse

from conftest import client_for
from dentalbridge.files.models import Asset, AssetRole, AssetStatus
from dentalbridge.files.tests import meshes
from dentalbridge.files.tests import tus_client as tus
from dentalbridge.privacy.door import through_the_door

pytestmark = pytest.mark.django_db


def test_a_defective_scan_is_reported_then_repaired_into_a_new_version(
    world, patient, local_files, tmp_path
):
    vertices, faces = meshes.tooth()
    vertices, faces = meshes.with_holes(vertices, faces, 3)
    vertices, faces = meshes.with_flipped(vertices, faces, 20)
    vertices, faces = meshes.with_duplicates(vertices, faces, 10)
    vertices, faces = meshes.with_debris(vertices, faces, 2)
    path = meshes.write_stl(tmp_path / "defective.stl", vertices, faces)
    data = path.read_bytes()
    dentist = client_for(world.dentist)
    created = tus.create(dentist, len(data), patient=patient.public_id, filename="prep 16.stl")
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert tus.patch(dentist, created["Location"], 0, data).status_code == 204
    with through_the_door():
        original = Asset.objects.select_related("item", "version").get(role=AssetRole.ORIGINAL)
    assert original.status == AssetStatus.READY
    check = original.report["check"]
    found = {finding["code"]: finding["count"] for finding in check["findings"]}
    assert found["holes"] == 3
    assert found["inconsistent_normals"] > 0
    assert found["duplicate_faces"] == 10
    assert found["debris"] == 2
    assert check["status"] == "amber" and check["watertight"] is False

    page = reverse("record_item_detail", args=[patient.public_id, original.item.public_id])
    response = dentist.get(page)
    assert "Repair the scan" in response.content.decode()
    assert "3 holes" in response.content.decode()

    with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
        response = dentist.post(
            reverse("patient_file_repair", args=[patient.public_id, original.public_id]),
            {"next": page},
        )
        assert response.status_code == 302
    assert callbacks
    with through_the_door():
        repaired = Asset.objects.select_related("version").get(role=AssetRole.REPAIRED)
        original.refresh_from_db()
    assert repaired.version.number == 2 and original.version.number == 1
    assert repaired.status == AssetStatus.READY, repaired.error_message
    repair = repaired.report["repair"]
    assert repair["before"]["watertight"] is False
    assert repair["after"]["watertight"] is True and repair["after"]["status"] == "green"
    assert repaired.report["check"]["watertight"] is True
    assert repaired.report["repaired_from"] == str(original.public_id)
    # The original file is untouched and still downloadable from version 1.
    from dentalbridge.files import delivery

    assert b"".join(delivery.plaintext(original)) == data
    latest = dentist.get(page).content.decode()
    assert "Scan check: no problems found" in latest
    assert "repaired" in latest
