"""The anonymized derivative carries no identity, and nothing else changes (FIL-3, REC-7)."""

import hashlib
import io
import struct
import zipfile

import numpy as np
import pydicom
import pytest
from PIL import Image

from dentalbridge.files import anonymize as anon
from dentalbridge.files import icc
from dentalbridge.files.sandbox import SandboxError
from dentalbridge.files.tests import samples


def assert_no_identity(data: bytes, *extra: str) -> None:
    for value in [*samples.IDENTIFYING, *extra]:
        for variant in {value, value.lower(), value.upper()}:
            assert variant.encode() not in data, f"{variant!r} survived"


def codes(report: dict) -> dict[str, int]:
    return {item["code"]: item["count"] for item in report["removed"]}


def datasets(ds):
    """The dataset and every sequence item in it, depth first."""
    yield ds
    for element in ds:
        if element.VR == "SQ":
            for item in element.value:
                yield from datasets(item)


# --- DICOM --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    """A five-slice series anonymized file by file with one UID map, as a task would."""
    work = tmp_path_factory.mktemp("dicom")
    originals = samples.write_dicom_series(work / "in")
    uid_map: dict[str, str] = {}
    outputs, reports = [], []
    for index, path in enumerate(originals, start=1):
        out = work / f"out{index}.dcm"
        reports.append(anon.anonymize_dicom_file(path, out, uid_map=uid_map))
        outputs.append(out)
    return originals, outputs, reports, uid_map


def test_dicom_derivative_holds_no_identifying_value(series):
    _, outputs, _, _ = series
    for out in outputs:
        assert_no_identity(out.read_bytes(), samples.UID_ROOT)


def test_dicom_uids_are_new_and_consistent_across_the_series(series):
    originals, outputs, _, uid_map = series
    before = [pydicom.dcmread(p) for p in originals]
    after = [pydicom.dcmread(p) for p in outputs]
    for field in ("StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID"):
        new = {str(ds[field].value) for ds in after}
        assert len(new) == 1, field
        assert new.pop() not in {str(ds[field].value) for ds in before}
    sops = [ds.SOPInstanceUID for ds in after]
    assert len(set(sops)) == len(sops)
    assert not set(sops) & {ds.SOPInstanceUID for ds in before}
    for ds in after:
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    # A reference to slice 1 inside a sequence follows slice 1's new UID.
    for ds in after[1:]:
        assert ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID == sops[0]
    # The caller's map was updated, so more files of the study would get the same UIDs.
    assert uid_map[samples.STUDY_UID] == after[0].StudyInstanceUID


def test_dicom_says_identity_was_removed(series):
    ds = pydicom.dcmread(series[1][0])
    assert ds.PatientIdentityRemoved == "YES"
    assert ds.DeidentificationMethod
    code = ds.DeidentificationMethodCodeSequence[0]
    assert (code.CodeValue, code.CodingSchemeDesignator) == ("113100", "DCM")
    assert code.CodeMeaning == "Basic Application Confidentiality Profile"


def test_dicom_private_tags_are_gone_at_every_level(series):
    for out in series[1]:
        ds = pydicom.dcmread(out)
        for dataset in datasets(ds):
            assert not [e.tag for e in dataset if e.tag.is_private]


def test_dicom_identity_inside_a_kept_sequence_is_removed(series):
    ds = pydicom.dcmread(series[1][2])
    assert "OtherPatientIDsSequence" not in ds
    assert "RequestAttributesSequence" not in ds
    equipment = ds.ContributingEquipmentSequence[0]
    assert equipment.Manufacturer == "DentalCam"  # not identifying: kept
    assert equipment.InstitutionName != samples.INSTITUTION
    assert equipment.OperatorsName != samples.OPERATOR
    assert equipment.StationName != samples.STATION


def test_dicom_patient_attributes_follow_the_profile(series):
    ds = pydicom.dcmread(series[1][0])
    assert ds.PatientName == "" and ds.PatientID == "" and ds.PatientBirthDate == ""
    assert "PatientAddress" not in ds and "PatientComments" not in ds
    assert ds.StudyDate == "" and ds.AccessionNumber == ""
    assert ds.ReferringPhysicianName == ""
    assert ds.LongitudinalTemporalInformationModified == "MODIFIED"
    assert "SourceApplicationEntityTitle" not in ds.file_meta


def test_dicom_pixels_unchanged_and_preamble_zeroed(series):
    originals, outputs, _, _ = series
    for before, after in zip(originals, outputs, strict=True):
        assert pydicom.dcmread(after).PixelData == pydicom.dcmread(before).PixelData
        assert after.read_bytes()[:132] == b"\0" * 128 + b"DICM"


def test_dicom_report_names_what_was_removed(series):
    report = series[2][0]
    assert report["kind"] == "dicom" and report["held"] is False and report["hold_reason"] is None
    removed = codes(report)
    for code in (
        "dicom_identifying_attributes",
        "dicom_private_tags",
        "dicom_uids_remapped",
        "dicom_dates",
    ):
        assert removed[code] > 0, code
    assert all(item["label"] for item in report["removed"])


def test_a_screenshot_with_burned_in_text_is_held(tmp_path):
    source = samples.write_secondary_capture(tmp_path / "sc.dcm")
    report = anon.anonymize_dicom_file(source, tmp_path / "out.dcm", uid_map={})
    assert report["held"] is True
    assert report["hold_reason"] == "burned_in_annotation"
    assert_no_identity((tmp_path / "out.dcm").read_bytes())  # the tags are anonymized anyway


def test_a_dicom_zip_becomes_a_zip_of_anonymized_images(tmp_path):
    source = samples.write_dicom_zip(tmp_path / "in.zip", tmp_path / "work")
    report = anon.anonymize_dicom_zip(source, tmp_path / "out.zip")
    data = (tmp_path / "out.zip").read_bytes()
    assert_no_identity(data, samples.UID_ROOT)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == [f"IMG{n:05d}.dcm" for n in range(1, 6)]
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        members = [pydicom.dcmread(io.BytesIO(archive.read(i))) for i in infos]
        for info in infos:  # the deflated members, decompressed, are clean as well
            assert_no_identity(archive.read(info), samples.UID_ROOT)
    assert len({ds.StudyInstanceUID for ds in members}) == 1
    assert len({ds.SeriesInstanceUID for ds in members}) == 1
    assert all(ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID for ds in members)
    assert all(ds.PatientIdentityRemoved == "YES" for ds in members)
    removed = codes(report)
    assert removed["dicom_dicomdir"] == 1 and removed["other_files"] == 1
    assert {"code": "files_anonymized", "label": anon.NOTE_LABELS["files_anonymized"],
            "count": 5} in report["notes"]  # fmt: skip


def test_a_dicom_zip_with_a_burned_in_image_is_held(tmp_path):
    samples.write_secondary_capture(tmp_path / "sc.dcm")
    samples.write_dicom_series(tmp_path / "s", count=2)
    with zipfile.ZipFile(tmp_path / "in.zip", "w") as archive:
        for path in [*sorted((tmp_path / "s").iterdir()), tmp_path / "sc.dcm"]:
            archive.write(path, path.name)
    report = anon.anonymize_dicom_zip(tmp_path / "in.zip", tmp_path / "out.zip")
    assert report["held"] is True and report["hold_reason"] == "burned_in_annotation"
    assert {"code": "files_held", "label": anon.NOTE_LABELS["files_held"], "count": 1} in report[
        "notes"
    ]


def test_a_file_that_is_not_dicom_fails_cleanly(tmp_path):
    source = tmp_path / "fake.dcm"
    source.write_bytes(b"\0" * 128 + b"DICM" + b"\xff" * 64)
    with pytest.raises(anon.AnonymizationFailed) as caught:
        anon.anonymize_dicom_file(source, tmp_path / "out.dcm", uid_map={})
    assert caught.value.reason == "malformed"
    assert isinstance(caught.value, SandboxError)  # what the intake pipeline already handles
    assert not (tmp_path / "out.dcm").exists()


def test_a_zip_without_dicom_fails_cleanly(tmp_path):
    with zipfile.ZipFile(tmp_path / "in.zip", "w") as archive:
        archive.writestr("notes.txt", "nothing to see")
    with pytest.raises(anon.AnonymizationFailed):
        anon.anonymize_dicom_zip(tmp_path / "in.zip", tmp_path / "out.zip")
    assert not (tmp_path / "out.zip").exists()


# --- Photos -------------------------------------------------------------------------------------


def pixel_hash(path) -> str:
    with Image.open(path) as im:
        return hashlib.sha256(im.tobytes()).hexdigest()


def png_chunk_types(data: bytes) -> list[bytes]:
    types, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        types.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return types


def icc_tags(profile: bytes) -> dict[bytes, bytes]:
    count = int.from_bytes(profile[128:132], "big")
    tags = {}
    for index in range(count):
        sig, offset, size = struct.unpack_from(">4sII", profile, 132 + 12 * index)
        tags[sig] = profile[offset : offset + size]
    return tags


def assert_same_colour_tags(after: bytes, before: bytes) -> None:
    old, new = icc_tags(before), icc_tags(after)
    assert icc.RENDERING_TAGS & old.keys()
    for sig in icc.RENDERING_TAGS & old.keys():
        assert new[sig] == old[sig], sig
    assert after[8:24] == before[8:24] and after[64:80] == before[64:80]  # version, spaces


def test_jpeg_loses_its_metadata_but_not_its_pixels_colour_or_orientation(tmp_path):
    source = samples.write_jpeg(tmp_path / "in.jpg")
    report = anon.anonymize_photo(source, tmp_path / "out.jpg", fmt="jpeg")
    data = (tmp_path / "out.jpg").read_bytes()
    assert_no_identity(data, samples.MAKER_NOTE, "DentalCam", "IntraOral")
    for marker in (b"Photoshop 3.0", b"http://ns.adobe.com/", b"8BIM"):
        assert marker not in data
    assert data.endswith(b"\xff\xd9")  # the trailer after the image is gone
    assert pixel_hash(tmp_path / "out.jpg") == pixel_hash(source)
    with Image.open(tmp_path / "out.jpg") as im:
        exif = im.getexif()
        assert dict(exif) == {0x0112: 6}
        assert not exif.get_ifd(0x8825)
        # The colour profile, reduced to what rendering needs: its colour tags are unchanged.
        assert im.info["icc_profile"] == icc.reduce_profile(samples.srgb_profile())[0]
        assert_same_colour_tags(im.info["icc_profile"], samples.srgb_profile())
    removed = codes(report)
    assert removed["gps"] == 4 and removed["maker_notes"] == 1
    for code in ("exif", "xmp", "iptc", "comments", "trailing_data"):
        assert removed[code] >= 1, code
    assert not report["held"]


def test_jpeg_without_rotation_gets_no_exif_at_all(tmp_path):
    source = samples.write_jpeg(tmp_path / "in.jpg", orientation=1)
    anon.anonymize_photo(source, tmp_path / "out.jpg", fmt="jpeg")
    assert b"Exif\0\0" not in (tmp_path / "out.jpg").read_bytes()


def test_png_keeps_colour_chunks_and_drops_text_chunks(tmp_path):
    source = samples.write_png(tmp_path / "in.png")
    report = anon.anonymize_photo(source, tmp_path / "out.png", fmt="png")
    data = (tmp_path / "out.png").read_bytes()
    assert_no_identity(data, samples.MAKER_NOTE)
    types = png_chunk_types(data)
    assert {b"tEXt", b"zTXt", b"iTXt", b"tIME"}.isdisjoint(types)
    assert b"iCCP" in types and b"pHYs" in types
    assert pixel_hash(tmp_path / "out.png") == pixel_hash(source)
    with Image.open(tmp_path / "out.png") as im:
        assert dict(im.getexif()) == {0x0112: 6}
    removed = codes(report)
    assert removed["comments"] == 3 and removed["xmp"] == 1 and removed["timestamps"] == 1
    assert removed["gps"] == 4 and removed["exif"] >= 1


def test_tiff_is_resaved_losslessly_without_its_tags(tmp_path):
    source = samples.write_tiff(tmp_path / "in.tif")
    report = anon.anonymize_photo(source, tmp_path / "out.tif", fmt="tiff")
    data = (tmp_path / "out.tif").read_bytes()
    assert_no_identity(data, "DentalCam")
    assert pixel_hash(tmp_path / "out.tif") == pixel_hash(source)
    with Image.open(source) as before, Image.open(tmp_path / "out.tif") as after:
        assert after.size == before.size  # upright as displayed before
        assert after.info["icc_profile"] == icc.reduce_profile(samples.srgb_profile())[0]
        assert_same_colour_tags(after.info["icc_profile"], samples.srgb_profile())
        assert {270, 305, 306, 315, 700}.isdisjoint(after.tag_v2)
    removed = codes(report)
    assert removed["comments"] == 2 and removed["xmp"] == 1 and removed["timestamps"] == 1
    assert "pixels_reencoded_lossless" in {n["code"] for n in report["notes"]}


@pytest.mark.parametrize(
    ("fmt", "content"),
    [
        ("jpeg", b"\xff\xd8\xff\xe1\x00\x40Exif"),  # a segment longer than the file
        ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"),
        ("tiff", b"II*\x00\x08\x00\x00\x00\xff\xff"),
    ],
)
def test_a_broken_photo_fails_cleanly(tmp_path, fmt, content):
    (tmp_path / "in").write_bytes(content)
    with pytest.raises(anon.AnonymizationFailed):
        anon.anonymize_photo(tmp_path / "in", tmp_path / "out", fmt=fmt)
    assert not (tmp_path / "out").exists()


# --- Meshes -------------------------------------------------------------------------------------


def test_binary_stl_header_is_replaced_and_geometry_kept(tmp_path):
    source = samples.write_stl_binary(tmp_path / "in.stl")
    report = anon.anonymize_mesh(source, tmp_path / "out.stl", fmt="stl-binary")
    data = (tmp_path / "out.stl").read_bytes()
    assert data[:80] == anon.STL_HEADER and not data.startswith(b"solid")
    assert len(data) == len(source.read_bytes())
    assert source.read_bytes()[84:] == samples.stl_triangles()
    before, after = samples.stl_triangles(), data[84:]
    for offset in range(0, len(before), 50):  # vertices byte for byte
        assert after[offset + 12 : offset + 48] == before[offset + 12 : offset + 48]
        assert after[offset + 48 : offset + 50] == b"\0\0"  # the attribute bytes zeroed
        # The normal is recomputed from the vertices: a unit vector (or zero), never bytes the
        # file chose (12 of them per triangle could spell anything).
        vertices = np.frombuffer(before[offset + 12 : offset + 48], "<f4").reshape(3, 3)
        normal = np.frombuffer(after[offset : offset + 12], "<f4")
        expected = np.cross(vertices[1] - vertices[0], vertices[2] - vertices[0])
        length = np.linalg.norm(expected)
        assert np.allclose(normal, expected / length if length else 0, atol=1e-6)
    assert data[80:84] == source.read_bytes()[80:84]
    assert_no_identity(data)
    assert codes(report) == {"stl_header": 1, "stl_attributes": 11}


def test_ascii_stl_solid_names_are_replaced(tmp_path):
    source = samples.write_stl_ascii(tmp_path / "in.stl")
    report = anon.anonymize_mesh(source, tmp_path / "out.stl", fmt="stl-ascii")
    data = (tmp_path / "out.stl").read_bytes()
    assert_no_identity(data)
    lines = data.decode().splitlines()
    assert lines[0] == "solid part1" and lines[-1] == "endsolid part1"
    vertices = [line.split() for line in source.read_text().splitlines() if "vertex" in line]
    assert [line.split() for line in lines if "vertex" in line] == vertices
    assert codes(report) == {"stl_solid_name": 2, "other_text": 1}


def test_ply_comments_go_and_the_body_stays(tmp_path):
    source = samples.write_ply(tmp_path / "in.ply")
    report = anon.anonymize_mesh(source, tmp_path / "out.ply", fmt="ply")
    data = (tmp_path / "out.ply").read_bytes()
    assert_no_identity(data)
    header, body = data.split(b"end_header\n", 1)
    assert body == samples.ply_body()
    assert b"comment" not in header and b"obj_info" not in header
    assert codes(report) == {"ply_comments": 2, "ply_obj_info": 1}


def test_obj_and_mtl_share_one_material_mapping(tmp_path):
    obj = samples.write_obj(tmp_path / "in.obj")
    mtl = samples.write_mtl(tmp_path / "in.mtl")
    mapping = anon.material_mapping(mtl, obj)
    assert mapping == {"Jane_enamel": "material1", "Jane_gingiva": "material2"}
    report = anon.anonymize_mesh(
        obj, tmp_path / "out.obj", fmt="obj", mtl_name="model.mtl", materials=mapping
    )
    mtl_report = anon.anonymize_mesh(mtl, tmp_path / "out.mtl", fmt="mtl", materials=mapping)
    obj_out = (tmp_path / "out.obj").read_bytes()
    mtl_out = (tmp_path / "out.mtl").read_bytes()
    assert_no_identity(obj_out)
    assert_no_identity(mtl_out)
    assert samples.obj_vertices(obj_out) == samples.obj_vertices(obj.read_bytes())
    faces = [line for line in obj.read_text().splitlines() if line.startswith("f ")]
    new_faces = [line for line in obj_out.decode().splitlines() if line.startswith("f ")]
    assert [f.split("#")[0].split() for f in faces] == [f.split() for f in new_faces]
    obj_lines = obj_out.decode().splitlines()
    assert "mtllib model.mtl" in obj_lines
    assert "o object1" in obj_lines and "g group1" in obj_lines
    assert not [line for line in obj_lines if line.startswith("call")]
    # The faces that used the gingiva still use the material that carries its texture.
    assert obj_lines.index("usemtl material2") < obj_lines.index("usemtl material1")
    mtl_lines = mtl_out.decode().splitlines()
    gingiva = mtl_lines.index("newmtl material2")
    assert mtl_lines[gingiva + 2] == "map_Kd -clamp on gingiva texture.png"
    assert codes(report)["obj_comments"] == 7 and codes(report)["obj_names"] == 2
    assert codes(mtl_report) == {"mtl_comments": 1, "material_names": 2, "file_references": 1}


def test_obj_without_mtl_name_loses_its_mtllib(tmp_path):
    obj = samples.write_obj(tmp_path / "in.obj")
    report = anon.anonymize(obj, tmp_path / "out.obj", fmt="obj")
    assert b"mtllib" not in (tmp_path / "out.obj").read_bytes()
    assert "mtllib_dropped" in {n["code"] for n in report["notes"]}


@pytest.mark.parametrize(
    ("fmt", "content"),
    [
        ("stl-binary", b"header".ljust(80, b" ") + struct.pack("<I", 10) + b"\0" * 50),
        ("stl-binary", b"short"),
        ("stl-ascii", b"facet normal 0 0 0\n"),
        ("stl-ascii", b"solid x\n" + b"\x89\x01\x02" * 10 + b"\n"),
        ("ply", b"ply\nformat ascii 1.0\ncomment never ends\n"),
        ("ply", b"not a ply\n"),
    ],
)
def test_a_broken_mesh_fails_cleanly(tmp_path, fmt, content):
    (tmp_path / "in").write_bytes(content)
    with pytest.raises(anon.AnonymizationFailed) as caught:
        anon.anonymize_mesh(tmp_path / "in", tmp_path / "out", fmt=fmt)
    assert caught.value.reason == "malformed"
    assert not (tmp_path / "out").exists()


# --- Dispatch -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["pdf", "mp4"])
def test_files_we_cannot_clean_are_held_for_the_practice(tmp_path, fmt):
    (tmp_path / "in").write_bytes(b"%PDF-1.7 /Author (Jane Doe)")
    report = anon.anonymize(tmp_path / "in", tmp_path / "out", fmt=fmt)
    assert report == {
        "kind": fmt,
        "removed": [],
        "held": True,
        "hold_reason": "not_anonymizable",
        "notes": [{"code": "copied_unchanged", "label": anon.NOTE_LABELS["copied_unchanged"]}],
    }


def test_dispatcher_routes_by_format(tmp_path):
    source = samples.write_stl_binary(tmp_path / "in.stl")
    report = anon.anonymize(source, tmp_path / "out.stl", fmt="stl-binary")
    assert report["kind"] == "stl-binary"
    with pytest.raises(ValueError, match="Unknown format"):
        anon.anonymize(source, tmp_path / "out", fmt="docx")


def test_every_code_has_a_label():
    assert set(anon.HOLD_REASONS) == {
        "burned_in_annotation",
        "recognizable_visual_features",
        "not_anonymizable",
    }
    assert all(anon.REMOVED_LABELS.values()) and all(anon.NOTE_LABELS.values())
