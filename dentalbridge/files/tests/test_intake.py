"""Intake decides from content what a file is and refuses what is dangerous (ASVS V5)."""

import io
import pickle
import struct
import zipfile

import pytest

from dentalbridge.core.errors import DomainError
from dentalbridge.files import intake
from dentalbridge.files.tests import corpus

GiB = intake.GiB
MiB = intake.MiB


def run_intake(path, filename, declared_size):
    """Every gate an upload meets, in order; returns the stage that refused or the result."""
    stage = "name"
    try:
        name = intake.check_name(filename)
        stage = "declared"
        intake.check_declared(name, declared_size, None)
        stage = "sniff"
        with open(path, "rb") as fh:
            intake.sniff(fh.read(intake.SNIFF_BYTES), name, size=declared_size)
        stage = "validate"
        return intake.validate(str(path), name)
    except intake.Refused as refusal:
        refusal.stage = stage
        raise


@pytest.fixture
def in_process(monkeypatch):
    """Run the sandboxed checks in this process: a child costs 1-4 s of imports here, and the
    process boundary is tested on its own below. Results still cross a pickle, as they would."""

    def run(func, *args, timeout, memory_mb):
        return pickle.loads(pickle.dumps(func(*args)))  # noqa: S301 — our own data

    monkeypatch.setattr(intake, "run_limited", run)


@pytest.mark.parametrize("label", [label for label, _name, _builder in corpus.VALID])
def test_valid_sample_is_accepted_with_its_format_and_kind(label, tmp_path, in_process):
    path, filename, size = corpus.build(label, tmp_path)
    result = run_intake(path, filename, size)
    assert (result["format"], result["kind"]) == corpus.VALID_EXPECTED[label]
    assert result["media_type"] == intake.FORMATS[result["format"]].media_type
    assert isinstance(result["details"], dict)


@pytest.mark.parametrize("label", [label for label, _name, _builder in corpus.MALICIOUS])
def test_malicious_sample_is_refused_at_its_stage_with_its_code(label, tmp_path, in_process):
    path, filename, size = corpus.build(label, tmp_path)
    with pytest.raises(intake.Refused) as caught:
        run_intake(path, filename, size)
    assert (caught.value.stage, caught.value.code) == corpus.EXPECTED[label]
    assert caught.value.code in intake.CODES
    assert caught.value.status == 422
    assert str(caught.value.message)  # a sentence for the practice, never a traceback
    assert "Traceback" not in str(caught.value.message)


def test_corpus_labels_and_expectations_match():
    assert {label for label, _n, _b in corpus.MALICIOUS} == set(corpus.EXPECTED)
    assert {label for label, _n, _b in corpus.VALID} == set(corpus.VALID_EXPECTED)
    assert {code for _stage, code in corpus.EXPECTED.values()} <= intake.CODES


def test_corpus_is_deterministic(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for label in ("zip_slip", "dicom_zip", "jpeg_with_zip", "pdf_javascript"):
        first, _name, _size = corpus.build(label, tmp_path / "a")
        second, _name, _size = corpus.build(label, tmp_path / "b")
        assert first.read_bytes() == second.read_bytes(), label


# --- names ----------------------------------------------------------------------------------


def test_refusal_is_a_domain_error_views_turn_into_422():
    with pytest.raises(DomainError) as caught:
        intake.check_name("")
    assert caught.value.status == 422
    assert caught.value.code == "name_invalid"


def test_name_is_returned_in_nfc():
    assert intake.check_name("Ro\u0308ntgen.png") == "R\u00f6ntgen.png"


@pytest.mark.parametrize(
    "name",
    ["scan\\upper.stl", "/etc/passwd", "..", "scan\tupper.stl", "scan\x7f.stl", " scan.stl",
     "scan.stl.", ".htaccess", "   "],
)  # fmt: skip
def test_name_with_separator_control_or_edge_dot_is_refused(name):
    with pytest.raises(intake.Refused) as caught:
        intake.check_name(name)
    assert caught.value.code == "name_invalid"


def test_name_limit_counts_bytes_not_characters():
    assert intake.check_name("a" * 251 + ".stl")
    with pytest.raises(intake.Refused) as caught:
        intake.check_name("ü" * 126 + ".stl")  # 126 characters, 256 bytes
    assert caught.value.code == "name_too_long"


def test_numeric_extension_counts_as_none():
    assert intake.extension_of("IM0001.001") == ""
    assert intake.extension_of("Scan.STL") == "stl"


# --- before any byte ------------------------------------------------------------------------


def test_declared_size_is_checked_against_the_extension_limit():
    intake.check_declared("upper_jaw.stl", int(1.5 * GiB))
    intake.check_declared("cbct_series.zip", 5 * GiB)
    with pytest.raises(intake.Refused) as caught:
        intake.check_declared("smile.jpg", 150 * MiB)
    assert caught.value.code == "too_large"
    with pytest.raises(intake.Refused) as caught:
        intake.check_declared("cbct_series.zip", 5 * GiB + 1)
    assert caught.value.code == "too_large"


@pytest.mark.parametrize("size", [-1, True, "10"])
def test_declared_size_that_is_not_a_positive_int_is_refused(size):
    with pytest.raises(intake.Refused) as caught:
        intake.check_declared("upper_jaw.stl", size)
    assert caught.value.code == "malformed"


@pytest.mark.parametrize("name", ["setup.exe", "page.html", "run.js", "drawing.svg", "a.gif"])
def test_unknown_or_forbidden_extension_is_refused_before_upload(name):
    with pytest.raises(intake.Refused) as caught:
        intake.check_declared(name, 100)
    assert caught.value.code == "unknown_type"


def test_declared_active_media_type_is_refused_other_types_are_ignored():
    intake.check_declared("upper_jaw.stl", 100, "application/octet-stream")
    intake.check_declared("upper_jaw.stl", 100, "image/png")  # a wrong guess is harmless
    with pytest.raises(intake.Refused) as caught:
        intake.check_declared("upper_jaw.stl", 100, "text/html; charset=utf-8")
    assert caught.value.code == "type_mismatch"


# --- sniffing -------------------------------------------------------------------------------


def test_binary_stl_whose_header_starts_with_solid_is_binary():
    data = corpus.stl_binary_bytes(3, header=b"solid facet normal looks ascii")
    assert intake.sniff(data, "upper.stl", size=len(data)) == "stl-binary"


def test_zip_is_zip_at_sniff_and_refined_by_validate(tmp_path):
    path, _name, size = corpus.build("dicom_zip", tmp_path)
    assert intake.sniff(path.read_bytes()[:1024], "series.zip", size=size) == "zip"
    assert intake.sniff(path.read_bytes()[:1024], "model.3mf", size=size) == "zip"


def test_3mf_named_zip_is_a_mismatch_after_validate(tmp_path, in_process):
    path, _name, _size = corpus.build("3mf", tmp_path)
    with pytest.raises(intake.Refused) as caught:
        intake.validate(str(path), "model.zip")
    assert caught.value.code == "type_mismatch"


def test_content_size_over_the_format_limit_is_refused_at_sniff(tmp_path):
    path, _name, _size = corpus.build("jpeg", tmp_path)
    with pytest.raises(intake.Refused) as caught:
        intake.sniff(path.read_bytes(), "smile.jpg", size=150 * MiB)
    assert caught.value.code == "too_large"


def test_dicom_without_extension_is_accepted_other_content_is_not(tmp_path):
    data = corpus.dicom_bytes()
    assert intake.sniff(data, "1.2.840.113619.2.55", size=len(data)) == "dicom"


def test_text_that_is_neither_obj_nor_mtl_is_unknown():
    data = b"hello\nworld\n"
    with pytest.raises(intake.Refused) as caught:
        intake.sniff(data, "model.obj", size=len(data))
    assert caught.value.code == "unknown_type"


# --- deep checks (in process; the sandbox path is covered by the corpus tests) -------------


def inspect(path):
    size = path.stat().st_size
    fmt = intake.sniff(path.read_bytes()[: intake.SNIFF_BYTES], path.name, size=size)
    return intake.inspect_content(str(path), fmt)


def test_blank_dicom_slice_compressing_1000_to_1_is_not_a_bomb(tmp_path):
    path, _name, _size = corpus.build("dicom_zip", tmp_path)
    with zipfile.ZipFile(path) as archive:
        blank = archive.getinfo("SERIES/IM0004")
        assert blank.file_size > 100 * blank.compress_size
    result = inspect(path.rename(tmp_path / "series.zip"))
    assert result["details"] == {"files": 4, "ignored": 1, "modalities": {"CT": 4}}


def test_jpeg_followed_by_another_jpeg_is_accepted(tmp_path):
    # Multi-picture JPEGs (MPF previews, Ultra HDR gain maps) append images after the first.
    path, _name, _size = corpus.build("jpeg", tmp_path)
    target = tmp_path / "photo.jpg"
    target.write_bytes(path.read_bytes() * 2)
    assert inspect(target)["format"] == "jpeg"


def test_jpeg_with_archive_in_metadata_is_a_polyglot(tmp_path):
    path, _name, _size = corpus.build("jpeg", tmp_path)
    data = path.read_bytes()
    segment = b"PK\x03\x04hidden archive"
    app = b"\xff\xe9" + struct.pack(">H", len(segment) + 2) + segment
    target = tmp_path / "photo.jpg"
    target.write_bytes(data[:2] + app + data[2:])
    with pytest.raises(intake.Refused) as caught:
        inspect(target)
    assert caught.value.code == "polyglot"


def test_zip_with_data_appended_is_a_polyglot(tmp_path):
    path, _name, _size = corpus.build("dicom_zip", tmp_path)
    target = tmp_path / "series.zip"
    target.write_bytes(path.read_bytes() + b"MZ appended program")
    with pytest.raises(intake.Refused) as caught:
        inspect(target)
    assert caught.value.code == "polyglot"


def test_zip_whose_central_directory_lies_about_sizes_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("IM0001", corpus.ZIP_TIME), corpus.dicom_bytes())
        archive.writestr(zipfile.ZipInfo("IM0002", corpus.ZIP_TIME), corpus.dicom_bytes())
    data = bytearray(buffer.getvalue())
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 20, 10_000)  # compressed size: past the next entry
    target = tmp_path / "series.zip"
    target.write_bytes(bytes(data))
    with pytest.raises(intake.Refused) as caught:
        inspect(target)
    assert caught.value.code in ("zip_bomb", "malformed")


def test_dicom_with_tiff_header_preamble_is_allowed(tmp_path):
    # The standard allows a TIFF header in the preamble (dual-personality files).
    target = tmp_path / "ct.dcm"
    target.write_bytes(corpus.dicom_bytes(preamble=b"II*\x00" + bytes(124)))
    assert inspect(target)["kind"] == "cbct"


def test_stl_binary_details(tmp_path):
    target = tmp_path / "upper.stl"
    target.write_bytes(corpus.stl_binary_bytes(4))
    assert inspect(target)["details"] == {"triangles": 4, "extent": [4.0, 1.0, 0.0]}


def test_binary_stl_with_nan_coordinates_is_malformed(tmp_path):
    data = bytearray(corpus.stl_binary_bytes(2))
    struct.pack_into("<f", data, 84 + 12, float("nan"))
    target = tmp_path / "upper.stl"
    target.write_bytes(bytes(data))
    with pytest.raises(intake.Refused) as caught:
        inspect(target)
    assert caught.value.code == "malformed"


def test_obj_face_pointing_past_the_vertices_is_malformed(tmp_path):
    target = tmp_path / "model.obj"
    target.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n")
    with pytest.raises(intake.Refused) as caught:
        inspect(target)
    assert caught.value.code == "malformed"


def test_ply_with_quads_walks_every_row(tmp_path):
    header = (
        b"ply\nformat binary_little_endian 1.0\nelement vertex 4\nproperty float x\n"
        b"property float y\nproperty float z\nelement face 2\n"
        b"property list uchar int vertex_indices\nend_header\n"
    )
    body = bytes(4 * 12) + struct.pack("<B3i", 3, 0, 1, 2) + struct.pack("<B4i", 4, 0, 1, 2, 3)
    target = tmp_path / "bite.ply"
    target.write_bytes(header + body)
    assert inspect(target)["details"] == {"vertices": 4, "faces": 2}
    target.write_bytes(header + body + b"extra")
    with pytest.raises(intake.Refused) as caught:
        inspect(target)
    assert caught.value.code == "malformed"


def test_heic_is_refused_with_advice_to_export_jpeg():
    with pytest.raises(intake.Refused) as caught:
        intake.check_declared("IMG_0001.HEIC", 1000)
    assert caught.value.code == "unsupported_format"
    assert "JPEG" in str(caught.value.message)


def test_pillow_here_cannot_open_heic(tmp_path):
    # If this starts failing, Pillow gained HEIF support: intake could accept HEIC.
    from PIL import Image, UnidentifiedImageError

    path, _name, _size = corpus.build("heic", tmp_path)
    with pytest.raises(UnidentifiedImageError):
        Image.open(path)


# --- the sandbox ----------------------------------------------------------------------------


def test_parser_that_runs_out_of_time_is_refused_as_parser_limit(tmp_path):
    # A 15 MB ASCII scan takes about a second to read here, a hundred times the budget: a fork
    # server's child reads a two-triangle scan in under a millisecond, which once beat a 1 ms
    # budget on a fast machine. A slower machine only makes the margin wider.
    path = tmp_path / "slow.stl"
    path.write_text(corpus.stl_ascii_text(100_000))
    with pytest.raises(intake.Refused) as caught:
        intake.validate(str(path), "slow.stl", timeout=0.01)
    assert caught.value.code == "parser_limit"


def test_dicom_is_checked_in_a_limited_child_process(tmp_path):
    # pydicom and numpy must work under the sandbox's address-space limit.
    path, filename, _size = corpus.build("dicom_zip", tmp_path)
    result = intake.validate(str(path), filename)
    assert (result["format"], result["kind"]) == ("dicom-zip", "cbct")


def test_refusal_from_the_child_keeps_its_translatable_message(tmp_path):
    path, filename, _size = corpus.build("zip_slip", tmp_path)
    with pytest.raises(intake.Refused) as caught:
        intake.validate(str(path), filename)
    assert "unsafe file paths" in str(caught.value.message)


def test_ascii_stl_with_two_solids_and_upper_case_keywords_is_accepted(tmp_path):
    target = tmp_path / "lower.stl"
    target.write_text(corpus.stl_ascii_text(2).upper() + corpus.stl_ascii_text(1))
    assert inspect(target)["details"] == {"triangles": 3}


def test_ascii_stl_with_nan_vertex_is_malformed(tmp_path):
    target = tmp_path / "lower.stl"
    target.write_text(corpus.stl_ascii_text(2).replace("vertex 1.0", "vertex nan", 1))
    with pytest.raises(intake.Refused) as caught:
        inspect(target)
    assert caught.value.code == "malformed"


def test_obj_beyond_the_parsed_sample_is_still_checked(tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "OBJ_SAMPLE_STATEMENTS", 4)
    target = tmp_path / "model.obj"
    body = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\nv 1 1 0\nf 2 4 3\n"
    target.write_text(body)
    assert inspect(target)["details"] == {"vertices": 4, "faces": 2}
    for tail, code in (("<script>\n", "malformed"), ("mtllib ../x.mtl\n", "unsafe_reference")):
        target.write_text(body + tail)
        with pytest.raises(intake.Refused) as caught:
            inspect(target)
        assert caught.value.code == code
