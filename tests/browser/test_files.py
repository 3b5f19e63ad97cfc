"""Files at the chair (FIL-1, FIL-2, FIL-3, FIL-5), as the dentist of Smile Studio uses them in
Chromium: a ~200 MB intraoral scan uploaded from the patient's page survives a cut connection and
arrives byte for byte, then shows in the 3D viewer; a photo with GPS in its EXIF shows as a
thumbnail that opens in the lightbox; the practice downloads its original as uploaded and the
anonymized copy (what anyone outside receives) without EXIF, pixels untouched.
Every page visited passes axe-core and the strict CSP."""

import hashlib
import io
import re
import shutil
import struct
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from conftest import acting
from tests.browser.test_flows import signed_in_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UPLOADS = "**/api/v1/uploads/**"
UPLOAD_HEADING = "Upload scans, CBCT, photos or documents"
GPS_IFD = 0x8825
# A 200 MB scan: hashed in the browser, sent in 32 MiB chunks, checked when complete, then
# anonymized, inspected and decimated to a 150k-face preview — all inside the last PATCH, since
# the test settings run tasks immediately.
SCAN_TIMEOUT_MS = 330_000


@pytest.fixture
def local_files(settings, tmp_path):
    """The files storages of every data region in a folder of this test, removed afterwards
    (a 200 MB scan leaves ~400 MB of encrypted blobs: the original and its anonymized copy)."""
    root = tmp_path / "files"
    settings.STORAGES = {
        **settings.STORAGES,
        **{
            f"files-{region}": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": root / region},
            }
            for region in settings.FILE_REGIONS
        },
    }
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def patient(world, local_files):
    from dentalbridge.patients.services import patient_create

    return patient_create(
        actor=acting(world.owner, world.practice),
        given_name="Jane",
        family_name="Doe",
        date_of_birth=date(1980, 4, 2),
        attending_dentist=world.dentist,
    )


def arch_scan_stl(path: Path, *, along: int = 2000, around: int = 1000) -> Path:
    """A binary STL of a closed, outward-wound, arch-shaped ring with bumps for teeth (~60 x 50 x
    18 mm): ``along x around`` quads, two triangles each — 4 M triangles, 200,000,084 bytes."""
    s = np.linspace(0, 2 * np.pi, along, endpoint=False)
    t = np.linspace(0, 2 * np.pi, around, endpoint=False)
    ss, tt = np.meshgrid(s, t, indexing="ij")
    nx, ny = np.cos(ss) / 25, np.sin(ss) / 20  # the outward normal of the 25 x 20 mm ellipse
    norm = np.hypot(nx, ny)
    tube = 5.0 * np.cos(tt)
    teeth = 1 + 0.12 * np.abs(np.sin(7 * ss))
    points = np.stack(
        [
            25 * np.cos(ss) + tube * nx / norm,
            20 * np.sin(ss) + tube * ny / norm,
            8 * teeth * np.sin(tt),
        ],
        axis=-1,
    ).reshape(-1, 3)
    grid = np.arange(along * around).reshape(along, around)
    a, b = grid, np.roll(grid, -1, axis=0)
    c, d = np.roll(b, -1, axis=1), np.roll(grid, -1, axis=1)
    faces = np.concatenate([np.stack([a, b, c], -1), np.stack([a, c, d], -1)]).reshape(-1, 3)
    corners = points.astype(np.float32)[faces]
    del points, faces, grid, a, b, c, d
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    if np.einsum("ij,ij->i", corners[:, 0], normals).sum() < 0:  # 3 x signed volume
        corners, normals = corners[:, ::-1], -normals
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    triangles = np.zeros(
        len(corners), dtype=[("normal", "<f4", 3), ("vertices", "<f4", (3, 3)), ("attr", "<u2")]
    )
    triangles["normal"], triangles["vertices"] = normals, corners
    with open(path, "wb") as out:
        out.write(b"DentalBridge test arch".ljust(80, b" "))
        out.write(struct.pack("<I", len(triangles)))
        triangles.tofile(out)
    assert path.stat().st_size == 84 + 50 * len(triangles)
    return path


@pytest.fixture
def scan_200_mb(tmp_path):
    """The scan file, removed afterwards (pytest keeps the temporary folders of recent runs)."""
    path = arch_scan_stl(tmp_path / "scan-UpperJaw.stl")
    yield path
    path.unlink()


def sha256_of(chunks) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def file_chunks(path: Path, size: int = 8 * 1024 * 1024):
    with open(path, "rb") as handle:
        while chunk := handle.read(size):
            yield chunk


def original_asset(patient):
    """The stored original of the patient's one file (tests only look behind the door)."""
    from dentalbridge.files.models import Asset, AssetRole
    from dentalbridge.privacy.door import through_the_door

    with through_the_door():
        return Asset.objects.select_related("patient_key").get(
            patient=patient, role=AssetRole.ORIGINAL
        )


def watch_uploads(page) -> list[dict]:
    """What the upload list showed, as it changed: state, progress and status text of each item.
    Collected through a binding so nothing is lost when the page reloads at the end."""
    seen: list[dict] = []
    page.expose_function("uploadSeen", lambda snapshot: seen.append(snapshot))
    page.evaluate(
        """() => {
            const list = document.querySelector("[data-upload-list]");
            new MutationObserver(() => {
                for (const li of list.querySelectorAll("li")) {
                    window.uploadSeen({
                        state: li.dataset.state,
                        progress: Number(li.querySelector("progress").value),
                        status: li.querySelector(".upload-status").textContent,
                    });
                }
            }).observe(list, {subtree: true, childList: true, attributes: true,
                              characterData: true});
        }"""
    )
    return seen


def choose_and_upload(page, path: Path):
    form = page.locator("form[data-uploader]")
    expect(form.get_by_role("heading", name=UPLOAD_HEADING)).to_be_visible()
    form.get_by_label("Files", exact=True).set_input_files(path)
    form.get_by_role("button", name="Upload").click()


def canvas_pixels(locator) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("RGB"), dtype=np.int16)


# Standalone: a minute of streaming 200 MB through the browser, the same on either database
# (the upload's database work is tested on both by the tus and pipeline tests); `make test` runs
# it once, in the SQLite run.
@pytest.mark.standalone
def test_a_200_mb_scan_survives_a_cut_connection_arrives_intact_and_shows_in_3d(
    visitor, world, patient, scan_200_mb
):
    scan = scan_200_mb
    source_sha256 = sha256_of(file_chunks(scan))

    window = visitor()
    signed_in_as(window, world.dentist)
    page = window.goto(f"/patients/{patient.public_id}/")
    expect(page.get_by_role("heading", name="Doe, Jane")).to_be_visible()
    window.check()
    chunk_size = int(page.locator("form[data-uploader]").get_attribute("data-chunk-size"))
    seen = watch_uploads(page)

    requests: list[tuple[str, str]] = []  # (method, Upload-Offset) of every tus request sent
    page.on(
        "request",
        lambda r: (
            "/api/v1/uploads/" in r.url
            and requests.append((r.method, r.headers.get("upload-offset", "")))
        ),
    )
    heads: list[int] = []  # the offset the server answered to each HEAD
    page.on(
        "response",
        lambda r: (
            r.request.method == "HEAD"
            and "/api/v1/uploads/" in r.url
            and heads.append(int(r.headers["upload-offset"]))
        ),
    )
    cut: list[str] = []

    def cut_the_connection_once(route):
        if route.request.method == "PATCH" and not cut:
            cut.append(route.request.headers.get("upload-offset", ""))
            route.abort("connectionreset")
        else:
            route.continue_()

    # Hashing 200 MB comes first ("Checking file…"), then the first 32 MiB chunk goes through…
    def acknowledged(response) -> bool:
        return response.request.method == "PATCH" and response.status == 204

    with page.expect_response(acknowledged, timeout=120_000) as first:
        choose_and_upload(page, scan)
    assert int(first.value.headers["upload-offset"]) == chunk_size
    # …and the connection drops during a later one.
    page.route(UPLOADS, cut_the_connection_once)
    # tus-js-client retries, asks the server where it stands (HEAD) and continues from there; when
    # the last byte is in, the form reloads the page.
    page.wait_for_event("load", timeout=SCAN_TIMEOUT_MS)
    page.unroute(UPLOADS)

    assert cut, "no PATCH was cut: the upload finished before the route was in place"
    offset_cut = int(cut[0])
    assert offset_cut >= chunk_size and offset_cut % chunk_size == 0
    after_cut = requests[requests.index(("PATCH", cut[0])) + 1 :]
    assert after_cut[0][0] == "HEAD", after_cut
    assert ("PATCH", cut[0]) in after_cut, "the cut chunk was not sent again from its offset"
    assert heads == [offset_cut], "the client did not ask where the upload stood, once"
    states = [s["state"] for s in seen]
    assert any("Checking file" in s["status"] for s in seen if s["state"] == "hashing")
    uploading = [s["progress"] for s in seen if s["state"] == "uploading"]
    assert len({p for p in uploading if 0 < p < 100}) >= 3, "the progress bar did not move"
    assert states[-1] == "done", seen[-3:]

    # Back on the patient's page: the scan is in the record, stored exactly as sent.
    expect(page.get_by_role("heading", name="Doe, Jane")).to_be_visible()
    window.check()
    from dentalbridge.files import delivery

    asset = original_asset(patient)
    assert asset.size == scan.stat().st_size
    assert asset.sha256 == source_sha256
    assert sha256_of(delivery.plaintext(asset)) == source_sha256

    # The scan's page shows it in 3D.
    page.locator(".timeline").get_by_role("link", name=re.compile("^Intraoral scan of ")).click()
    figure = page.locator("figure[data-mesh-viewer]")
    expect(figure).to_have_attribute("data-rendered", "true", timeout=60_000)
    canvas = figure.get_by_role("img", name="3D view of version 1")
    expect(canvas).to_be_visible()
    picture = canvas_pixels(canvas)
    assert picture.std() > 10, "the 3D view is blank"
    assert len(np.unique(picture.reshape(-1, 3), axis=0)) > 50
    window.check()


def photo_with_gps(path: Path) -> Path:
    """A 640 x 480 JPEG of noise with the camera, the date and a GPS position in its EXIF."""
    pixels = np.random.default_rng(7).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x010F] = "DentalCam"
    exif[0x0132] = "2024:05:06 10:11:12"
    exif[GPS_IFD] = {1: "N", 2: (52.0, 5.0, 12.25), 3: "E", 4: (5.0, 7.0, 36.5)}
    Image.fromarray(pixels).save(path, "JPEG", quality=90, exif=exif.tobytes())
    assert Image.open(path).getexif().get_ifd(GPS_IFD), "the source photo must carry GPS"
    return path


def test_a_photo_shows_as_a_thumbnail_opens_in_the_lightbox_and_its_copy_has_no_gps(
    visitor, world, patient, tmp_path
):
    photo = photo_with_gps(tmp_path / "smile-front.jpg")

    window = visitor()
    signed_in_as(window, world.dentist)
    page = window.goto(f"/patients/{patient.public_id}/")
    seen = watch_uploads(page)
    choose_and_upload(page, photo)
    page.wait_for_event("load", timeout=60_000)  # the form reloads the page when done
    assert seen[-1]["state"] == "done", seen[-3:]
    window.check()

    page.locator(".timeline").get_by_role("link", name=re.compile("^Photo of ")).click()
    thumbnail = page.get_by_role("link", name="Photo smile-front.jpg")
    expect(thumbnail).to_be_visible()
    expect(thumbnail).to_have_attribute("data-lightbox", "")
    page.wait_for_function("() => document.querySelector('a[data-lightbox] img').naturalWidth > 0")
    window.check()

    thumbnail.click()
    dialog = page.get_by_role("dialog", name=re.compile("smile-front.jpg"))
    expect(dialog).to_be_visible()
    page.wait_for_function("() => document.querySelector('dialog img').naturalWidth === 640")
    window.check()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the original").click()
    original = Image.open(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert original.getexif().get_ifd(GPS_IFD), "the practice keeps the photo as it was taken"

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the anonymized copy").click()
    received = Path(download.value.path()).read_bytes()
    image = Image.open(io.BytesIO(received))
    assert not image.getexif().get_ifd(GPS_IFD), "the anonymized photo still tells where it was"
    assert "exif" not in image.info
    assert np.array_equal(np.asarray(image), np.asarray(Image.open(photo)))
