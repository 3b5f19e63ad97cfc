"""Inspect, repair and preview uploaded dental meshes (FIL-4, FIL-5).

Background tasks call the three public functions with plain file paths; each runs its work in a
sandboxed child process (:func:`~dentalbridge.files.sandbox.run_limited`) because the file is
untrusted, and lets :class:`~dentalbridge.files.sandbox.SandboxError` through for the caller to
turn into a user message.

- :func:`inspect_mesh` returns a JSON-serialisable report (keys below).
- :func:`repair_mesh` writes a repaired copy (binary STL or PLY) and returns both reports.
- :func:`make_preview` writes a decimated binary glTF for the browser and a PNG thumbnail.

Formats: STL (binary and ASCII), PLY, OBJ. A binary STL (a file whose size matches the triangle
count in its header, as trimesh decides) is read by our own streamed reader; ASCII STL, PLY and
OBJ by trimesh with ``process=False`` (its default processing is ~48x slower, STACK.md). 3MF is
not supported: trimesh's 3MF reader needs ``lxml``, which is not installed. Without ``fmt`` the
format comes from the file suffix, else from sniffing the first bytes.

Limits: each call gets ``TIMEOUT`` (300 s of wall-clock and CPU time) and ``MEMORY_MB`` (4096 MB
of address space on top of what the forked child already maps, see
:mod:`~dentalbridge.files.sandbox`); a mesh may have up to ``MAX_FACES`` (10 M) triangles, a
500 MB binary STL. Full-arch and model scans of that size get their report and preview (issue
13, finding 2: the check of a 6 M-triangle STL ran out of memory; it needed ~5.4 GB, ~9 GB at
10 M). Memory is kept down, and with it time, by:

- reading a binary STL ``CHUNK`` records at a time into one float32 array of corners (trimesh
  holds the whole file, then a float64 copy of the corners);
- merging vertices with one ``np.sort`` of hash prefixes packed with the vertex index instead of
  ``np.unique`` (whose ``np.argsort`` is ~8x slower): ~4x faster with a quarter of the extra
  memory;
- int32 indices (every count here is below 2**31), freeing big temporaries as soon as they are
  used, sorting edge keys once with each edge's direction in the lowest bit;
- per-face geometry (the degenerate test, the preview's surface area) in blocks of ``CHUNK``
  faces, column by column, never a whole ``vertices[faces]`` corner array.

At 10 M triangles an inspection or a preview peaks at ~1.1 GB (it fits in ~1.3 GB of
``MEMORY_MB``) and takes ~15 s on two cores; a repair peaks at ~2.9 GB, mostly pymeshlab's own
copy of the mesh (the analysis is dropped first, and the repaired STL is written a block of faces
at a time, the bytes trimesh's export wrote), and takes ~100 s. The report is what it was before,
number for number, for every mesh: per-face geometry is still float64 and computed in the same
order. ASCII STL, PLY and OBJ are still parsed whole by trimesh: a binary PLY or an OBJ of 10 M
faces peaks at ~2.8 GB (it fits), but trimesh's ASCII STL parser takes ~2 GB per million faces,
so an ASCII STL of more than about 2 M faces (~600 MB) runs out of memory
(``SandboxError(reason="memory")``).

Unreadable and empty files: a file that cannot be parsed (not a mesh, truncated, a binary STL
whose header claims more triangles than the file holds or more than ``MAX_FACES``) raises in the
child and so reaches the caller as ``SandboxError(reason="failed")`` (or ``"memory"``/
``"timeout"``). A file that parses but holds no triangles (0 bytes, an OBJ of prose, a PLY point
cloud) is inspected as an ``empty`` report (status red); repairing or previewing it raises.

How the report counts (all on the mesh *after* merging bit-identical vertices, because STL stores
three unshared vertices per triangle; coordinates are compared as float32):

- ``vertices``: distinct vertices referenced by faces; ``faces``: triangles as stored.
- ``degenerate_faces``: a face that repeats a vertex, has a non-finite coordinate, or whose height
  (twice its area over its longest edge) is below ``1e-6`` of the mesh's bounding-box diagonal.
- ``duplicate_faces``: further copies of a face with the same three vertices (either winding).
- Degenerate and duplicate faces are left out of all edge topology below, so each defect is
  counted once (a duplicated face would otherwise also make three non-manifold edges).
- ``boundary_edges``: edges with one face; ``non_manifold_edges``: edges with three or more.
- ``components``: pieces connected through shared vertices. ``debris_components`` /
  ``debris_faces``: pieces with fewer than ``DEBRIS_FRACTION`` (1 %) of the faces of the largest.
- ``boundary_loops``: connected loops of boundary edges on the non-debris pieces. An intraoral scan
  is an open surface, so per piece the longest loop is the scan's natural border
  (``open_border``) when its length is at least ``BORDER_FRACTION`` (half) of that piece's
  bounding-box diagonal; every other loop is a hole. ``holes`` = loops - borders.
- ``inconsistent_normals``: the number of faces that would have to be flipped to orient each
  piece coherently (the smaller of the two winding classes, per edge-connected piece; ties count
  one class). It says nothing about whether the whole mesh faces inwards.
- ``watertight``: faces exist and every edge of the stored faces has exactly two faces (no
  boundary, non-manifold, degenerate or duplicate faces); winding is not considered.
- ``units``: from the largest extent ``L`` of the largest piece (debris can sit far away): an arch
  is 40-80 mm, a single die ~10 mm, a model with base up to ~120 mm, so ``4 <= L <= 200`` is "mm";
  ``0.15 <= L < 4`` is "inch" (3.8-100 mm); anything else is "unknown" (e.g. metres).

Traffic light: ``status`` is "red" if any finding is an error, else "amber" if any is a warning,
else "green". Errors: ``empty``, ``non_manifold_edges`` (CAD/CAM software rejects them).
Warnings: ``holes``, ``degenerate_faces``, ``duplicate_faces``, ``inconsistent_normals``,
``debris``, ``units_inch``, ``units_unknown``. Info: ``open_border`` (the one large border loop
per piece of an open scan is normal). Findings with a zero count are not listed.

Repair (in this order): merge vertices; drop degenerate, duplicate and debris faces by the rules
above (so the action counts match the report); pymeshlab removes faces on non-manifold edges,
splits non-manifold vertices, re-orients faces coherently (keeping the winding of the majority of
faces) and closes holes with ``selfintersection=False``. Repair keeps an open scan open: holes are
filled only up to one edge fewer than the longest border loop (pymeshlab's ``maxholesize`` counts
edges; a hole with more edges than the border stays open), so the natural border stays, while a
closed mesh with holes (no border) becomes watertight and is then turned to face outwards. Units
are reported, never rescaled. The ``after`` report is an inspection of the file written.
Action codes: ``merge_vertices``, ``remove_degenerate_faces``, ``remove_duplicate_faces``,
``remove_debris`` (faces), ``remove_non_manifold_faces``, ``reorient_faces`` (faces whose winding
changed), ``close_holes`` (holes closed); actions with a zero count are not listed.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, cast

import numpy as np

from dentalbridge.files.sandbox import run_limited

TIMEOUT = 300  # seconds of wall-clock (and CPU) time per call
MEMORY_MB = 4096
MAX_FACES = 10_000_000  # an intraoral scan has 0.1-2 M triangles; 10 M is a 500 MB STL
DEBRIS_FRACTION = 0.01  # a piece with < 1 % of the largest piece's faces is debris
BORDER_FRACTION = 0.5  # a loop at least half a piece's bbox diagonal long is its border
DEGENERATE_HEIGHT = 1e-6  # relative to the bbox diagonal; float32 resolution is ~5e-8
FORMATS = ("stl", "ply", "obj")
REPAIR_SUFFIXES = (".stl", ".ply")

SEVERITY = {
    "empty": "error",
    "non_manifold_edges": "error",
    "holes": "warning",
    "degenerate_faces": "warning",
    "duplicate_faces": "warning",
    "inconsistent_normals": "warning",
    "debris": "warning",
    "units_inch": "warning",
    "units_unknown": "warning",
    "open_border": "info",
}


# --- Public API (runs in the sandbox) ------------------------------------------------------------


def inspect_mesh(
    src: str, *, fmt: str | None = None, timeout: float = TIMEOUT, memory_mb: int = MEMORY_MB
) -> dict[str, Any]:
    """The quality report of the mesh at ``src`` (see the module docstring)."""
    return run_limited(
        _inspect, str(src), _checked_format(fmt), timeout=timeout, memory_mb=memory_mb
    )


def repair_mesh(
    src: str,
    dst: str,
    *,
    fmt: str | None = None,
    timeout: float = TIMEOUT,
    memory_mb: int = MEMORY_MB,
) -> dict[str, Any]:
    """Write a repaired copy of ``src`` to ``dst`` (binary STL or PLY by suffix); ``src`` is not
    changed. Returns ``{"before": report, "after": report, "actions": [{"code", "count"}]}``;
    ``after`` is the report of the file written."""
    if Path(dst).suffix.lower() not in REPAIR_SUFFIXES:
        raise ValueError(f"repair writes .stl or .ply, not {dst!r}")
    return run_limited(
        _repair, str(src), str(dst), _checked_format(fmt), timeout=timeout, memory_mb=memory_mb
    )


def make_preview(
    src: str,
    glb_dst: str,
    png_dst: str,
    *,
    fmt: str | None = None,
    max_faces: int = 150_000,
    size: int = 512,
    timeout: float = TIMEOUT,
    memory_mb: int = MEMORY_MB,
) -> dict[str, Any]:
    """Write a binary glTF (at most ``max_faces`` triangles, float32, with vertex normals, in file
    units) and a ``size`` x ``size`` RGBA PNG seen from the occlusal side. Returns
    ``{"faces", "preview_faces", "glb_bytes", "png_size": [w, h]}``."""
    return run_limited(
        _preview,
        str(src),
        str(glb_dst),
        str(png_dst),
        _checked_format(fmt),
        int(max_faces),
        int(size),
        timeout=timeout,
        memory_mb=memory_mb,
    )


def _checked_format(fmt: str | None) -> str | None:
    if fmt is None:
        return None
    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"unsupported mesh format {fmt!r}; expected one of {FORMATS}")
    return fmt


# --- The work (module level so the spawned child can import it) --------------------------------


def _inspect(src: str, fmt: str | None) -> dict[str, Any]:
    vertices, faces, fmt, _stored = _load(src, fmt)
    return _analyse(vertices, faces).report(fmt)


def _repair(src: str, dst: str, fmt: str | None) -> dict[str, Any]:
    import pymeshlab

    vertices, faces, fmt, stored_vertices = _load(src, fmt)
    mesh = _analyse(vertices, faces)
    del vertices, faces  # the mesh holds them
    before = mesh.report(fmt)
    if mesh.empty:
        raise ValueError("the mesh has no triangles to repair")
    actions: list[dict[str, Any]] = []

    def act(code: str, count: int) -> None:
        if count:
            actions.append({"code": code, "count": int(count)})

    # Vertex merging, degenerate, duplicate and debris faces: done here with the same rules the
    # report uses, so the counts agree exactly.
    act("merge_vertices", stored_vertices - len(mesh.vertices))
    act("remove_degenerate_faces", mesh.degenerate.sum())
    act("remove_duplicate_faces", (mesh.duplicate & ~mesh.degenerate).sum())
    act("remove_debris", mesh.debris_faces)
    keep = mesh.clean_faces[~mesh.debris_face]
    if len(keep) == 0:
        raise ValueError("no usable triangles are left after removing degenerate faces")
    kept_vertices, kept_faces = _compact(mesh.vertices, keep)
    border_edges, boundary_edges = mesh.border_edges, mesh.boundary_edges
    del keep, mesh  # pymeshlab's copy of a 10 M-face mesh takes ~2 GB
    ms = pymeshlab.MeshSet()
    ms.add_mesh(pymeshlab.Mesh(kept_vertices, kept_faces.astype(np.int32)))
    del kept_vertices, kept_faces

    n = ms.current_mesh().face_number()
    ms.meshing_repair_non_manifold_edges(method="Remove Faces")
    act("remove_non_manifold_faces", n - ms.current_mesh().face_number())
    ms.meshing_repair_non_manifold_vertices()

    seed = ms.current_mesh().face_matrix()
    ms.meshing_re_orient_faces_coherently()
    flipped = int((ms.current_mesh().face_matrix() != seed).any(axis=1).sum())
    seeded = len(seed)
    del seed
    if flipped * 2 > seeded:  # pymeshlab oriented to a minority face: keep the majority
        ms.meshing_invert_face_orientation()
        flipped = seeded - flipped

    # Fill every hole shorter (in edges) than the scan's border, so an open scan keeps its border.
    max_hole = border_edges - 1 if border_edges else boundary_edges + 1
    if max_hole >= 3:
        closed = ms.meshing_close_holes(maxholesize=int(max_hole), selfintersection=False)
        act("close_holes", (closed or {}).get("closed_holes", 0))
    ms.meshing_remove_unreferenced_vertices()

    out = ms.current_mesh()
    out_vertices, out_faces = out.vertex_matrix(), out.face_matrix()
    del out, ms
    if border_edges == 0 and _signed_volume(out_vertices, out_faces) < 0:
        out_faces = out_faces[:, ::-1]  # a closed mesh faces outwards
        flipped = seeded - flipped
    act("reorient_faces", flipped)

    _write(dst, out_vertices, out_faces)
    del out_vertices, out_faces
    after_vertices, after_faces, after_fmt, _stored = _load(dst, None)
    return {
        "before": before,
        "after": _analyse(after_vertices, after_faces).report(after_fmt),
        "actions": actions,
    }


def _preview(
    src: str, glb_dst: str, png_dst: str, fmt: str | None, max_faces: int, size: int
) -> dict[str, Any]:
    import trimesh
    from PIL import Image

    vertices, faces, fmt, _stored = _load(src, fmt)
    stored_faces = len(faces)
    if stored_faces == 0:
        raise ValueError("the mesh has no triangles to preview")
    faces = faces[
        (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 2] != faces[:, 0])
    ]
    if len(faces) > max_faces:
        vertices, faces = _decimate(vertices, faces, max_faces)
    vertices, faces = _compact(vertices, faces)
    vertices, faces = vertices.astype(np.float32), faces.astype(np.uint32)

    preview = trimesh.Trimesh(vertices, faces, process=False)
    glb = trimesh.exchange.gltf.export_glb(preview, include_normals=True)
    Path(glb_dst).write_bytes(glb)
    image = Image.fromarray(_render(vertices.astype(np.float64), faces.astype(np.int64), size))
    image.save(png_dst, format="PNG")
    return {
        "faces": stored_faces,
        "preview_faces": len(faces),
        "glb_bytes": len(glb),
        "png_size": [image.width, image.height],
    }


def _compact(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The vertices the faces use, in their order, and the faces renumbered to them (what
    ``np.unique(faces, return_inverse=True)`` gives, without its sort)."""
    used = np.bincount(faces.ravel(), minlength=len(vertices)) > 0
    number = np.cumsum(used, dtype=_index_dtype(len(vertices)))
    number -= 1
    return vertices[used], number[faces]


# --- Loading and writing -------------------------------------------------------------------------

CHUNK = 1 << 20  # triangles per block when reading an STL or computing per-face geometry
# A binary STL triangle: normal, three corners (float32), an attribute word.
_STL_RECORD = np.dtype([("normal", "<f4", (3,)), ("corners", "<f4", (3, 3)), ("attr", "<u2")])


class _Loaded(NamedTuple):
    vertices: np.ndarray  # float64, vertices with bit-identical float32 coordinates merged
    faces: np.ndarray  # int32 indices into vertices (int64 only beyond 2**31 vertices)
    fmt: str
    stored_vertices: int  # as stored in the file (an STL stores three per triangle)


def _sniff(src: str) -> str:
    """The format from the suffix, else from the first bytes."""
    suffix = Path(src).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    with open(src, "rb") as handle:
        head = handle.read(65536)
    if head.startswith(b"ply"):
        return "ply"
    if head.lstrip().lower().startswith(b"solid") or _binary_stl_count(src) is not None:
        return "stl"
    if any(line.strip().startswith((b"v ", b"f ")) for line in head.splitlines()):
        return "obj"
    raise ValueError("not a mesh file this service reads (STL, PLY or OBJ)")


def _binary_stl_count(src: str) -> int | None:
    """The triangle count of a binary STL whose size matches its header, else None."""
    size = os.path.getsize(src)
    if size < 84:
        return None
    with open(src, "rb") as handle:
        handle.seek(80)
        count = int.from_bytes(handle.read(4), "little")
    return count if 84 + _STL_RECORD.itemsize * count == size else None


def _load(src: str, fmt: str | None) -> _Loaded:
    """The mesh with its vertices merged (:func:`_merge_vertices`), without trimesh's processing.

    A binary STL (a file whose size matches its header's count, as trimesh decides) is read by
    :func:`_read_binary_stl`; ASCII STL, PLY and OBJ by trimesh."""
    if os.path.getsize(src) == 0:
        return _Loaded(np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int32), fmt or "unknown", 0)
    fmt = fmt or _sniff(src)
    if fmt == "stl":
        with open(src, "rb") as handle:
            ascii_start = handle.read(5).lower() == b"solid"
        count = _binary_stl_count(src)
        if count is None and not ascii_start:
            raise ValueError("binary STL whose header does not match the file size")
        if count is not None and count > MAX_FACES:
            raise ValueError(f"STL claims {count} triangles; the limit is {MAX_FACES}")
        if count is not None:
            corners = _read_binary_stl(src, count)
            return _Loaded(*_merge_vertices(corners), fmt, len(corners))
    vertices, faces = _load_with_trimesh(src, fmt)
    if len(faces) == 0:
        return _Loaded(vertices, np.zeros((0, 3), dtype=np.int32), fmt, len(vertices))
    return _Loaded(*_merge_vertices(vertices, faces), fmt, len(vertices))


def _read_binary_stl(src: str, count: int) -> np.ndarray:
    """The corners of a binary STL's ``count`` triangles in file order, ``(3 * count, 3)``
    float32: triangle ``i`` is rows ``3i, 3i+1, 3i+2``. Read ``CHUNK`` records at a time into one
    reused buffer; trimesh holds the whole file, then widens the corners to float64."""
    corners = np.empty((count, 3, 3), dtype=np.float32)
    buffer = bytearray(_STL_RECORD.itemsize * min(count, CHUNK))
    with open(src, "rb") as handle:
        handle.seek(84)
        for start in range(0, count, CHUNK):
            records = min(CHUNK, count - start)
            size = _STL_RECORD.itemsize * records
            if handle.readinto(memoryview(buffer)[:size]) != size:
                raise ValueError("the STL ends before its last triangle")
            block = np.frombuffer(buffer, dtype=_STL_RECORD, count=records)
            corners[start : start + records] = block["corners"]
            del block  # the buffer is reused
    return corners.reshape(-1, 3)


def _load_with_trimesh(src: str, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (float64) and faces (int64) as stored."""
    import trimesh

    loaded = trimesh.load_mesh(src, file_type=fmt, process=False)
    faces = np.asarray(getattr(loaded, "faces", np.zeros((0, 3))), dtype=np.int64).reshape(-1, 3)
    if len(faces) > MAX_FACES:
        raise ValueError(f"the mesh has {len(faces)} triangles; the limit is {MAX_FACES}")
    vertices = np.asarray(loaded.vertices, dtype=np.float64).reshape(-1, 3)
    if len(faces) and (faces.min() < 0 or faces.max() >= len(vertices)):
        raise ValueError("a face refers to a vertex that does not exist")
    return vertices, faces


def _write(dst: str, vertices: np.ndarray, faces: np.ndarray) -> None:
    """Binary STL or binary PLY, by suffix: the bytes trimesh's export writes."""
    import trimesh

    suffix = Path(dst).suffix.lower().lstrip(".")
    if suffix == "stl":
        _write_binary_stl(dst, vertices, faces)
        return
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    Path(dst).write_bytes(cast(bytes, mesh.export(file_type=suffix)))  # binary PLY


def _write_binary_stl(dst: str, vertices: np.ndarray, faces: np.ndarray) -> None:
    """What ``trimesh.exchange.stl.export_stl`` writes (a zeroed header, unit face normals from
    trimesh's own function, zero for a degenerate face), ``CHUNK`` faces at a time: trimesh holds
    float64 corners, normals and the file's bytes twice (~2.7 GB at 10 M faces)."""
    from trimesh.triangles import normals

    vertices = np.asarray(vertices, dtype=np.float64)  # as trimesh holds them
    with open(dst, "wb") as handle:
        handle.write(bytes(80) + np.uint32(len(faces)).tobytes())
        for start in range(0, len(faces), CHUNK):
            corners = vertices[faces[start : start + CHUNK]]
            unit, valid = normals(triangles=corners)
            records = np.zeros(len(corners), dtype=_STL_RECORD)
            records["normal"][valid] = unit
            records["corners"] = corners
            handle.write(records.tobytes())
            del corners, unit, valid, records


# --- Topology ------------------------------------------------------------------------------------

# Multipliers of the 64-bit hash of three 32-bit words (odd constants, one per word).
_HASH = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)


def _index_dtype(count: int) -> type[np.signedinteger[Any]]:
    """int32 for indices below ``count`` while they fit (half the memory of int64), else int64."""
    return np.int32 if count < 2**31 else np.int64


def _rounded(vertices: np.ndarray) -> np.ndarray:
    """Coordinates as float32, -0.0 made 0.0: what vertex merging compares."""
    rounded = vertices.astype(np.float32)
    rounded += np.float32(0)
    return rounded


def _hash(words: np.ndarray) -> np.ndarray:
    """A 64-bit hash (uint64) of each row of three integers."""
    key = words[:, 0].astype(np.uint64) * np.uint64(_HASH[0])
    key ^= words[:, 1].astype(np.uint64) * np.uint64(_HASH[1])
    key ^= words[:, 2].astype(np.uint64) * np.uint64(_HASH[2])
    return key


def _merge_vertices(
    vertices: np.ndarray, faces: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Merge vertices whose float32 coordinates are bit-identical (STL shares none).

    Returns the merged vertices (float64; each the first of its copies, in the order of the hash
    of their coordinates) and the faces renumbered to them (:func:`_index_dtype`). ``faces`` None
    means three unshared corners per triangle in order, as :func:`_read_binary_stl` returns them.

    The same as ``np.unique(hash, return_index=True, return_inverse=True)`` and a check that one
    hash is one vertex, in a third of the time and memory: np.argsort is ~8x slower than np.sort,
    so one np.sort orders each hash's top bits with the vertex's index in the low bits. A run of
    one prefix is then one vertex, but for the rare run holding more (sorted again by the whole
    hash). Different coordinates with one hash (never seen) fall back to comparing coordinates."""
    n = len(vertices)
    if n == 0:
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int32)
    shift = max(1, (n - 1).bit_length())
    packed = np.empty(n, dtype=np.uint64)
    for start in range(0, n, 3 * CHUNK):
        block = _hash(_rounded(vertices[start : start + 3 * CHUNK]).view(np.uint32))
        block >>= np.uint64(shift)
        block <<= np.uint64(shift)
        block |= np.arange(start, start + len(block), dtype=np.uint64)
        packed[start : start + len(block)] = block
        del block
    packed.sort()
    order = (packed & np.uint64((1 << shift) - 1)).view(np.int64)
    packed >>= np.uint64(shift)  # the prefixes, ascending
    same = _repeats(vertices, order)
    mixed = np.flatnonzero(~same[1:] & (packed[1:] == packed[:-1])) + 1
    if len(mixed):  # runs of one prefix holding several vertices
        starts = np.flatnonzero(np.r_[True, packed[1:] != packed[:-1]])
        runs = np.unique(np.searchsorted(starts, mixed, side="right") - 1)
        lengths = np.r_[starts[1:], n][runs] - starts[runs]
        ends = np.cumsum(lengths)
        positions = np.repeat(starts[runs] - ends + lengths, lengths) + np.arange(ends[-1])
        index = order[positions]
        words = _rounded(vertices[index]).view(np.uint32)
        key = _hash(words)
        resort = np.lexsort((index, key))
        index, words, key = index[resort], words[resort], key[resort]
        order[positions] = index
        run_start = np.zeros(len(positions), dtype=bool)
        run_start[ends - lengths] = True
        same_key = np.r_[False, key[1:] == key[:-1]] & ~run_start
        rounded = words.view(np.float32)
        equal = (rounded[1:] == rounded[:-1]) | (np.isnan(rounded[1:]) & np.isnan(rounded[:-1]))
        if (same_key[1:] & ~equal.all(axis=1)).any():  # one hash, different coordinates
            return _merge_vertices_exactly(vertices, faces)
        same[positions] = same_key
    del packed
    new = ~same
    del same
    first = order[new]
    index_dtype = _index_dtype(len(first))
    inverse = np.empty(n, dtype=index_dtype)
    inverse[order] = np.cumsum(new, dtype=index_dtype) - 1
    del order, new
    merged_faces = inverse.reshape(-1, 3) if faces is None else inverse[faces]
    return np.asarray(vertices[first], dtype=np.float64), merged_faces


def _repeats(vertices: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Per position of ``order``: are the rounded coordinates of ``vertices[order[i]]`` bit for
    bit those of ``vertices[order[i - 1]]``? (False at 0.)"""
    same = np.zeros(len(order), dtype=bool)
    last = None
    for start in range(0, len(order), 3 * CHUNK):
        words = _rounded(np.take(vertices, order[start : start + 3 * CHUNK], axis=0))
        words = words.view(np.uint32)
        if last is not None:
            same[start] = bool((words[0] == last).all())
        differ = words[1:, 0] ^ words[:-1, 0]
        differ |= words[1:, 1] ^ words[:-1, 1]
        differ |= words[1:, 2] ^ words[:-1, 2]
        same[start + 1 : start + len(words)] = differ == 0
        last = words[-1].copy()
        del words, differ
    return same


def _merge_vertices_exactly(
    vertices: np.ndarray, faces: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_merge_vertices` by comparing coordinates (slower; for a hash collision)."""
    _, first, inverse = np.unique(
        _rounded(vertices), axis=0, return_index=True, return_inverse=True
    )
    inverse = inverse.reshape(-1).astype(_index_dtype(len(first)))
    merged_faces = inverse.reshape(-1, 3) if faces is None else inverse[faces]
    return np.asarray(vertices[first], dtype=np.float64), merged_faces


def _vertex_pieces(n_vertices: int, faces: np.ndarray) -> np.ndarray:
    """The piece of each vertex, connected through ``faces``, numbered as :func:`_components`
    numbers them (in the order of their lowest vertex). The graph is walked with the vertices
    renumbered in the order the faces use them: merged vertices are in hash order, scattered over
    the mesh, and scipy's walk is ~3x slower on that."""
    index = _index_dtype(max(n_vertices, faces.size))
    shift = max(1, (n_vertices - 1).bit_length())
    walk = np.zeros(n_vertices, dtype=np.int64)
    walk[faces.ravel()] = np.arange(faces.size, dtype=index)  # a corner that uses it
    walk <<= shift
    walk |= np.arange(n_vertices)
    walk.sort()
    walk &= (1 << shift) - 1  # the vertices in the order of those corners
    rank = np.empty(n_vertices, dtype=index)
    rank[walk] = np.arange(n_vertices, dtype=index)
    del walk
    label = _components(
        n_vertices,
        np.r_[rank[faces[:, 0]], rank[faces[:, 1]]],
        np.r_[rank[faces[:, 1]], rank[faces[:, 2]]],
    )
    piece = label[rank]
    del label, rank
    count = int(piece.max()) + 1
    if count == 1:
        return piece
    lowest = np.full(count, n_vertices)
    np.minimum.at(lowest, piece, np.arange(n_vertices))
    number = np.empty(count, dtype=piece.dtype)
    number[np.argsort(lowest)] = np.arange(count, dtype=piece.dtype)
    return number[piece]


def _components(n_nodes: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The connected piece of each node (numbered in the order of their lowest node) of the
    graph with edges ``a[i]-b[i]``."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n_nodes, n_nodes))
    return connected_components(graph, directed=False)[1]


def _bbox_diagonal(points: np.ndarray) -> float:
    points = points[np.isfinite(points).all(axis=1)]
    return float(np.linalg.norm(np.ptp(points, axis=0))) if len(points) else 0.0


@dataclass
class _Mesh:
    """What :func:`_analyse` found; ``report()`` is its public form."""

    empty: bool
    vertices: np.ndarray
    faces: np.ndarray
    degenerate: np.ndarray  # per stored face
    duplicate: np.ndarray  # per stored face (not counting the first copy)
    clean_faces: np.ndarray  # neither degenerate nor duplicate
    debris_face: np.ndarray  # per clean face
    bounds: list[float]
    main_extent: float
    boundary_edges: int
    non_manifold_edges: int
    inconsistent_normals: int
    components: int
    debris_components: int
    debris_faces: int
    boundary_loops: int
    borders: int
    border_edges: int  # edges of the longest border loop (0 if none)

    def report(self, fmt: str) -> dict[str, Any]:
        if self.empty:
            return _empty_report(fmt)
        holes = self.boundary_loops - self.borders
        watertight = (
            self.boundary_edges == 0
            and self.non_manifold_edges == 0
            and not self.degenerate.any()
            and not self.duplicate.any()
        )
        units = _units(self.main_extent)
        counts = {
            "holes": holes,
            "non_manifold_edges": self.non_manifold_edges,
            "degenerate_faces": int(self.degenerate.sum()),
            "duplicate_faces": int((self.duplicate & ~self.degenerate).sum()),
            "inconsistent_normals": self.inconsistent_normals,
            "debris": self.debris_components,
            "units_inch": int(units == "inch"),
            "units_unknown": int(units == "unknown"),
            "open_border": self.borders,
        }
        findings = [
            {"code": code, "severity": SEVERITY[code], "count": int(count)}
            for code, count in counts.items()
            if count
        ]
        return {
            "format": fmt,
            "faces": len(self.faces),
            "vertices": int(np.count_nonzero(np.bincount(self.faces.ravel()))),
            "bounds": self.bounds,
            "units": units,
            "boundary_edges": self.boundary_edges,
            "boundary_loops": self.boundary_loops,
            "open_border": self.borders > 0,
            "holes": holes,
            "non_manifold_edges": self.non_manifold_edges,
            "degenerate_faces": counts["degenerate_faces"],
            "duplicate_faces": counts["duplicate_faces"],
            "inconsistent_normals": self.inconsistent_normals,
            "components": self.components,
            "debris_components": self.debris_components,
            "debris_faces": self.debris_faces,
            "watertight": watertight,
            "status": _status(findings),
            "findings": findings,
        }


def _units(extent: float) -> str:
    if 4 <= extent <= 200:
        return "mm"
    if 0.15 <= extent < 4:
        return "inch"
    return "unknown"


def _status(findings: list[dict[str, Any]]) -> str:
    severities = {finding["severity"] for finding in findings}
    return "red" if "error" in severities else "amber" if "warning" in severities else "green"


def _empty_report(fmt: str) -> dict[str, Any]:
    findings = [{"code": "empty", "severity": "error", "count": 1}]
    return {
        "format": fmt, "faces": 0, "vertices": 0, "bounds": [0.0, 0.0, 0.0], "units": "unknown",
        "boundary_edges": 0, "boundary_loops": 0, "open_border": False, "holes": 0,
        "non_manifold_edges": 0, "degenerate_faces": 0, "duplicate_faces": 0,
        "inconsistent_normals": 0, "components": 0, "debris_components": 0, "debris_faces": 0,
        "watertight": False, "status": "red", "findings": findings,
    }  # fmt: skip


def _analyse(vertices: np.ndarray, faces: np.ndarray) -> _Mesh:
    """What the report counts, on merged vertices and faces (as :func:`_load` returns them).

    Big arrays are int32 and per-face geometry is computed ``CHUNK`` faces at a time (in float64,
    as before: the same numbers), so a 10 M-triangle scan fits the sandbox's memory limit."""
    empty_mask = np.zeros(0, dtype=bool)
    if len(faces) == 0:
        nothing = np.zeros((0, 3), dtype=np.int32)
        return _Mesh(True, vertices, nothing, empty_mask, empty_mask, nothing, empty_mask,
                     [0.0] * 3, 0.0, 0, 0, 0, 0, 0, 0, 0, 0, 0)  # fmt: skip
    n_vertices = len(vertices)
    finite_vertex = np.isfinite(vertices).all(axis=1)
    finite = finite_vertex[faces].all(axis=1)
    counted = np.zeros(n_vertices, dtype=bool)
    counted[faces.ravel()] = True
    counted &= finite_vertex
    del finite_vertex
    bounds = np.zeros(3)
    if counted.any():
        bounds = np.array([np.ptp(vertices[counted, axis]) for axis in range(3)])
    del counted
    diagonal = float(np.linalg.norm(bounds))

    # Degenerate: a repeated vertex, a non-finite corner, or (almost) no height.
    degenerate = (faces[:, 0] == faces[:, 1]) | (faces[:, 1] == faces[:, 2])
    degenerate |= faces[:, 2] == faces[:, 0]
    degenerate |= ~finite
    del finite
    columns = [np.ascontiguousarray(vertices[:, axis]) for axis in range(3)]
    height = DEGENERATE_HEIGHT * diagonal
    with np.errstate(invalid="ignore", divide="ignore"):
        for start in range(0, len(faces), CHUNK):
            corner = _corners(columns, faces[start : start + CHUNK])
            edge = [[b - a for a, b in zip(corner[j], corner[(j + 1) % 3], strict=True)]
                    for j in range(3)]  # fmt: skip
            del corner
            longest = np.maximum(np.maximum(_dot(edge[0], edge[0]), _dot(edge[1], edge[1])),
                                 _dot(edge[2], edge[2]))  # fmt: skip
            np.sqrt(longest, out=longest)
            normal = _cross(edge[0], [-c for c in edge[2]])
            twice_area = np.sqrt(_dot(normal, normal))
            degenerate[start : start + CHUNK] |= twice_area <= height * longest
            del edge, longest, normal, twice_area
    del columns

    duplicate = _duplicates(faces, degenerate, n_vertices)
    clean = faces[~(degenerate | duplicate)]
    m = len(clean)

    # Edges: face k's edges are 3k (corner 0 to 1), 3k+1 (1 to 2) and 3k+2 (2 to 0). One sort of
    # their undirected keys, each with its direction in the lowest bit, counts faces per edge and
    # tells whether the two faces on an edge run along it the same way (inconsistently).
    packed, forward = _edge_keys(clean, n_vertices)
    packed <<= 1
    packed |= forward
    del forward
    packed.sort()
    direction = (packed & 1).astype(bool)
    packed >>= 1  # the edges' keys, sorted
    starts = np.flatnonzero(np.r_[True, packed[1:] != packed[:-1]])
    per_edge = np.diff(np.r_[starts, len(packed)])
    boundary_edges = int((per_edge == 1).sum())
    non_manifold_edges = int((per_edge > 2).sum())
    index = _index_dtype(max(m, n_vertices, 1))
    a, b = (end.astype(index) for end in np.divmod(packed[starts[per_edge == 1]], n_vertices))
    pair = starts[per_edge == 2]  # an edge of two faces
    del packed, starts, per_edge
    same_direction = direction[pair] == direction[pair + 1]
    del direction
    f = g = np.zeros(0, dtype=index)  # the two faces on each of those edges, when needed
    if same_direction.any():
        key, _forward = _edge_keys(clean, n_vertices)
        order = np.argsort(key)  # the faces of each edge; the edges' order is the same as above
        del key, _forward
        f, g = (order[pair] // 3).astype(index), (order[pair + 1] // 3).astype(index)
        del order

    # Pieces (through shared vertices), debris and per-piece extents.
    piece_faces: np.ndarray  # faces per piece (integers; empty when no face is left)
    if m:
        vertex_piece = _vertex_pieces(n_vertices, clean)
        face_piece = vertex_piece[clean[:, 0]]
        piece_faces = np.bincount(face_piece)
        pieces = np.flatnonzero(piece_faces)
        largest = int(pieces[np.argmax(piece_faces[pieces])])
        is_debris = (piece_faces > 0) & (piece_faces < DEBRIS_FRACTION * piece_faces[largest])
        debris_face = is_debris[face_piece]
        del face_piece
        used = np.bincount(clean.ravel(), minlength=n_vertices) > 0
        piece_low, piece_high = _piece_bounds(vertices, used, vertex_piece, len(piece_faces))
        del used
        piece_diagonal = np.linalg.norm(piece_high - piece_low, axis=1)
        main_extent = float((piece_high[largest] - piece_low[largest]).max())
    else:
        pieces = np.zeros(0, dtype=np.int64)
        debris_face = np.zeros(0, dtype=bool)
        is_debris = piece_faces = piece_diagonal = np.zeros(0)
        main_extent = 0.0

    # Boundary loops (off the debris): the longest loop of a piece may be its open border.
    boundary_loops = borders = border_edges = 0
    if len(a):
        keep = ~is_debris[vertex_piece[a]]
        a, b = a[keep], b[keep]
    if len(a):
        loop = _components(n_vertices, a, b)[a]
        present = np.zeros(int(loop.max()) + 1, dtype=bool)
        present[loop] = True
        boundary_loops = int(present.sum())
        loop = (np.cumsum(present) - 1)[loop]  # what np.unique(loop, return_inverse=True) gives
        del present
        edge_length = np.empty(len(a))
        for start in range(0, len(a), 3 * CHUNK):
            end = start + 3 * CHUNK
            difference = vertices[a[start:end]] - vertices[b[start:end]]
            edge_length[start:end] = np.linalg.norm(difference, axis=1)
            del difference
        length = np.bincount(loop, weights=edge_length)
        del edge_length
        edges_per_loop = np.bincount(loop)
        loop_piece = np.zeros(boundary_loops, dtype=np.int64)
        loop_piece[loop] = vertex_piece[a]
        by_piece = np.lexsort((-length, loop_piece))
        head = by_piece[np.r_[True, loop_piece[by_piece][1:] != loop_piece[by_piece][:-1]]]
        is_border = length[head] >= BORDER_FRACTION * piece_diagonal[loop_piece[head]]
        borders = int(is_border.sum())
        if borders:
            border_edges = int(edges_per_loop[head[is_border]].max())

    return _Mesh(
        empty=False,
        vertices=vertices,
        faces=faces,
        degenerate=degenerate,
        duplicate=duplicate,
        clean_faces=clean,
        debris_face=debris_face,
        bounds=[round(float(extent), 4) for extent in bounds],
        main_extent=main_extent,
        boundary_edges=boundary_edges,
        non_manifold_edges=non_manifold_edges,
        inconsistent_normals=_inconsistent(m, f, g, same_direction),
        components=len(pieces),
        debris_components=int(is_debris.sum()),
        debris_faces=int(piece_faces[is_debris].sum()) if len(pieces) else 0,
        boundary_loops=boundary_loops,
        borders=borders,
        border_edges=border_edges,
    )


def _corners(columns: list[np.ndarray], faces: np.ndarray) -> list[list[np.ndarray]]:
    """``corner[j][axis]``: coordinate ``axis`` of corner ``j`` of each face, from one contiguous
    array per coordinate (``columns``). Per-face geometry on these 1-D arrays is ~3x faster than
    on ``vertices[faces]``, and :func:`_dot` and :func:`_cross` give the very same numbers."""
    corners = []
    for j in range(3):
        index = faces[:, j].astype(np.intp)  # contiguous, once for the three columns
        corners.append([np.take(column, index) for column in columns])
    return corners


def _dot(u: list[np.ndarray], w: list[np.ndarray]) -> np.ndarray:
    """Row-wise dot product of two vectors given by coordinate, summed left to right as
    ``np.add.reduce`` (and so ``np.linalg.norm`` and ``sum(axis=...)``) sums three numbers."""
    total = u[0] * w[0]
    total += u[1] * w[1]
    total += u[2] * w[2]
    return total


def _cross(a: list[np.ndarray], b: list[np.ndarray]) -> list[np.ndarray]:
    """Row-wise cross product by coordinate, as ``np.cross`` computes it."""
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


def _edge_keys(clean: np.ndarray, n_vertices: int) -> tuple[np.ndarray, np.ndarray]:
    """Per edge of each face (3k, 3k+1, 3k+2 for face k): its undirected key ``low * n +
    high`` (int64) and whether it runs from ``low`` to ``high``."""
    following = clean[:, [1, 2, 0]]
    forward = (clean < following).ravel()
    key = np.minimum(clean, following).astype(np.int64).ravel()
    key *= n_vertices
    key += np.maximum(clean, following).ravel()
    return key, forward


_FACE_KEY_VERTICES = 2**21  # below it, a face's three vertex indices fit one int64 key


def _duplicates(faces: np.ndarray, degenerate: np.ndarray, n_vertices: int) -> np.ndarray:
    """Per face: a further copy of an earlier non-degenerate face with the same three vertices
    (either winding); the earliest copy is not one."""
    duplicate = np.zeros(len(faces), dtype=bool)
    candidates = np.flatnonzero(~degenerate)
    ordered = np.sort(faces[candidates], axis=1)
    key: np.ndarray
    if n_vertices < _FACE_KEY_VERTICES:
        key = ordered[:, 0].astype(np.int64) * n_vertices
        key += ordered[:, 1]
        key *= n_vertices
        key += ordered[:, 2]
    else:  # a 64-bit hash of the three (a lexsort takes ~10 s at 10 M); checked below
        key = _hash(ordered)
    sorted_key = np.sort(key)  # ~8x faster than np.argsort, which only copies need
    if not (sorted_key[1:] == sorted_key[:-1]).any():
        return duplicate
    del sorted_key
    order = np.argsort(key)  # unstable: the earliest copy is found below
    key = key[order]
    same = np.flatnonzero(key[1:] == key[:-1])  # position same + 1 repeats position same
    del key
    if not (ordered[order[same]] == ordered[order[same + 1]]).all():  # a hash collision
        order = np.lexsort((ordered[:, 2], ordered[:, 1], ordered[:, 0]))
        same = np.flatnonzero((ordered[order[1:]] == ordered[order[:-1]]).all(axis=1))
    # Runs of copies in sorted order: each member but the earliest (smallest index) repeats it.
    repeat = np.zeros(len(order), dtype=bool)
    repeat[same + 1] = True
    head = np.zeros(len(order), dtype=bool)
    head[same[~repeat[same]]] = True  # the first position of each run
    member = np.flatnonzero(head | repeat)
    copies = order[member]
    earliest = np.minimum.reduceat(copies, np.flatnonzero(head[member]))
    duplicate[candidates[copies]] = True
    duplicate[candidates[earliest]] = False
    return duplicate


def _piece_bounds(
    vertices: np.ndarray, used: np.ndarray, piece: np.ndarray, n_pieces: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per piece, the lowest and highest coordinates of the ``used`` vertices (+inf and -inf for a
    piece without any)."""
    low = np.full((n_pieces, 3), np.inf)
    high = np.full((n_pieces, 3), -np.inf)
    labels = piece[used]
    for axis in range(3):
        column = vertices[used, axis]
        extreme = np.full(n_pieces, np.inf)
        np.minimum.at(extreme, labels, column)
        low[:, axis] = extreme
        extreme = np.full(n_pieces, -np.inf)
        np.maximum.at(extreme, labels, column)
        high[:, axis] = extreme
    return low, high


def _inconsistent(m: int, f: np.ndarray, g: np.ndarray, same_direction: np.ndarray) -> int:
    """Faces to flip to orient each edge-connected piece coherently: per piece, the smaller of its
    two winding classes (a tie counts one class); none on a non-orientable piece. ``f[i]`` and
    ``g[i]`` are the two faces (of ``m``) on a manifold edge, ``same_direction[i]`` whether they
    run along it the same way (inconsistently)."""
    if not same_direction.any():
        return 0
    # Faces joined by consistently wound edges are in one class: contract them into parts (the
    # one graph as big as the mesh), then two-colour the parts on an inconsistent edge on the
    # double cover (part, flipped?). A part whose two copies end up joined lies on a
    # non-orientable piece. Parts on no inconsistent edge have nothing to flip.
    agree = ~same_direction
    part = _components(m, f[agree], g[agree])
    del agree
    touched, ends = np.unique(
        np.r_[part[f[same_direction]], part[g[same_direction]]], return_inverse=True
    )
    weight = np.bincount(part)[touched]  # faces per part
    del part
    k = len(touched)
    a, b = np.split(ends.reshape(-1), 2)
    label = _components(2 * k, np.r_[a, a + k], np.r_[b + k, b])
    keep_label, flip_label = label[:k], label[k:]
    size = np.bincount(keep_label, weights=weight, minlength=label.max() + 1)
    mine, mirror = size[keep_label], size[flip_label]
    minority = (mine < mirror) | ((mine == mirror) & (keep_label > flip_label))
    return int(weight[minority & (keep_label != flip_label)].sum())


def _signed_volume(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Six times the signed volume enclosed (positive when the faces face outwards)."""
    per_face = np.empty(len(faces))
    for start in range(0, len(faces), CHUNK):
        corners = vertices[faces[start : start + CHUNK]]
        per_face[start : start + CHUNK] = np.einsum(
            "ij,ij->i", corners[:, 0], np.cross(corners[:, 1], corners[:, 2])
        )
    return float(per_face.sum())


# --- Preview -------------------------------------------------------------------------------------


def _decimate(
    vertices: np.ndarray, faces: np.ndarray, target: int
) -> tuple[np.ndarray, np.ndarray]:
    import pymeshlab

    if len(faces) > 1.5 * target:
        # Quadric collapse takes ~25 s from 1 M to 150 k faces (and minutes from 4 M); a vertex
        # grid first — cells of ~0.1 mm on a full arch, invisible in a preview — brings the mesh
        # to about twice the target in a second or two.
        vertices, faces = _grid_cluster(vertices, faces, 2 * target)
    ms = pymeshlab.MeshSet()
    ms.add_mesh(pymeshlab.Mesh(vertices, faces.astype(np.int32)))
    for _ in range(3):  # quadric collapse can stop a little above the target
        ms.meshing_decimation_quadric_edge_collapse(
            targetfacenum=int(target),
            preserveboundary=True,
            preservenormal=True,
            optimalplacement=True,
            qualitythr=0.3,
            autoclean=True,
        )
        if ms.current_mesh().face_number() <= target:
            break
    out = ms.current_mesh()
    return out.vertex_matrix(), out.face_matrix().astype(np.int64)


def _grid_cluster(
    vertices: np.ndarray, faces: np.ndarray, target: int
) -> tuple[np.ndarray, np.ndarray]:
    """Vertex clustering on a uniform grid: every vertex moves to the mean of its cell; faces
    whose corners fall into fewer than three cells, and repeated faces, are dropped. The cell
    is sized from the surface area so about ``target`` faces remain (a surface of area A in
    cells of side c keeps ~2·A/c² triangles), and enlarged until it does."""
    twice_area = np.empty(len(faces))
    columns = [np.ascontiguousarray(vertices[:, axis]) for axis in range(3)]
    for start in range(0, len(faces), CHUNK):
        corner = _corners(columns, faces[start : start + CHUNK])
        u = [b - a for a, b in zip(corner[0], corner[1], strict=True)]
        w = [c - a for a, c in zip(corner[0], corner[2], strict=True)]
        normal = _cross(u, w)
        twice_area[start : start + CHUNK] = np.sqrt(_dot(normal, normal))
        del corner, u, w, normal
    del columns
    area = twice_area.sum() / 2
    del twice_area
    cell = math.sqrt(2 * area / max(target, 1))
    origin = vertices.min(axis=0)
    for _ in range(4):
        grid = np.floor((vertices - origin) / cell).astype(np.int64)
        span = grid.max(axis=0) + 1
        keys = (grid[:, 0] * span[1] + grid[:, 1]) * span[2] + grid[:, 2]  # one int per cell
        del grid
        _cells, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        del keys, _cells
        merged = np.zeros((len(counts), 3))
        for axis in range(3):
            merged[:, axis] = np.bincount(inverse, weights=vertices[:, axis]) / counts
        mapped = inverse.astype(_index_dtype(len(counts)))[faces]
        del inverse
        keep = (
            (mapped[:, 0] != mapped[:, 1])
            & (mapped[:, 1] != mapped[:, 2])
            & (mapped[:, 0] != mapped[:, 2])
        )
        mapped = mapped[keep]
        del keep
        ordered = np.sort(mapped, axis=1).astype(np.int64)
        n = len(counts)
        if n < 2**21:  # one int64 per face: far faster than unique rows
            _unique, first = np.unique((ordered[:, 0] * n + ordered[:, 1]) * n + ordered[:, 2],
                                       return_index=True)  # fmt: skip
        else:
            _unique, first = np.unique(ordered, axis=0, return_index=True)
        del ordered, _unique
        mapped = mapped[np.sort(first)]
        if len(mapped) <= 1.5 * target:
            break
        cell *= math.sqrt(len(mapped) / target)
    used, remap = np.unique(mapped, return_inverse=True)
    return merged[used].astype(np.float32), remap.reshape(-1, 3)


BACKGROUND = (0, 0, 0, 0)  # transparent
GREY = np.array([226.0, 226.0, 220.0])
LIGHT = np.array([-0.3, 0.4, 1.0]) / np.linalg.norm([-0.3, 0.4, 1.0])  # view space, z to camera


def _render(vertices: np.ndarray, faces: np.ndarray, size: int) -> np.ndarray:
    """An RGBA thumbnail: orthographic, looking along the mesh's thinnest principal axis from the
    side most faces point to (the occlusal side of an arch), flat Lambert shading, z-buffered.

    A pixel belongs to a triangle when its centre does (barycentric test over the triangle's
    bounding box); a per-pixel maximum of depth keeps the nearest triangle.
    """
    points = vertices[np.bincount(faces.ravel(), minlength=len(vertices)) > 0]
    center = points.mean(axis=0)
    sample = points[:: max(1, len(points) // 200_000)] - center
    _, axes = np.linalg.eigh(sample.T @ sample)  # ascending variance
    view, across = axes[:, 0], axes[:, 2]
    corners = vertices[faces]
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    if (normals @ view).sum() < 0:
        view = -view
    rotation = np.stack([across, np.cross(view, across), view])  # x right, y up, z to camera
    projected = (corners - center) @ rotation.T
    normals = normals @ rotation.T
    lengths = np.linalg.norm(normals, axis=1)
    shade = 0.3 + 0.7 * np.abs(normals @ LIGHT) / np.where(lengths > 0, lengths, 1)

    flat = projected[..., :2].reshape(-1, 2)
    low, extent = flat.min(axis=0), np.ptp(flat, axis=0)
    scale = 0.92 * size / (float(extent.max()) or 1.0)  # a 4 % margin on each side
    offset = (size - extent * scale) / 2  # centred
    pixels = np.empty(projected.shape)
    pixels[..., 0] = (projected[..., 0] - low[0]) * scale + offset[0]
    pixels[..., 1] = size - ((projected[..., 1] - low[1]) * scale + offset[1])
    pixels[..., 2] = projected[..., 2]

    # Each triangle tests the pixel centres of its bounding box; triangles are grouped by box size
    # (rounded up to powers of two) so each group is one array operation.
    a, b, c = pixels[:, 0], pixels[:, 1], pixels[:, 2]
    denominator = (b[:, 1] - c[:, 1]) * (a[:, 0] - c[:, 0]) + (c[:, 0] - b[:, 0]) * (
        a[:, 1] - c[:, 1]
    )
    visible = np.abs(denominator) > 1e-12  # edge-on triangles cover no pixel
    low_px = np.ceil(pixels[..., :2].min(axis=1) - 0.5).clip(0, size - 1).astype(np.int64)
    high_px = np.floor(pixels[..., :2].max(axis=1) - 0.5).clip(0, size - 1).astype(np.int64)
    box = high_px - low_px + 1
    visible &= (box > 0).all(axis=1)
    exponent = np.ceil(np.log2(np.maximum(box, 1))).astype(np.int64)
    bucket = exponent[:, 0] * 64 + exponent[:, 1]
    candidates = np.flatnonzero(visible)
    candidates = candidates[np.argsort(bucket[candidates], kind="stable")]
    edges = np.flatnonzero(np.diff(bucket[candidates])) + 1
    depth_buffer = np.full(size * size, -np.inf)
    chunks = []
    for group in np.split(candidates, edges):
        if not len(group):
            continue
        width, height = 2 ** exponent[group[0]]
        dy, dx = np.divmod(np.arange(width * height), width)
        for part in np.array_split(group, max(1, len(group) * len(dx) // 2_000_000)):
            x = low_px[part, :1] + dx  # (n, k) candidate pixels
            y = low_px[part, 1:] + dy
            inside = (x <= high_px[part, :1]) & (y <= high_px[part, 1:])
            px, py = x + 0.5 - c[part, :1], y + 0.5 - c[part, 1:2]
            d = denominator[part, None]
            l1 = ((b[part, 1:2] - c[part, 1:2]) * px + (c[part, :1] - b[part, :1]) * py) / d
            l2 = ((c[part, 1:2] - a[part, 1:2]) * px + (a[part, :1] - c[part, :1]) * py) / d
            l3 = 1 - l1 - l2
            inside &= (l1 >= -1e-9) & (l2 >= -1e-9) & (l3 >= -1e-9)
            depth = l1 * a[part, 2:] + l2 * b[part, 2:] + l3 * c[part, 2:]
            rows = np.nonzero(inside)[0]
            index, depth = (y * size + x)[inside], depth[inside]
            np.maximum.at(depth_buffer, index, depth)
            chunks.append((index, depth, shade[part][rows]))

    image = np.zeros((size * size, 4), dtype=np.uint8)
    image[:] = BACKGROUND
    for index, depth, tone in chunks:
        front = depth >= depth_buffer[index]
        image[index[front], :3] = (GREY * tone[front, None]).astype(np.uint8)
        image[index[front], 3] = 255
    return image.reshape(size, size, 4)
