"""Mesh inspection, repair and preview (FIL-4, FIL-5).

Most tests call the private workers (``_inspect``, ``_repair``, ``_preview``) in this process:
the sandbox costs a fresh interpreter (~3-4 s of imports) per call. A few tests go through the
public, sandboxed functions to prove the wiring and the limits. No database is needed.
"""

import hashlib
import io
import struct
import time

import numpy as np
import pytest
import trimesh
from PIL import Image

from dentalbridge.files import mesh
from dentalbridge.files.sandbox import SandboxError
from dentalbridge.files.tests import meshes

TOOTH = meshes.tooth()


def codes(report):
    return {f["code"]: (f["severity"], f["count"]) for f in report["findings"]}


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stl(tmp_path, vertices_faces, name="scan.stl"):
    return meshes.write_stl(tmp_path / name, *vertices_faces)


# --- Inspection ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["stl", "stl_ascii", "ply", "obj"])
def test_a_clean_closed_tooth_is_green_in_every_format(tmp_path, fmt):
    suffix = fmt.split("_")[0]
    path = meshes.WRITERS[fmt](tmp_path / f"tooth.{suffix}", *TOOTH)
    report = mesh._inspect(str(path), None)
    assert report["format"] == suffix
    assert report["status"] == "green"
    assert report["findings"] == []
    assert report["faces"] == 5120
    assert report["vertices"] == 2562  # the STL's unshared corners are merged
    assert report["watertight"] is True
    assert report["units"] == "mm"
    assert report["components"] == 1
    assert report["boundary_edges"] == report["holes"] == report["boundary_loops"] == 0
    assert 8 < max(report["bounds"]) < 12


@pytest.mark.parametrize("fmt", ["stl", "stl_ascii", "ply", "obj"])
def test_the_format_is_sniffed_when_the_file_has_no_suffix(tmp_path, fmt):
    path = meshes.WRITERS[fmt](tmp_path / "upload", *TOOTH)
    assert mesh._inspect(str(path), None)["format"] == fmt.split("_")[0]
    assert mesh._inspect(str(path), fmt.split("_")[0])["faces"] == 5120


def test_holes_are_counted_one_per_boundary_loop(tmp_path):
    report = mesh._inspect(str(stl(tmp_path, meshes.with_holes(*TOOTH, 3))), None)
    assert report["holes"] == report["boundary_loops"] == 3
    assert report["boundary_edges"] == 15  # five edges around each removed fan
    assert codes(report)["holes"] == ("warning", 3)
    assert report["watertight"] is False
    assert report["status"] == "amber"


def test_flipped_faces_are_counted_exactly(tmp_path):
    report = mesh._inspect(str(stl(tmp_path, meshes.with_flipped(*TOOTH, 37))), None)
    assert report["inconsistent_normals"] == 37
    assert codes(report) == {"inconsistent_normals": ("warning", 37)}
    assert report["status"] == "amber"


def test_an_inside_out_mesh_is_coherent_so_not_inconsistent(tmp_path):
    vertices, faces = TOOTH
    report = mesh._inspect(str(stl(tmp_path, (vertices, faces[:, ::-1]))), None)
    assert report["inconsistent_normals"] == 0
    assert report["status"] == "green"


def test_duplicate_faces_are_counted_in_either_winding(tmp_path):
    report = mesh._inspect(str(stl(tmp_path, meshes.with_duplicates(*TOOTH, 11))), None)
    assert report["duplicate_faces"] == 11
    assert report["non_manifold_edges"] == 0  # counted once, as duplicates
    assert report["inconsistent_normals"] == 0
    assert codes(report) == {"duplicate_faces": ("warning", 11)}
    assert report["watertight"] is False


def test_degenerate_faces_repeated_vertex_and_collinear_are_counted(tmp_path):
    report = mesh._inspect(str(stl(tmp_path, meshes.with_degenerate(*TOOTH, 10))), None)
    assert report["degenerate_faces"] == 10
    assert codes(report) == {"degenerate_faces": ("warning", 10)}
    assert report["boundary_edges"] == 0  # degenerate faces stay out of the edge topology


def test_floating_debris_below_one_percent_of_the_main_piece(tmp_path):
    report = mesh._inspect(str(stl(tmp_path, meshes.with_debris(*TOOTH, 4))), None)
    assert report["components"] == 5
    assert report["debris_components"] == 4
    assert report["debris_faces"] == 80
    assert codes(report) == {"debris": ("warning", 4)}
    assert report["units"] == "mm"  # decided on the main piece, not the debris-inflated bounds


def test_non_manifold_edges_make_the_report_red(tmp_path):
    report = mesh._inspect(str(stl(tmp_path, meshes.with_fins(*TOOTH, 3))), None)
    assert report["non_manifold_edges"] == 3
    assert codes(report)["non_manifold_edges"] == ("error", 3)
    assert report["status"] == "red"


def test_a_scan_in_inches_is_flagged(tmp_path):
    report = mesh._inspect(str(stl(tmp_path, meshes.in_inches(*TOOTH))), None)
    assert report["units"] == "inch"
    assert codes(report) == {"units_inch": ("warning", 1)}
    assert report["status"] == "amber"


def test_a_scan_in_metres_has_unknown_units(tmp_path):
    vertices, faces = meshes.arch()
    report = mesh._inspect(str(stl(tmp_path, (vertices / 1000, faces))), None)
    assert report["units"] == "unknown"
    assert codes(report)["units_unknown"] == ("warning", 1)


@pytest.mark.parametrize(
    ("extent", "units"),
    [(3.99, "inch"), (4, "mm"), (60, "mm"), (200, "mm"), (201, "unknown"), (0.14, "unknown")],
)
def test_the_units_rule_boundaries(extent, units):
    assert mesh._units(extent) == units


def test_an_open_arch_with_one_border_is_green(tmp_path):
    report = mesh._inspect(str(stl(tmp_path, meshes.arch())), None)
    assert report["boundary_loops"] == 1
    assert report["open_border"] is True
    assert report["holes"] == 0
    assert codes(report) == {"open_border": ("info", 1)}
    assert report["status"] == "green"
    assert report["watertight"] is False
    assert report["units"] == "mm"


def test_small_loops_on_an_open_arch_are_holes(tmp_path):
    report = mesh._inspect(str(stl(tmp_path, meshes.arch_with_holes(5))), None)
    assert report["boundary_loops"] == 6
    assert report["holes"] == 5
    assert codes(report) == {"holes": ("warning", 5), "open_border": ("info", 1)}
    assert report["status"] == "amber"


def test_a_die_cut_open_at_its_base_has_a_border_not_a_hole(tmp_path):
    vertices, faces = TOOTH
    above_base = vertices[faces, 2].max(axis=1) > -3
    report = mesh._inspect(str(stl(tmp_path, (vertices, faces[above_base]))), None)
    assert report["boundary_loops"] == 1
    assert report["holes"] == 0
    assert report["status"] == "green"


def test_the_report_is_json_serialisable(tmp_path):
    import json

    report = mesh._inspect(str(stl(tmp_path, meshes.scan_like(5000))), None)
    assert json.loads(json.dumps(report)) == report
    assert {f["severity"] for f in report["findings"]} <= {"info", "warning", "error"}


# --- Reading and merging, lean (issue 13, finding 2) -------------------------------------------


def _awkward_mesh():
    """The tooth with 11 duplicate and 10 degenerate faces, a vertex with a NaN coordinate, and
    a copy of a face whose vertex at x = 0.0 is replaced by a twin at x = -0.0: once merged, the
    twin is that vertex and the copy a twelfth duplicate."""
    vertices, faces = meshes.with_degenerate(*meshes.with_duplicates(*TOOTH, 11), 10)
    vertices = vertices.copy()
    vertices[0, 0] = 0.0
    twin = vertices[0] * [-1.0, 1.0, 1.0]  # x is -0.0
    vertices[7, 1] = np.nan
    face = faces[np.flatnonzero((faces == 0).any(axis=1))[0]]
    return np.vstack([vertices, twin]), np.vstack([faces, np.where(face == 0, len(vertices), face)])


def _merge_as_before(vertices, faces):
    """Vertex merging as it was before the lean rewrite: np.unique of the hash, checked."""
    rounded = vertices.astype(np.float32) + np.float32(0)
    key = mesh._hash(rounded.view(np.uint32))
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    if not np.array_equal(rounded[first][inverse], rounded, equal_nan=True):  # hash collision
        _, first, inverse = np.unique(rounded, axis=0, return_index=True, return_inverse=True)
    return vertices[first], inverse.reshape(-1)[faces]


def _same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.array_equal(a.view(np.uint8), b.view(np.uint8))


def test_the_streamed_stl_reader_reads_what_trimesh_read(tmp_path):
    path = str(stl(tmp_path, _awkward_mesh()))
    count = mesh._binary_stl_count(path)
    corners = mesh._read_binary_stl(path, count)
    loaded = trimesh.load_mesh(path, file_type="stl", process=False)
    assert corners.dtype == np.float32
    assert _same_bits(corners.astype(np.float64), loaded.vertices)  # NaN and -0.0 included
    assert np.array_equal(loaded.faces, np.arange(3 * count).reshape(-1, 3))

    vertices, faces, fmt, stored = mesh._load(path, "stl")
    before_vertices, before_faces = _merge_as_before(*mesh._load_with_trimesh(path, "stl"))
    assert (fmt, stored) == ("stl", 3 * count)
    assert faces.dtype == np.int32
    assert _same_bits(vertices, before_vertices)
    assert np.array_equal(faces, before_faces)
    report = mesh._analyse(vertices, faces).report("stl")
    assert report["vertices"] == len(TOOTH[0]) + 5  # the -0.0 twin merged, five sliver tips
    assert report["duplicate_faces"] == 12
    assert report["degenerate_faces"] > 10  # and the faces around the NaN vertex


@pytest.mark.parametrize("hashing", ["as is", "shared prefixes", "collisions"])
def test_vertex_merging_gives_what_np_unique_of_the_hash_gave(monkeypatch, hashing):
    """The merge sorts the hashes' top bits with np.sort; a run of one prefix holding several
    vertices is sorted again, and one hash for different coordinates falls back to comparing
    them. Weakened hashes force both on a small mesh."""
    strong = mesh._hash
    bits = {"as is": 0, "shared prefixes": 34, "collisions": 56}[hashing]
    monkeypatch.setattr(mesh, "_hash", lambda words: strong(words) >> np.uint64(bits))
    vertices, faces = _awkward_mesh()
    corners = vertices[faces].reshape(-1, 3).astype(np.float32)  # as a binary STL holds them
    for raw, raw_faces in ((vertices, faces), (corners, None)):
        merged, merged_faces = mesh._merge_vertices(raw, raw_faces)
        stored_faces = np.arange(len(raw)).reshape(-1, 3) if raw_faces is None else raw_faces
        before_vertices, before_faces = _merge_as_before(raw, stored_faces)
        assert _same_bits(merged, np.asarray(before_vertices, dtype=np.float64))
        assert np.array_equal(merged_faces, before_faces)
    words = mesh._rounded(corners).view(np.uint32)
    key, distinct = mesh._hash(words), len(np.unique(strong(words)))
    prefixes = len(np.unique(key >> np.uint64((len(corners) - 1).bit_length())))
    if hashing == "shared prefixes":  # runs of one prefix with several vertices were sorted
        assert prefixes < len(np.unique(key)) == distinct
    elif hashing == "collisions":  # one hash for different vertices
        assert len(np.unique(key)) < distinct


@pytest.mark.parametrize("hashing", ["packed key", "hash", "hash collisions"])
def test_duplicates_are_found_the_same_way_on_big_meshes(tmp_path, monkeypatch, hashing):
    """Beyond 2**21 vertices a face's three indices no longer fit one int64 key: they are hashed,
    and a collision falls back to a lexsort. Forced here on a small mesh."""
    path = str(stl(tmp_path, meshes.with_degenerate(*meshes.with_duplicates(*TOOTH, 11), 10)))
    expected = mesh._inspect(path, None)
    if hashing != "packed key":
        monkeypatch.setattr(mesh, "_FACE_KEY_VERTICES", 0)
    if hashing == "hash collisions":
        strong = mesh._hash
        monkeypatch.setattr(mesh, "_hash", lambda words: strong(words) >> np.uint64(58))
    assert mesh._inspect(path, None) == expected
    assert expected["duplicate_faces"] == 11


# --- Empty and unreadable files -----------------------------------------------------------------


def test_a_zero_byte_file_is_an_empty_red_report(tmp_path):
    path = tmp_path / "empty.stl"
    path.write_bytes(b"")
    report = mesh._inspect(str(path), None)
    assert report["faces"] == 0
    assert codes(report) == {"empty": ("error", 1)}
    assert report["status"] == "red"


def test_an_obj_without_faces_is_empty(tmp_path):
    path = tmp_path / "notes.obj"
    path.write_text("v 0 0 0\nv 1 0 0\n# no faces\n")
    assert codes(mesh._inspect(str(path), None)) == {"empty": ("error", 1)}


def test_a_ply_point_cloud_is_empty(tmp_path):
    path = tmp_path / "points.ply"
    path.write_bytes(trimesh.PointCloud(TOOTH[0]).export(file_type="ply"))
    assert codes(mesh._inspect(str(path), None)) == {"empty": ("error", 1)}


def test_an_empty_mesh_cannot_be_repaired_or_previewed(tmp_path):
    path = tmp_path / "empty.stl"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="no triangles"):
        mesh._repair(str(path), str(tmp_path / "out.stl"), None)
    with pytest.raises(ValueError, match="no triangles"):
        mesh._preview(str(path), str(tmp_path / "p.glb"), str(tmp_path / "p.png"), None, 10, 64)


def test_a_binary_stl_claiming_more_triangles_than_it_holds_is_refused(tmp_path):
    path = tmp_path / "claim.stl"
    path.write_bytes(b"\0" * 80 + struct.pack("<I", 2_000_000_000) + b"\0" * 500)
    with pytest.raises(ValueError, match="header"):
        mesh._inspect(str(path), None)


def test_a_ply_claiming_two_billion_faces_is_refused(tmp_path):
    path = tmp_path / "claim.ply"
    path.write_bytes(
        b"ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\n"
        b"property float y\nproperty float z\nelement face 2000000000\n"
        b"property list uchar int vertex_indices\nend_header\n" + b"\0" * 100
    )
    with pytest.raises(ValueError):
        mesh._inspect(str(path), None)


def test_an_unknown_format_argument_is_refused_before_any_work(tmp_path):
    with pytest.raises(ValueError, match="unsupported"):
        mesh.inspect_mesh(str(tmp_path / "x.3mf"), fmt="3mf")
    with pytest.raises(ValueError, match=r"\.stl or \.ply"):
        mesh.repair_mesh(str(tmp_path / "x.stl"), str(tmp_path / "x.obj"))


# --- Repair -------------------------------------------------------------------------------------

DEFECTS = {
    "holes": (meshes.with_holes(*TOOTH, 4), "close_holes", 4),
    "flipped": (meshes.with_flipped(*TOOTH, 37), "reorient_faces", 37),
    "duplicates": (meshes.with_duplicates(*TOOTH, 11), "remove_duplicate_faces", 11),
    "degenerate": (meshes.with_degenerate(*TOOTH, 10), "remove_degenerate_faces", 10),
    "debris": (meshes.with_debris(*TOOTH, 4), "remove_debris", 80),
    "non_manifold": (meshes.with_fins(*TOOTH, 3), "remove_non_manifold_faces", 3),
}


@pytest.mark.parametrize("defect", DEFECTS)
def test_repair_makes_a_defective_closed_mesh_watertight_and_green(tmp_path, defect):
    vertices_faces, action, count = DEFECTS[defect]
    src = stl(tmp_path, vertices_faces)
    before = digest(src)
    result = mesh._repair(str(src), str(tmp_path / "fixed.stl"), None)
    assert result["before"]["status"] != "green"
    assert result["after"]["watertight"] is True
    assert result["after"]["status"] == "green", result["after"]["findings"]
    assert {"code": action, "count": count} in result["actions"]
    assert digest(src) == before  # the original is untouched
    assert mesh._inspect(str(tmp_path / "fixed.stl"), None) == result["after"]


def test_repair_of_everything_at_once_writes_a_ply(tmp_path):
    vertices, faces = meshes.with_holes(*TOOTH, 2)
    vertices, faces = meshes.with_flipped(vertices, faces, 20)
    vertices, faces = meshes.with_degenerate(*meshes.with_duplicates(vertices, faces, 5), 6)
    src = meshes.write_obj(tmp_path / "scan.obj", *meshes.with_debris(vertices, faces, 3))
    result = mesh._repair(str(src), str(tmp_path / "fixed.ply"), None)
    assert result["before"]["format"] == "obj"
    assert result["after"]["format"] == "ply"  # the report of the file written
    assert result["after"]["watertight"] is True
    assert result["after"]["status"] == "green"
    assert trimesh.load(tmp_path / "fixed.ply", process=False).is_watertight
    assert mesh._signed_volume(*_arrays(tmp_path / "fixed.ply")) > 0  # facing outwards


def _arrays(path):
    loaded = trimesh.load(path, process=False)
    return np.asarray(loaded.vertices), np.asarray(loaded.faces)


def test_repair_keeps_the_open_border_of_an_arch_and_fills_only_the_holes(tmp_path):
    src = stl(tmp_path, meshes.arch_with_holes(5))
    result = mesh._repair(str(src), str(tmp_path / "fixed.stl"), None)
    after = result["after"]
    assert {"code": "close_holes", "count": 5} in result["actions"]
    assert after["boundary_loops"] == 1
    assert after["open_border"] is True
    assert after["holes"] == 0
    assert after["watertight"] is False
    assert after["status"] == "green"


def test_repair_does_not_rescale_inches(tmp_path):
    src = stl(tmp_path, meshes.in_inches(*TOOTH))
    result = mesh._repair(str(src), str(tmp_path / "fixed.stl"), None)
    assert codes(result["after"]) == {"units_inch": ("warning", 1)}


# --- Preview ------------------------------------------------------------------------------------


def test_preview_decimates_to_a_glb_and_renders_a_png(tmp_path):
    src = stl(tmp_path, meshes.arch_with_holes(3))
    glb, png = tmp_path / "p.glb", tmp_path / "p.png"
    result = mesh._preview(str(src), str(glb), str(png), None, 4000, 256)
    assert result["faces"] == 11514
    assert 3000 < result["preview_faces"] <= 4000
    assert result["glb_bytes"] == glb.stat().st_size
    loaded = trimesh.load(glb, force="mesh", process=False)
    assert len(loaded.faces) == result["preview_faces"]
    assert loaded.vertices.dtype == np.float64  # trimesh widens the float32 buffer on load
    assert abs(max(loaded.extents) - max(mesh._inspect(str(src), None)["bounds"])) < 0.5

    image = Image.open(io.BytesIO(png.read_bytes()))
    assert image.format == "PNG"
    assert result["png_size"] == [256, 256] == list(image.size)
    alpha = np.asarray(image)[..., 3]
    assert 0.05 < (alpha > 0).mean() < 0.9  # an arch, not a blank or a filled square
    assert len(np.unique(np.asarray(image)[alpha > 0][:, 0])) > 10  # shaded, not flat


def test_a_mesh_far_above_the_limit_is_clustered_then_collapsed(tmp_path):
    src = stl(tmp_path, meshes.arch())  # 11,520 faces, more than three times the limit
    glb, png = tmp_path / "p.glb", tmp_path / "p.png"
    result = mesh._preview(str(src), str(glb), str(png), None, 1000, 128)
    assert 800 < result["preview_faces"] <= 1000
    assert len(trimesh.load(glb, force="mesh", process=False).faces) == result["preview_faces"]


def test_a_small_mesh_is_not_decimated(tmp_path):
    src = stl(tmp_path, TOOTH)
    glb, png = tmp_path / "p.glb", tmp_path / "p.png"
    result = mesh._preview(str(src), str(glb), str(png), None, 150_000, 64)
    assert result["preview_faces"] == result["faces"] == 5120


def test_rendering_300k_faces_is_vectorised():
    """~0.4 s on an idle machine (bench/mesh_bench.py measures it); the bound here only catches
    a regression to per-face Python loops, which take minutes, without failing on a busy CI."""
    vertices, faces = meshes.arch(along=3125, around=48)
    assert len(faces) == 300_000
    started = time.perf_counter()
    image = mesh._render(vertices, faces, 512)
    assert time.perf_counter() - started < 20.0
    assert (image[..., 3] > 0).any()


# --- Through the sandbox ------------------------------------------------------------------------


def test_inspect_repair_and_preview_run_in_the_sandbox(tmp_path):
    src = stl(tmp_path, meshes.with_holes(*TOOTH, 2))
    assert mesh.inspect_mesh(str(src))["holes"] == 2
    result = mesh.repair_mesh(str(src), str(tmp_path / "fixed.stl"))
    assert result["after"]["watertight"] is True
    preview = mesh.make_preview(
        str(src), str(tmp_path / "p.glb"), str(tmp_path / "p.png"), max_faces=2000, size=128
    )
    assert preview["preview_faces"] <= 2000
    assert preview["png_size"] == [128, 128]


def test_a_file_that_is_not_a_mesh_fails_cleanly(tmp_path):
    path = tmp_path / "photo.stl"
    path.write_bytes(np.random.default_rng(0).bytes(4000))
    with pytest.raises(SandboxError) as caught:
        mesh.inspect_mesh(str(path))
    assert caught.value.reason == "failed"


def test_a_huge_face_count_claim_fails_cleanly(tmp_path):
    path = tmp_path / "claim.stl"
    path.write_bytes(b"\0" * 80 + struct.pack("<I", 2_000_000_000) + b"\0" * 500)
    with pytest.raises(SandboxError) as caught:
        mesh.inspect_mesh(str(path))
    assert caught.value.reason == "failed"
    assert "header" in caught.value.detail


@pytest.mark.standalone
def test_finding_2_a_scan_of_ten_million_triangles_gets_a_report_within_the_memory_limit(tmp_path):
    """Issue 13, finding 2: a 300 MB binary STL (6 M triangles) was accepted, then its scan check
    ran out of memory (it needed ~5.4 GB; 10 M triangles ~9 GB). Now the worker's calls, with
    their default limits (``MEMORY_MB``, ``TIMEOUT``), inspect and preview a 10 M-triangle model
    (a 500 MB STL, about the limit ``MAX_FACES``) with ~1.1 GB: the streamed STL reader, int32
    indices, per-face geometry in blocks. Some faces are flipped so the heaviest path (the
    winding check's extra graph) runs too. No clock is asserted: the sandbox's is the limit."""
    around = along = 2236  # 9,999,392 triangles, 4,999,696 vertices
    path = meshes.write_torus_stl(tmp_path / "model.stl", around, along, flip_every=1000)
    faces = 2 * around * along
    assert path.stat().st_size == 84 + 50 * faces

    report = mesh.inspect_mesh(str(path), fmt="stl")
    assert report["faces"] == faces <= mesh.MAX_FACES
    assert report["vertices"] == around * along
    assert report["bounds"] == pytest.approx([52.0, 52.0, 12.0], abs=1e-3)
    assert report["units"] == "mm"
    assert report["components"] == 1
    assert report["debris_components"] == report["debris_faces"] == 0
    assert report["watertight"] is True  # winding is not part of it
    assert report["boundary_edges"] == report["boundary_loops"] == report["holes"] == 0
    assert report["non_manifold_edges"] == 0
    assert report["degenerate_faces"] == report["duplicate_faces"] == 0
    assert report["inconsistent_normals"] == -(-faces // 1000)
    assert codes(report) == {"inconsistent_normals": ("warning", -(-faces // 1000))}
    assert report["status"] == "amber"

    glb, png = tmp_path / "preview.glb", tmp_path / "thumbnail.png"
    preview = mesh.make_preview(str(path), str(glb), str(png), fmt="stl")
    assert preview["faces"] == faces
    assert 0 < preview["preview_faces"] <= 150_000  # make_preview's default max_faces
    assert len(trimesh.load(glb, force="mesh", process=False).faces) == preview["preview_faces"]
    assert preview["png_size"] == [512, 512] == list(Image.open(png).size)


def test_the_memory_limit_applies(tmp_path):
    # The budget is what the parser may map beyond its child's start (sandbox.run_limited): a
    # 15 MB scan cannot be read within 8 MB of it.
    src = meshes.write_stl(tmp_path / "scan.stl", *meshes.scan_like(300_000))
    with pytest.raises(SandboxError) as caught:
        mesh.inspect_mesh(str(src), memory_mb=8)
    assert caught.value.reason in {"memory", "failed"}
