"""Inspect, repair and preview uploaded dental meshes (FIL-4, FIL-5).

Background tasks call the three public functions with plain file paths; each runs its work in a
sandboxed child process (:func:`~dentalbridge.files.sandbox.run_limited`) because the file is
untrusted, and lets :class:`~dentalbridge.files.sandbox.SandboxError` through for the caller to
turn into a user message.

- :func:`inspect_mesh` returns a JSON-serialisable report (keys below).
- :func:`repair_mesh` writes a repaired copy (binary STL or PLY) and returns both reports.
- :func:`make_preview` writes a decimated binary glTF for the browser and a PNG thumbnail.

Formats: STL (binary and ASCII), PLY, OBJ, all read by trimesh with ``process=False`` (its default
processing is ~48x slower, STACK.md). 3MF is not supported: trimesh's 3MF reader needs ``lxml``,
which is not installed. Without ``fmt`` the format comes from the file suffix, else from sniffing
the first bytes.

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
from typing import Any, cast

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
    vertices, faces, fmt = _load(src, fmt)
    return _analyse(vertices, faces).report(fmt)


def _repair(src: str, dst: str, fmt: str | None) -> dict[str, Any]:
    import pymeshlab

    vertices, faces, fmt = _load(src, fmt)
    mesh = _analyse(vertices, faces)
    before = mesh.report(fmt)
    if mesh.empty:
        raise ValueError("the mesh has no triangles to repair")
    actions: list[dict[str, Any]] = []

    def act(code: str, count: int) -> None:
        if count:
            actions.append({"code": code, "count": int(count)})

    # Vertex merging, degenerate, duplicate and debris faces: done here with the same rules the
    # report uses, so the counts agree exactly.
    act("merge_vertices", len(vertices) - len(mesh.vertices))
    act("remove_degenerate_faces", mesh.degenerate.sum())
    act("remove_duplicate_faces", (mesh.duplicate & ~mesh.degenerate).sum())
    act("remove_debris", mesh.debris_faces)
    keep = mesh.clean_faces[~mesh.debris_face]
    if len(keep) == 0:
        raise ValueError("no usable triangles are left after removing degenerate faces")
    used, inverse = np.unique(keep, return_inverse=True)
    ms = pymeshlab.MeshSet()
    ms.add_mesh(pymeshlab.Mesh(mesh.vertices[used], inverse.reshape(-1, 3).astype(np.int32)))

    n = ms.current_mesh().face_number()
    ms.meshing_repair_non_manifold_edges(method="Remove Faces")
    act("remove_non_manifold_faces", n - ms.current_mesh().face_number())
    ms.meshing_repair_non_manifold_vertices()

    seed = ms.current_mesh().face_matrix()
    ms.meshing_re_orient_faces_coherently()
    flipped = int((ms.current_mesh().face_matrix() != seed).any(axis=1).sum())
    if flipped * 2 > len(seed):  # pymeshlab oriented to a minority face: keep the majority
        ms.meshing_invert_face_orientation()
        flipped = len(seed) - flipped

    # Fill every hole shorter (in edges) than the scan's border, so an open scan keeps its border.
    max_hole = mesh.border_edges - 1 if mesh.border_edges else mesh.boundary_edges + 1
    if max_hole >= 3:
        closed = ms.meshing_close_holes(maxholesize=int(max_hole), selfintersection=False)
        act("close_holes", (closed or {}).get("closed_holes", 0))
    ms.meshing_remove_unreferenced_vertices()

    out = ms.current_mesh()
    out_vertices, out_faces = out.vertex_matrix(), out.face_matrix()
    if mesh.border_edges == 0 and _signed_volume(out_vertices, out_faces) < 0:
        out_faces = out_faces[:, ::-1]  # a closed mesh faces outwards
        flipped = len(seed) - flipped
    act("reorient_faces", flipped)

    _write(dst, out_vertices, out_faces)
    after_vertices, after_faces, after_fmt = _load(dst, None)
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

    raw_vertices, raw_faces, fmt = _load(src, fmt)
    if len(raw_faces) == 0:
        raise ValueError("the mesh has no triangles to preview")
    vertices, faces = _merge_vertices(raw_vertices, raw_faces)
    faces = faces[
        (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 2] != faces[:, 0])
    ]
    if len(faces) > max_faces:
        vertices, faces = _decimate(vertices, faces, max_faces)
    used, inverse = np.unique(faces, return_inverse=True)
    vertices, faces = vertices[used].astype(np.float32), inverse.reshape(-1, 3).astype(np.uint32)

    preview = trimesh.Trimesh(vertices, faces, process=False)
    glb = trimesh.exchange.gltf.export_glb(preview, include_normals=True)
    Path(glb_dst).write_bytes(glb)
    image = Image.fromarray(_render(vertices.astype(np.float64), faces.astype(np.int64), size))
    image.save(png_dst, format="PNG")
    return {
        "faces": len(raw_faces),
        "preview_faces": len(faces),
        "glb_bytes": len(glb),
        "png_size": [image.width, image.height],
    }


# --- Loading and writing -------------------------------------------------------------------------


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
    return count if 84 + 50 * count == size else None


def _load(src: str, fmt: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    """Vertices (float64) and faces (int64) as stored, without trimesh's processing."""
    import trimesh

    if os.path.getsize(src) == 0:
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), fmt or "unknown"
    fmt = fmt or _sniff(src)
    if fmt == "stl":
        with open(src, "rb") as handle:
            ascii_start = handle.read(5).lower() == b"solid"
        count = _binary_stl_count(src)
        if count is None and not ascii_start:
            raise ValueError("binary STL whose header does not match the file size")
        if count is not None and count > MAX_FACES:
            raise ValueError(f"STL claims {count} triangles; the limit is {MAX_FACES}")
    loaded = trimesh.load_mesh(src, file_type=fmt, process=False)
    faces = np.asarray(getattr(loaded, "faces", np.zeros((0, 3))), dtype=np.int64).reshape(-1, 3)
    if len(faces) > MAX_FACES:
        raise ValueError(f"the mesh has {len(faces)} triangles; the limit is {MAX_FACES}")
    vertices = np.asarray(loaded.vertices, dtype=np.float64).reshape(-1, 3)
    if len(faces) and (faces.min() < 0 or faces.max() >= len(vertices)):
        raise ValueError("a face refers to a vertex that does not exist")
    return vertices, faces, fmt


def _write(dst: str, vertices: np.ndarray, faces: np.ndarray) -> None:
    import trimesh

    mesh = trimesh.Trimesh(vertices, faces, process=False)
    suffix = Path(dst).suffix.lower().lstrip(".")
    Path(dst).write_bytes(cast(bytes, mesh.export(file_type=suffix)))  # binary STL / binary PLY


# --- Topology ------------------------------------------------------------------------------------


def _merge_vertices(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge vertices whose float32 coordinates are bit-identical (STL shares none)."""
    rounded = vertices.astype(np.float32) + np.float32(0)  # -0.0 becomes 0.0
    bits = rounded.view(np.uint32).astype(np.uint64)
    key = (bits[:, 0] * np.uint64(0x9E3779B97F4A7C15)) ^ (
        bits[:, 1] * np.uint64(0xC2B2AE3D27D4EB4F)
    )
    key ^= bits[:, 2] * np.uint64(0x165667B19E3779F9)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    if not np.array_equal(rounded[first][inverse], rounded, equal_nan=True):  # hash collision
        _, first, inverse = np.unique(rounded, axis=0, return_index=True, return_inverse=True)
    return vertices[first], inverse.reshape(-1)[faces]


def _components(n_nodes: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
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


def _analyse(raw_vertices: np.ndarray, raw_faces: np.ndarray) -> _Mesh:
    empty_mask = np.zeros(0, dtype=bool)
    if len(raw_faces) == 0:
        nothing = np.zeros((0, 3), dtype=np.int64)
        return _Mesh(True, raw_vertices, nothing, empty_mask, empty_mask, nothing, empty_mask,
                     [0.0] * 3, 0.0, 0, 0, 0, 0, 0, 0, 0, 0, 0)  # fmt: skip
    vertices, faces = _merge_vertices(raw_vertices, raw_faces)
    n_vertices = len(vertices)
    finite_vertex = np.isfinite(vertices).all(axis=1)
    finite = finite_vertex[faces].all(axis=1)
    referenced = np.zeros(n_vertices, dtype=bool)
    referenced[faces.ravel()] = True
    bounds_points = vertices[referenced & finite_vertex]
    bounds = np.ptp(bounds_points, axis=0) if len(bounds_points) else np.zeros(3)
    diagonal = float(np.linalg.norm(bounds))
    corners = vertices[faces]

    # Degenerate: a repeated vertex, a non-finite corner, or (almost) no height.
    with np.errstate(invalid="ignore", divide="ignore"):
        edge_vectors = corners[:, [1, 2, 0]] - corners
        longest = np.sqrt((edge_vectors**2).sum(axis=2).max(axis=1))
        twice_area = np.linalg.norm(np.cross(edge_vectors[:, 0], -edge_vectors[:, 2]), axis=1)
        thin = twice_area <= DEGENERATE_HEIGHT * diagonal * longest
    repeated = (faces[:, 0] == faces[:, 1]) | (faces[:, 1] == faces[:, 2])
    repeated |= faces[:, 2] == faces[:, 0]
    degenerate = repeated | ~finite | thin

    # Duplicate: the same vertex set again (the earliest copy stays).
    duplicate = np.zeros(len(faces), dtype=bool)
    candidates = np.flatnonzero(~degenerate)
    ordered = np.sort(faces[candidates], axis=1)
    if n_vertices < 2**21:  # three indices fit one int64 key
        key = (ordered[:, 0] * n_vertices + ordered[:, 1]) * n_vertices + ordered[:, 2]
        order = np.argsort(key, kind="stable")
    else:
        order = np.lexsort((ordered[:, 2], ordered[:, 1], ordered[:, 0]))
    same = (ordered[order[1:]] == ordered[order[:-1]]).all(axis=1)
    duplicate[candidates[order[1:][same]]] = True
    clean = faces[~degenerate & ~duplicate]
    m = len(clean)

    # Edges: sort the undirected keys once, then count faces per edge.
    directed = clean[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    low, high = directed.min(axis=1), directed.max(axis=1)
    key = low * n_vertices + high
    order = np.argsort(key)
    sorted_key = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    per_edge = np.diff(np.r_[starts, len(sorted_key)])
    boundary_edges = int((per_edge == 1).sum())
    non_manifold_edges = int((per_edge > 2).sum())

    # Pieces (through shared vertices), debris and per-piece extents.
    piece_faces: np.ndarray  # faces per piece (integers; empty when no face is left)
    if m:
        vertex_piece = _components(
            n_vertices, np.r_[clean[:, 0], clean[:, 1]], np.r_[clean[:, 1], clean[:, 2]]
        )
        face_piece = vertex_piece[clean[:, 0]]
        piece_faces = np.bincount(face_piece)
        pieces = np.flatnonzero(piece_faces)
        largest = int(pieces[np.argmax(piece_faces[pieces])])
        is_debris = (piece_faces > 0) & (piece_faces < DEBRIS_FRACTION * piece_faces[largest])
        debris_face = is_debris[face_piece]
        piece_low = np.full((len(piece_faces), 3), np.inf)
        piece_high = np.full((len(piece_faces), 3), -np.inf)
        used = np.flatnonzero(np.bincount(clean.ravel(), minlength=n_vertices))
        np.minimum.at(piece_low, vertex_piece[used], vertices[used])
        np.maximum.at(piece_high, vertex_piece[used], vertices[used])
        piece_diagonal = np.linalg.norm(piece_high - piece_low, axis=1)
        main_extent = float((piece_high[largest] - piece_low[largest]).max())
    else:
        pieces = np.zeros(0, dtype=np.int64)
        debris_face = np.zeros(0, dtype=bool)
        is_debris = piece_faces = piece_diagonal = np.zeros(0)
        main_extent = 0.0

    # Boundary loops (off the debris): the longest loop of a piece may be its open border.
    boundary_loops = borders = border_edges = 0
    single = starts[per_edge == 1]
    if len(single):
        first = order[single]
        a, b = low[first], high[first]
        keep = ~is_debris[vertex_piece[a]]
        a, b = a[keep], b[keep]
    if len(single) and len(a):
        loop_of_vertex = _components(n_vertices, a, b)
        loop = loop_of_vertex[a]
        loops, loop = np.unique(loop, return_inverse=True)
        boundary_loops = len(loops)
        length = np.bincount(loop, weights=np.linalg.norm(vertices[a] - vertices[b], axis=1))
        edges_per_loop = np.bincount(loop)
        loop_piece = np.zeros(len(loops), dtype=np.int64)
        loop_piece[loop] = vertex_piece[a]
        by_piece = np.lexsort((-length, loop_piece))
        head = by_piece[np.r_[True, loop_piece[by_piece][1:] != loop_piece[by_piece][:-1]]]
        is_border = length[head] >= BORDER_FRACTION * piece_diagonal[loop_piece[head]]
        borders = int(is_border.sum())
        if borders:
            border_edges = int(edges_per_loop[head[is_border]].max())

    # Winding: two faces on a manifold edge must run along it in opposite directions.
    inconsistent = 0
    pair = starts[per_edge == 2]
    first, second = order[pair], order[pair + 1]
    same_direction = directed[first, 0] == directed[second, 0]
    if same_direction.any():
        f, g = first // 3, second // 3
        # Two-colour the faces on the double cover (face, flipped?): a face whose two copies end
        # up in one component lies on a non-orientable piece and is not counted.
        a = np.r_[f, f + m]
        b = np.r_[np.where(same_direction, g + m, g), np.where(same_direction, g, g + m)]
        label = _components(2 * m, a, b)
        keep_label, flip_label = label[:m], label[m:]
        size = np.bincount(keep_label, minlength=label.max() + 1)
        mine, mirror = size[keep_label], size[flip_label]
        minority = (mine < mirror) | ((mine == mirror) & (keep_label > flip_label))
        inconsistent = int((minority & (keep_label != flip_label)).sum())

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
        inconsistent_normals=inconsistent,
        components=len(pieces),
        debris_components=int(is_debris.sum()),
        debris_faces=int(piece_faces[is_debris].sum()) if len(pieces) else 0,
        boundary_loops=boundary_loops,
        borders=borders,
        border_edges=border_edges,
    )


def _signed_volume(vertices: np.ndarray, faces: np.ndarray) -> float:
    corners = vertices[faces]
    return float(np.einsum("ij,ij->i", corners[:, 0], np.cross(corners[:, 1], corners[:, 2])).sum())


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
    corners = vertices[faces]
    area = (
        np.linalg.norm(
            np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1
        ).sum()
        / 2
    )
    del corners
    cell = math.sqrt(2 * area / max(target, 1))
    origin = vertices.min(axis=0)
    for _ in range(4):
        grid = np.floor((vertices - origin) / cell).astype(np.int64)
        span = grid.max(axis=0) + 1
        keys = (grid[:, 0] * span[1] + grid[:, 1]) * span[2] + grid[:, 2]  # one int per cell
        _cells, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        merged = np.zeros((len(counts), 3))
        for axis in range(3):
            merged[:, axis] = np.bincount(inverse, weights=vertices[:, axis]) / counts
        mapped = inverse[faces]
        keep = (
            (mapped[:, 0] != mapped[:, 1])
            & (mapped[:, 1] != mapped[:, 2])
            & (mapped[:, 0] != mapped[:, 2])
        )
        mapped = mapped[keep]
        ordered = np.sort(mapped, axis=1).astype(np.int64)
        n = len(counts)
        if n < 2**21:  # one int64 per face: far faster than unique rows
            _unique, first = np.unique((ordered[:, 0] * n + ordered[:, 1]) * n + ordered[:, 2],
                                       return_index=True)  # fmt: skip
        else:
            _unique, first = np.unique(ordered, axis=0, return_index=True)
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
