"""What a lab receives (FIL-3, REC-7, DTR): the practice shares a record item with a connected
lab; the lab's people see the pseudonym and the anonymized copies — none of the patient's
identity anywhere, in files or pages — and a designer only while assigned.

The identifying sample files (a DICOM series with identity in standard, nested and private tags; a
JPEG with GPS EXIF; an STL whose header holds the name; file names naming the patient) go through
the real upload endpoint and intake pipeline."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from conftest import acting, client_for
from dentalbridge.files import services
from dentalbridge.files.models import Asset, AssetRole, AssetStatus
from dentalbridge.files.tests import samples
from dentalbridge.files.tests import tus_client as tus
from dentalbridge.organizations.models import ConnectionStatus, LabConnection
from dentalbridge.privacy.door import through_the_door

pytestmark = pytest.mark.django_db

SECRETS = [*samples.IDENTIFYING, "Doe"]


@pytest.fixture
def connected(world):
    LabConnection.objects.create(
        practice=world.practice, lab=world.lab, status=ConnectionStatus.ACCEPTED
    )


def _upload(client, patient, path, filename) -> Asset:
    """Through the tus endpoint; the intake pipeline runs when the upload's transaction
    commits (captured and run here, as the test's transaction never commits)."""
    from django.test import TestCase

    data = path.read_bytes()
    created = tus.create(client, len(data), patient=patient.public_id, filename=filename)
    assert created.status_code == 201, created.content
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = tus.patch(client, created["Location"], 0, data)
    assert done.status_code == 204, done.content
    with through_the_door():
        asset = Asset.objects.filter(role=AssetRole.ORIGINAL).select_related("item").latest("id")
    assert asset.status == AssetStatus.READY, (asset.error_code, asset.error_message)
    return asset


@pytest.fixture
def shared_files(world, patient, connected, local_files, tmp_path):
    """Three identifying files uploaded by the dentist and shared with the lab."""
    dentist = client_for(world.dentist)
    sources = {
        "dicom": samples.write_dicom_zip(tmp_path / "series.zip", tmp_path / "work"),
        "jpeg": samples.write_jpeg(tmp_path / "photo.jpg"),
        "stl": samples.write_stl_binary(tmp_path / "scan.stl"),
    }
    names = {
        "dicom": "Jane Doe CBCT 1980-04-02.zip",
        "jpeg": "Jane Doe smile.jpg",
        "stl": "Jane_Doe_UpperJaw.stl",
    }
    assets, shares = {}, {}
    for key, path in sources.items():
        asset = _upload(dentist, patient, path, names[key])
        assets[key] = asset
        # The held DICOM copy (if any) would be released by the practice after looking at it.
        shares[key] = services.share_create(
            actor=acting(world.dentist, world.practice),
            patient_id=patient.public_id,
            item_id=asset.item.public_id,
            lab_id=world.lab.public_id,
            note="Crown 16, please check the margin",
        )
    return sources, assets, shares


def _lab_crawl(client, share) -> list[bytes]:
    """Every lab-facing page of a share and every file it links to (downloads, thumbnails, 3D
    previews, the DICOM viewer's source): the bytes a lab can ever see."""
    bodies = []
    for url in (reverse("lab_shares"), reverse("lab_share_detail", args=[share.public_id])):
        response = client.get(url)
        assert response.status_code == 200, url
        bodies.append(response.content)
    page = bodies[-1].decode()
    links = set(re.findall(r'(/files/d/[^"\']+/)', page))
    links |= {
        link.replace("&quot;", "")
        for link in re.findall(r"(/files/d/[^&\"]+/)", page.replace("\\/", "/"))
    }
    assert links, "the share page links to its files"
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link
        bodies.append(b"".join(response.streaming_content))
        bodies.append(str(response.headers).encode())
    return bodies


def test_the_lab_sees_no_identity_in_any_file_or_page(world, patient, shared_files):
    sources, assets, shares = shared_files
    manager = client_for(world.manager)
    seen = []
    for share in shares.values():
        seen += _lab_crawl(manager, share)
    blob = b"\n".join(seen)
    assert patient.pseudonym.encode() in blob
    # Signed link tokens are opaque base64 and the pseudonym is random: either may contain
    # "DOE" by chance (a flaky match, not a leak), so both are masked before the search.
    blob = re.sub(rb"/files/d/[^/\"'\s]+/", b"/files/d/<link>/", blob)
    blob = blob.replace(patient.pseudonym.encode(), b"<pseudonym>")
    for secret in [*SECRETS, patient.given_name, patient.family_name, "UpperJaw"]:
        for form in {secret, secret.upper(), secret.lower()}:
            assert form.encode() not in blob, f"{form!r} reached the lab"
    # The photo's pixels arrived unchanged (no re-encoding), without GPS.
    share = shares["jpeg"]
    with through_the_door():
        copy = Asset.objects.get(source=assets["jpeg"], role=AssetRole.SHARED)
    link = re.search(
        r'/files/d/[^"]+/',
        manager.get(reverse("lab_share_detail", args=[share.public_id])).content.decode(),
    ).group(0)
    data = b"".join(manager.get(link).streaming_content)
    assert copy.size == len(data)
    import io

    with Image.open(io.BytesIO(data)) as received, Image.open(sources["jpeg"]) as original:
        assert received.tobytes() == original.tobytes()
        assert 0x8825 not in received.getexif()  # no GPS IFD


def test_designer_sees_a_share_only_while_assigned(world, patient, shared_files):
    _sources, _assets, shares = shared_files
    share = shares["stl"]
    page = reverse("lab_share_detail", args=[share.public_id])
    designer = client_for(world.designer)
    assert designer.get(page).status_code == 404
    assert share.public_id.hex not in designer.get(reverse("lab_shares")).content.decode()
    manager = client_for(world.manager)
    response = manager.post(
        reverse("lab_share_assign", args=[share.public_id]),
        {
            "designer": str(world.designer.public_id),
            "until": (timezone.localdate() + timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 302
    response = designer.get(page)
    assert response.status_code == 200
    link = re.search(r"/files/d/[^\"]+/", response.content.decode()).group(0)
    assert designer.get(link).status_code == 200
    # The assignment ends: the page, and a link fetched before, stop working.
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert designer.get(page).status_code == 404
        assert designer.get(link).status_code == 404
    # A technician never needed an assignment; another lab never sees it.
    assert client_for(world.technician).get(page).status_code == 200
    assert client_for(world.other_manager).get(page).status_code == 404
    # A designer cannot assign; a technician cannot either.
    for user in (world.designer, world.technician):
        response = client_for(user).post(
            reverse("lab_share_assign", args=[share.public_id]),
            {"designer": str(world.designer.public_id), "until": "2099-01-01"},
        )
        assert response.status_code in (403, 404)


def test_revoked_or_expired_shares_are_gone_for_the_lab(world, patient, shared_files):
    _sources, _assets, shares = shared_files
    share = shares["jpeg"]
    page = reverse("lab_share_detail", args=[share.public_id])
    manager = client_for(world.manager)
    link = re.search(r"/files/d/[^\"]+/", manager.get(page).content.decode()).group(0)
    response = client_for(world.dentist).post(
        reverse(
            "record_item_share_revoke",
            args=[patient.public_id, share.item.public_id, share.public_id],
        )
    )
    assert response.status_code == 302
    assert manager.get(page).status_code == 404
    assert manager.get(link).status_code == 404
    expiring = services.share_create(
        actor=acting(world.dentist, world.practice),
        patient_id=patient.public_id,
        item_id=share.item.public_id,
        lab_id=world.lab.public_id,
        expires_at=timezone.now() + timedelta(days=1),
    )
    expiring_page = reverse("lab_share_detail", args=[expiring.public_id])
    assert manager.get(expiring_page).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert manager.get(expiring_page).status_code == 404


def test_sharing_needs_a_connected_lab_and_the_practice(world, patient, local_files):
    from dentalbridge.core.errors import NotFound, ValidationFailed
    from dentalbridge.files.tests.factories import stored_scan

    asset = stored_scan(acting(world.owner, world.practice), patient)
    with pytest.raises(ValidationFailed):
        services.share_create(
            actor=acting(world.dentist, world.practice),
            patient_id=patient.public_id,
            item_id=asset.item.public_id,
            lab_id=world.lab.public_id,  # not connected
        )
    with pytest.raises(NotFound):
        services.share_create(
            actor=acting(world.other_owner, world.other_practice),
            patient_id=patient.public_id,
            item_id=asset.item.public_id,
            lab_id=world.lab.public_id,
        )


def test_a_held_copy_is_not_shared_until_the_practice_confirms(
    world, patient, connected, local_files, tmp_path
):
    """A secondary capture may show the patient's name in its pixels: held for the practice."""
    import zipfile

    work = tmp_path / "sc"
    work.mkdir()
    capture = samples.write_secondary_capture(work / "sc.dcm")
    archive = tmp_path / "capture.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(capture, "IMG0001.dcm")
    asset = _upload(client_for(world.dentist), patient, archive, "capture.zip")
    with through_the_door():
        copy = Asset.objects.get(source=asset, role=AssetRole.SHARED)
    assert copy.status == AssetStatus.HELD
    share = services.share_create(
        actor=acting(world.dentist, world.practice),
        patient_id=patient.public_id,
        item_id=asset.item.public_id,
        lab_id=world.lab.public_id,
    )
    manager = client_for(world.manager)
    page = manager.get(reverse("lab_share_detail", args=[share.public_id])).content.decode()
    assert "/files/d/" not in page
    response = client_for(world.dentist).post(
        reverse("patient_file_release", args=[patient.public_id, asset.public_id])
    )
    assert response.status_code == 302
    page = manager.get(reverse("lab_share_detail", args=[share.public_id])).content.decode()
    assert "/files/d/" in page


def test_a_pdf_waits_for_the_practice_because_it_cannot_be_cleaned(
    world, patient, connected, local_files, tmp_path
):
    from dentalbridge.files.tests import corpus

    path, _filename, _size = corpus.build("pdf", tmp_path)
    asset = _upload(client_for(world.dentist), patient, path, "Jane Doe referral.pdf")
    with through_the_door():
        copy = Asset.objects.get(source=asset, role=AssetRole.SHARED)
    assert copy.status == AssetStatus.HELD
    assert copy.report["hold_reason"] == "not_anonymizable"
    page = client_for(world.dentist).get(
        reverse("record_item_detail", args=[patient.public_id, asset.item.public_id])
    )
    assert "cannot be cleaned automatically" in page.content.decode()
