"""Issue 13, finding 4: identity planted in every place a format allows never reaches the lab.

Each file is anonymized through ``anonymize.anonymize`` — the function the intake pipeline
calls to make the copy everyone outside the practice receives — and that copy is searched byte
by byte for the planted name and birth date, in UTF-8 and UTF-16 (both byte orders), whole and
in parts. The decoded pixels (or the mesh) of the copy are compared with the original's.
"""

from __future__ import annotations

import string
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageSequence

from dentalbridge.files import anonymize as anon
from dentalbridge.files.tests import corpus

PARTS = [corpus.IDENTITY, *corpus.IDENTITY.split()]
ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be")


def needles() -> list[bytes]:
    return [part.encode(encoding) for part in PARTS for encoding in ENCODINGS]


def hits(data: bytes) -> list[bytes]:
    lowered = data.lower()
    return [n for n in needles() if n in data or n.lower() in lowered]


def frames(path) -> list[tuple[str, tuple[int, int], bytes]]:
    with Image.open(path) as im:
        return [(f.mode, f.size, f.tobytes()) for f in ImageSequence.Iterator(im)]


def lab_copy(tmp_path, fmt: str, build, encoding: str, view=None) -> tuple[bytes, dict]:
    """Plant the identity with ``build``, anonymize as the pipeline does; (copy, report).

    ``view(data)``: bytes gathered from scattered places (a name spelled two bytes per
    triangle), searched as well: the copy is returned as the file followed by its view."""
    source, out = tmp_path / "original", tmp_path / "shared"
    build(source, corpus.IDENTITY.encode(encoding))
    original = source.read_bytes()
    assert hits(original + (view(original) if view else b"")), "the plant did not take"
    report = anon.anonymize(source, out, fmt=fmt)
    data = out.read_bytes()
    return data + (view(data) if view else b""), report


# --- JPEG ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("place", sorted(corpus.PLANTED_JPEG))
def test_finding_4_identity_planted_anywhere_in_a_jpeg_is_gone(tmp_path, place, encoding):
    data, report = lab_copy(tmp_path, "jpeg", corpus.PLANTED_JPEG[place], encoding)
    assert hits(data) == []
    assert frames(tmp_path / "shared") == frames(tmp_path / "original")
    assert not report["held"]
    if place.startswith("exif"):
        with Image.open(tmp_path / "shared") as im:
            assert dict(im.getexif()) == {0x0112: 6}  # the orientation, and only it


@pytest.mark.parametrize("place", ["app0_jfif_tail", "app0_jfif_thumbnail", "app14_adobe_tail"])
def test_finding_4_identity_planted_in_jpeg_app0_and_app14_is_gone(tmp_path, place):
    data, report = lab_copy(tmp_path, "jpeg", corpus.PLANTED_JPEG[place], "utf-8")
    assert hits(data) == []
    assert frames(tmp_path / "shared") == frames(tmp_path / "original")
    with Image.open(tmp_path / "shared") as im:
        if place.startswith("app0"):
            assert im.info["jfif"] and "adobe" not in im.info  # the JFIF marker, rebuilt
        else:
            assert im.info["adobe_transform"] == 1  # the colour transform flag, kept
    assert {item["code"] for item in report["removed"]} == {"other_metadata"}


def jpeg_markers(data: bytes) -> list[int]:
    markers, pos = [], 2
    while pos < len(data):
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA or marker == 0xD9:
            break
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return markers


def test_finding_4_a_jpeg_is_rebuilt_from_the_allow_list_only(tmp_path):
    data, _ = lab_copy(tmp_path, "jpeg", corpus.PLANTED_JPEG["icc_desc"], "utf-8")
    allowed = {0xE0, 0xE1, 0xE2, 0xEE, 0xDB, 0xC4, 0xDD, 0xDA} | set(range(0xC0, 0xC4))
    assert set(jpeg_markers(data)) <= allowed
    with Image.open(tmp_path / "shared") as im:
        profile = im.info["icc_profile"]
    assert set(icc_tags(profile)) == {
        b"desc", b"cprt", b"wtpt", b"chad", b"rXYZ", b"gXYZ", b"bXYZ", b"rTRC", b"gTRC",
        b"bTRC", b"chrm",
    }  # fmt: skip


def icc_tags(profile: bytes) -> dict[bytes, bytes]:
    count = int.from_bytes(profile[128:132], "big")
    tags = {}
    for index in range(count):
        entry = profile[132 + 12 * index : 144 + 12 * index]
        sig, offset, size = entry[:4], int.from_bytes(entry[4:8]), int.from_bytes(entry[8:])
        tags[sig] = profile[offset : offset + size]
    return tags


# --- STL ----------------------------------------------------------------------------------------


def stl_attributes(data: bytes) -> bytes:
    return stl_binary_geometry(data)["attribute"].astype("<u2").tobytes()


def stl_hidden_bytes(data: bytes) -> bytes:
    """Bytes a file can fill at will, read back in order: the normals, then the attributes."""
    geometry = stl_binary_geometry(data)
    return geometry["normal"].astype("<f4").tobytes() + stl_attributes(data)


def stl_binary_geometry(data: bytes):
    import numpy as np

    count = int.from_bytes(data[80:84], "little")
    record = np.dtype([("normal", "<f4", 3), ("vertices", "<f4", (3, 3)), ("attribute", "<u2")])
    return np.frombuffer(data, record, count, offset=84)


def stl_ascii_geometry(data: bytes) -> list[list[bytes]]:
    return [
        line.split()
        for line in data.splitlines()
        if line.split()[:1] in ([b"vertex"], [b"facet"], [b"outer"], [b"endloop"], [b"endfacet"])
    ]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("place", sorted(corpus.PLANTED_STL_BINARY))
def test_finding_4_identity_planted_anywhere_in_a_binary_stl_is_gone(tmp_path, place, encoding):
    build = corpus.PLANTED_STL_BINARY[place]
    data, _ = lab_copy(tmp_path, "stl-binary", build, encoding, view=stl_hidden_bytes)
    assert hits(data) == []
    before = stl_binary_geometry((tmp_path / "original").read_bytes())
    after = stl_binary_geometry((tmp_path / "shared").read_bytes())
    assert (after["vertices"] == before["vertices"]).all()
    # Normals are the vertices' own (what a viewer computes), whatever the file stored there.
    v = before["vertices"].astype("f8")
    expected = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
    lengths = np.linalg.norm(expected, axis=1, keepdims=True)
    expected = np.divide(expected, lengths, out=np.zeros_like(expected), where=lengths > 0)
    assert np.allclose(after["normal"], expected, atol=1e-6)


def test_finding_4_stl_attribute_bytes_are_zeroed(tmp_path):
    build = corpus.PLANTED_STL_BINARY["attribute_bytes"]
    data, report = lab_copy(tmp_path, "stl-binary", build, "utf-8", view=stl_attributes)
    assert hits(data) == []
    data = (tmp_path / "shared").read_bytes()
    assert (stl_binary_geometry(data)["attribute"] == 0).all()
    assert data[:80] == anon.STL_HEADER
    removed = {item["code"]: item["count"] for item in report["removed"]}
    assert removed["stl_attributes"] == len(corpus.IDENTITY)  # one per non-zero byte


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("place", sorted(corpus.PLANTED_STL_ASCII))
def test_finding_4_identity_planted_anywhere_in_an_ascii_stl_is_gone(tmp_path, place, encoding):
    data, _ = lab_copy(tmp_path, "stl-ascii", corpus.PLANTED_STL_ASCII[place], encoding)
    assert hits(data) == []
    before = (tmp_path / "original").read_bytes().replace(corpus.IDENTITY.encode(encoding), b"")
    assert stl_ascii_geometry(data) == stl_ascii_geometry(before)


# --- PNG ----------------------------------------------------------------------------------------


def png_chunk_types(data: bytes) -> list[bytes]:
    types, pos = [], 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        types.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return types


def png_view(data: bytes) -> bytes:
    """What the PNG's compressed chunks hold once inflated (profile, texts, image data)."""
    inflated, pos, idat = [], 8, b""
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind in (b"iCCP", b"zTXt"):
            inflated.append(zlib.decompressobj().decompress(body.split(b"\0", 1)[1][1:]))
        elif kind == b"IDAT":
            idat += body
    inflated.append(zlib.decompressobj().decompress(idat))
    return b"".join(inflated)


PNG_CASES = [
    (place, encoding)
    for place in sorted(corpus.PLANTED_PNG)
    for encoding in (("utf-8",) if place in corpus.NUL_TERMINATED else ENCODINGS)
]


@pytest.mark.parametrize(("place", "encoding"), PNG_CASES)
def test_finding_4_identity_planted_anywhere_in_a_png_is_gone(tmp_path, place, encoding):
    build = corpus.PLANTED_PNG[place]
    data, report = lab_copy(tmp_path, "png", build, encoding, view=png_view)
    assert hits(data) == []
    assert frames(tmp_path / "shared") == frames(tmp_path / "original")
    kept = {b"IHDR", b"IDAT", b"IEND", b"iCCP", b"eXIf"}
    assert set(png_chunk_types((tmp_path / "shared").read_bytes())) <= kept
    assert not report["held"]


@pytest.mark.parametrize(("width", "height"), [(37, 23), (5, 3), (1, 1)])
def test_finding_4_an_interlaced_png_is_rebuilt_with_the_same_pixels(tmp_path, width, height):
    corpus.png_interlaced(tmp_path / "original", width, height)
    anon.anonymize(tmp_path / "original", tmp_path / "shared", fmt="png")
    with Image.open(tmp_path / "shared") as im:
        assert im.info.get("interlace") == 1
    assert frames(tmp_path / "shared") == frames(tmp_path / "original")


def test_finding_4_an_animated_png_keeps_every_frame_and_loses_its_text(tmp_path):
    corpus.png_animated(tmp_path / "original")
    anon.anonymize(tmp_path / "original", tmp_path / "shared", fmt="png")
    assert hits((tmp_path / "shared").read_bytes()) == []
    before, after = frames(tmp_path / "original"), frames(tmp_path / "shared")
    assert len(after) == 3 and after == before
    types = png_chunk_types((tmp_path / "shared").read_bytes())
    assert types.count(b"fcTL") == 3 and b"acTL" in types and b"tEXt" not in types


# --- TIFF ---------------------------------------------------------------------------------------

TIFF_DECODING_TAGS = {
    256, 257, 258, 259, 262, 273, 274, 277, 278, 279, 282, 283, 284, 296, 317, 338, 339, 34675,
}  # fmt: skip


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("place", sorted(corpus.PLANTED_TIFF))
def test_finding_4_identity_planted_anywhere_in_a_tiff_is_gone(tmp_path, place, encoding):
    data, report = lab_copy(tmp_path, "tiff", corpus.PLANTED_TIFF[place], encoding)
    assert hits(data) == []
    assert frames(tmp_path / "shared") == frames(tmp_path / "original")
    with Image.open(tmp_path / "shared") as im:
        for frame in ImageSequence.Iterator(im):
            assert set(frame.tag_v2) <= TIFF_DECODING_TAGS, set(frame.tag_v2) - TIFF_DECODING_TAGS
    assert not report["held"]


# --- PLY ----------------------------------------------------------------------------------------


def mesh_of(path, file_type: str):
    import trimesh

    mesh = trimesh.load(path, file_type=file_type, process=False, force="mesh")
    return mesh.vertices.tolist(), mesh.faces.tolist()


def spelled(data: bytes) -> bytes:
    """ASCII numbers read back as bytes: a name written as its character codes."""
    numbers = [int(w) for w in data.split() if w.isdigit() and int(w) < 256]
    return bytes(numbers)


PLY_CASES = [
    (place, encoding)
    for place in sorted(corpus.PLANTED_PLY)
    for encoding in (("utf-8",) if place in corpus.NUL_TERMINATED else ENCODINGS)
]


@pytest.mark.parametrize(("place", "encoding"), PLY_CASES)
def test_finding_4_identity_planted_anywhere_in_a_ply_is_gone(tmp_path, place, encoding):
    data, _ = lab_copy(tmp_path, "ply", corpus.PLANTED_PLY[place], encoding, view=spelled)
    assert hits(data) == []
    expected = [list(v) for v in corpus.PLY_VERTICES], [list(f) for f in corpus.PLY_FACES]
    assert mesh_of(tmp_path / "shared", "ply") == expected
    header = (tmp_path / "shared").read_bytes().split(b"end_header\n")[0]
    assert b"comment" not in header and b"obj_info" not in header
    assert header.count(b"element") == 2


def test_finding_4_a_big_ply_with_mixed_faces_loses_only_the_unknown_property(tmp_path):
    """More records than one block, triangles and quads mixed: the block path and the
    record-by-record path give the same bytes as writing the kept properties directly."""
    import numpy as np

    count = 70_000
    rng = np.random.default_rng(4)
    xyz = rng.random((count, 3), dtype=np.float32)
    flags = rng.integers(0, 2**31, count, dtype=np.int32)
    vertex = np.zeros(count, [("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("flags", "<i4")])
    vertex["x"], vertex["y"], vertex["z"], vertex["flags"] = xyz.T[0], xyz.T[1], xyz.T[2], flags
    faces, kept_faces = [], []
    for index in range(count - 4):
        corners = list(range(index, index + (4 if index % 1000 == 999 else 3)))
        faces.append(bytes([len(corners)]) + np.array(corners, "<i4").tobytes())
    header = (
        f"ply\nformat binary_little_endian 1.0\nelement vertex {count}\nproperty float x\n"
        "property float y\nproperty float z\nproperty int flags\n"
        f"element face {len(faces)}\nproperty list uchar int vertex_indices\nend_header\n"
    ).encode()
    (tmp_path / "original").write_bytes(header + vertex.tobytes() + b"".join(faces))
    report = anon.anonymize(tmp_path / "original", tmp_path / "shared", fmt="ply")
    kept_faces = b"".join(faces)
    expected = header.replace(b"property int flags\n", b"") + xyz.tobytes() + kept_faces
    assert (tmp_path / "shared").read_bytes() == expected
    assert {item["code"]: item["count"] for item in report["removed"]} == {"ply_properties": 1}


# --- OBJ ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("place", sorted(corpus.PLANTED_OBJ))
def test_finding_4_identity_planted_anywhere_in_an_obj_is_gone(tmp_path, place, encoding):
    data, _ = lab_copy(tmp_path, "obj", corpus.PLANTED_OBJ[place], encoding)
    assert hits(data) == []
    (tmp_path / "clean.obj").write_text(corpus.OBJ_TEXT)
    assert mesh_of(tmp_path / "shared", "obj") == mesh_of(tmp_path / "clean.obj", "obj")
    statements = {line.split()[0] for line in data.splitlines() if line.strip()}
    assert statements <= {b"o", b"g", b"v", b"vn", b"vt", b"f", b"l", b"s", b"usemtl"}


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("place", sorted(corpus.PLANTED_MTL))
def test_finding_4_identity_planted_anywhere_in_an_mtl_is_gone(tmp_path, place, encoding):
    data, _ = lab_copy(tmp_path, "mtl", corpus.PLANTED_MTL[place], encoding)
    assert hits(data) == []
    lines = data.decode("utf-8", "replace").splitlines()
    assert lines[1:] == ["Ka 1 1 1", "Kd 0.9 0.9 0.85", "d 1", "illum 2", "map_Kd enamel.png"]


# --- Honest files keep their pixels ------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "options"),
    [
        ("RGB", {"progressive": True}),
        ("RGB", {"optimize": True, "subsampling": 0}),
        ("RGB", {"restart_marker_blocks": 2}),
        ("L", {}),
        ("CMYK", {}),  # Pillow writes an Adobe marker: the colour transform must survive
    ],
)
def test_finding_4_jpeg_variants_keep_their_pixels_through_the_allow_list(tmp_path, mode, options):
    image = Image.new(mode, (40, 24))
    for x in range(40):
        for y in range(24):
            image.putpixel((x, y), (x * 6, y * 10, 255 - x * 6, 30)[: len(mode)] if mode != "L"
                           else x * 6)  # fmt: skip
    image.save(tmp_path / "original", "JPEG", quality=85, **options)
    report = anon.anonymize(tmp_path / "original", tmp_path / "shared", fmt="jpeg")
    assert frames(tmp_path / "shared") == frames(tmp_path / "original")
    with Image.open(tmp_path / "original") as before, Image.open(tmp_path / "shared") as after:
        assert after.mode == before.mode
        assert after.info.get("adobe_transform") == before.info.get("adobe_transform")
        assert after.info.get("progressive") == before.info.get("progressive")
    assert "pixels_unchanged" in {note["code"] for note in report["notes"]}


def test_finding_4_a_profile_longer_than_one_jpeg_segment_is_reduced_and_split(tmp_path):
    import struct

    curve = b"curv" + bytes(4) + struct.pack(">I", 40_000)
    curve += b"".join(struct.pack(">H", (i * 65535) // 39_999) for i in range(40_000))
    desc = corpus._icc_mluc(corpus.IDENTITY.encode("utf-16-be"))
    profile = corpus._icc_with({b"rTRC": curve, b"desc": desc})
    assert len(profile) > 65_533

    def build(path, text):
        corpus._jpeg_icc(path, profile)

    data, _ = lab_copy(tmp_path, "jpeg", build, "utf-8")
    assert hits(data) == []
    assert data.count(b"ICC_PROFILE\0") == 2
    with Image.open(tmp_path / "shared") as im:
        assert icc_tags(im.info["icc_profile"])[b"rTRC"] == curve
    assert frames(tmp_path / "shared") == frames(tmp_path / "original")


# --- Any name, any place ------------------------------------------------------------------------

PLANTED = {
    "jpeg": (corpus.PLANTED_JPEG, None),
    "png": (corpus.PLANTED_PNG, png_view),
    "tiff": (corpus.PLANTED_TIFF, None),
    "stl-binary": (corpus.PLANTED_STL_BINARY, stl_hidden_bytes),
    "stl-ascii": (corpus.PLANTED_STL_ASCII, None),
    "ply": (corpus.PLANTED_PLY, spelled),
    "obj": (corpus.PLANTED_OBJ, None),
    "mtl": (corpus.PLANTED_MTL, None),
}
PLACES = [(fmt, place) for fmt, (places, _) in PLANTED.items() for place in sorted(places)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    where=st.sampled_from(PLACES),
    encoding=st.sampled_from(ENCODINGS),
    name=st.text(alphabet=string.ascii_letters, min_size=10, max_size=24),
)
def test_finding_4_any_name_planted_in_any_place_is_gone(where, encoding, name):
    fmt, place = where
    places, view = PLANTED[fmt]
    if place in corpus.NUL_TERMINATED:
        encoding = "utf-8"
    planted = name.encode(encoding)
    with tempfile.TemporaryDirectory() as folder:
        source, out = Path(folder) / "original", Path(folder) / "shared"
        places[place](source, planted)
        original = source.read_bytes()
        assert planted[:16] in original + (view(original) if view else b"")
        anon.anonymize(source, out, fmt=fmt)
        data = out.read_bytes()
        data += view(data) if view else b""
        for needle in {name.encode(e) for e in ENCODINGS}:
            assert needle[:16] not in data
