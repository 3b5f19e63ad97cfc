"""Deterministic test meshes for the mesh inspection tests and the benchmark.

Every generator returns ``(vertices, faces)`` numpy arrays (float64, int64) with exactly the
defect it is named after, so tests can assert exact counts. Closed meshes are a tooth-like blob
(a bumpy ellipsoid, ~10 mm, an icosphere underneath); the open one is a horseshoe-shaped arch
(~50 mm) whose single boundary loop is the scan's natural border.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

INCH = 25.4


def tooth(subdivisions: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """A closed, consistently outward-wound tooth-like blob, ~9 x 8 x 11 mm (5120 faces at 4)."""
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions, radius=1.0)
    unit = np.asarray(sphere.vertices)
    x, y, z = unit.T
    bumps = 1 + 0.08 * np.sin(4 * x + 1) * np.cos(3 * y) + 0.05 * z**3  # cusps, a crown
    vertices = unit * bumps[:, None] * np.array([4.5, 4.0, 5.5])
    return vertices, np.asarray(sphere.faces, dtype=np.int64).copy()


def with_holes(vertices, faces, count: int):
    """Remove the fan of faces around ``count`` of the icosphere's 12 original vertices (far
    apart, each with five neighbours): ``count`` holes of five boundary edges each."""
    assert count <= 12
    punched = np.isin(faces, np.arange(count)).any(axis=1)
    return vertices, faces[~punched]


def with_flipped(vertices, faces, count: int, seed: int = 1):
    """Reverse the winding of ``count`` faces chosen at random (fewer than half)."""
    picked = np.random.default_rng(seed).choice(len(faces), size=count, replace=False)
    faces = faces.copy()
    faces[picked] = faces[picked][:, ::-1]
    return vertices, faces


def with_duplicates(vertices, faces, count: int, seed: int = 2):
    """Append copies of ``count`` distinct faces (every other one with reversed winding)."""
    picked = np.random.default_rng(seed).choice(len(faces), size=count, replace=False)
    copies = faces[picked].copy()
    copies[::2] = copies[::2, ::-1]
    return vertices, np.vstack([faces, copies])


def with_degenerate(vertices, faces, count: int, seed: int = 3):
    """Append ``count`` zero-area faces: half repeat a vertex, half have a corner on the
    midpoint of their opposite edge (a new vertex, as a sliver left by a scanner would)."""
    picked = faces[np.random.default_rng(seed).choice(len(faces), size=count, replace=False)]
    repeated = picked[: count // 2][:, [0, 0, 1]]
    slivers = picked[count // 2 :]
    midpoints = (vertices[slivers[:, 0]] + vertices[slivers[:, 1]]) / 2
    new = len(vertices) + np.arange(len(slivers))
    collinear = np.stack([slivers[:, 0], new, slivers[:, 1]], axis=1)
    return np.vstack([vertices, midpoints]), np.vstack([faces, repeated, collinear])


def with_debris(vertices, faces, count: int, seed: int = 4):
    """Add ``count`` floating closed specks of 20 faces each, 0.3 mm across, beside the mesh."""
    rng = np.random.default_rng(seed)
    speck = trimesh.creation.icosahedron()
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    parts_v, parts_f, offset = [vertices], [faces], len(vertices)
    for _ in range(count):
        where = rng.uniform(low, high) + np.array([high[0] - low[0] + 1.0, 0, 0])
        parts_v.append(np.asarray(speck.vertices) * 0.15 + where)
        parts_f.append(np.asarray(speck.faces) + offset)
        offset += len(speck.vertices)
    return np.vstack(parts_v), np.vstack(parts_f).astype(np.int64)


def with_fins(vertices, faces, count: int):
    """Add ``count`` extra faces on existing edges (far apart): ``count`` non-manifold edges."""
    picked = faces[np.linspace(0, len(faces) - 1, count, dtype=np.int64)]
    a, b = picked[:, 0], picked[:, 1]
    tips = (vertices[a] + vertices[b]) / 2 + (vertices[a] + vertices[b]) * 0.2
    new = len(vertices) + np.arange(count)
    return np.vstack([vertices, tips]), np.vstack([faces, np.stack([b, a, new], axis=1)])


def in_inches(vertices, faces):
    return vertices / INCH, faces


def arch(along: int = 240, around: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """An open, horseshoe-shaped surface like a full-arch intraoral scan: ~56 x 44 x 16 mm, a
    dome-shaped cross-section with bumps for teeth, one boundary loop (its border), outward
    winding. ``along x around`` quads, two faces each."""
    s = np.linspace(0, 1, along + 1)
    t = np.linspace(0, np.pi, around + 1)
    angle = np.pi * (s - 0.5) * 1.7
    curve = np.stack([25 * np.sin(angle), 38 * np.cos(angle) - 10, np.zeros_like(s)], axis=1)
    normal = np.stack([np.sin(angle) * 25 / 38, np.cos(angle), np.zeros_like(s)], axis=1)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    teeth = 1 + 0.15 * np.abs(np.sin(s * np.pi * 14))
    ss, tt = np.meshgrid(np.arange(along + 1), t, indexing="ij")
    width, height = 5.0, 9.0 * teeth[ss]
    points = (
        curve[ss]
        + normal[ss] * (width * np.cos(tt))[..., None]
        + np.array([0, 0, 1.0]) * (height * np.sin(tt))[..., None]
    )
    grid = np.arange((along + 1) * (around + 1)).reshape(along + 1, around + 1)
    a, b = grid[:-1, :-1].ravel(), grid[1:, :-1].ravel()
    c, d = grid[1:, 1:].ravel(), grid[:-1, 1:].ravel()
    faces = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])
    vertices = points.reshape(-1, 3)
    corners = vertices[faces]
    up = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])[:, 2].sum()
    return vertices, faces if up > 0 else faces[:, ::-1].copy()


def arch_with_holes(count: int, along: int = 240, around: int = 24):
    """The arch with ``count`` small holes (one quad, two faces each) away from its border."""
    vertices, faces = arch(along, around)
    quads = along * around
    rows = np.linspace(10, along - 10, count, dtype=np.int64)
    quad = rows * around + around // 2
    drop = np.r_[quad, quad + quads]
    return vertices, np.delete(faces, drop, axis=0)


def scan_like(target_faces: int, seed: int = 5):
    """A benchmark scan: the arch at ~``target_faces`` faces with a few holes, flipped,
    duplicate and degenerate faces and debris."""
    around = 48
    along = max(20, round(target_faces / (2 * around)))
    vertices, faces = arch_with_holes(8, along, around)
    vertices, faces = with_flipped(vertices, faces, len(faces) // 200, seed)
    vertices, faces = with_duplicates(vertices, faces, 50, seed)
    vertices, faces = with_degenerate(vertices, faces, 50, seed)
    return with_debris(vertices, faces, 20, seed)


# --- Writers -------------------------------------------------------------------------------------


def _trimesh(vertices, faces) -> trimesh.Trimesh:
    return trimesh.Trimesh(vertices, faces, process=False, validate=False)


def write_stl(path, vertices, faces) -> Path:
    """Binary STL: three unshared float32 vertices per triangle."""
    path = Path(path)
    path.write_bytes(trimesh.exchange.stl.export_stl(_trimesh(vertices, faces)))
    return path


def write_ascii_stl(path, vertices, faces) -> Path:
    path = Path(path)
    path.write_text(trimesh.exchange.stl.export_stl_ascii(_trimesh(vertices, faces)))
    return path


def write_ply(path, vertices, faces) -> Path:
    path = Path(path)
    path.write_bytes(trimesh.exchange.ply.export_ply(_trimesh(vertices, faces), encoding="binary"))
    return path


def write_obj(path, vertices, faces) -> Path:
    path = Path(path)
    path.write_text(
        trimesh.exchange.obj.export_obj(_trimesh(vertices, faces), include_normals=False)
    )
    return path


def write_torus_stl(path, around: int, along: int, flip_every: int = 0) -> Path:
    """A big closed mesh fast, without holding it: a torus (ring radius 20 mm, tube 6 mm, so
    52 x 52 x 12 mm) of ``2 * around * along`` triangles and ``around * along`` shared vertices,
    written as a binary STL a slice of rings at a time (~2 s and ~100 MB for 10 M triangles).
    With ``flip_every`` n > 2, triangles 0, n, 2n, ... are wound the other way: fewer than half,
    so the report counts each of them as an inconsistent normal."""
    path = Path(path)
    u = np.linspace(0, 2 * np.pi, around, endpoint=False)
    v = np.linspace(0, 2 * np.pi, along, endpoint=False)
    ring = 20 + 6 * np.cos(v)
    points = np.empty((around + 1, along + 1, 3), dtype=np.float32)  # the seams repeated
    points[:-1, :-1, 0] = np.cos(u)[:, None] * ring
    points[:-1, :-1, 1] = np.sin(u)[:, None] * ring
    points[:-1, :-1, 2] = 6 * np.sin(v)
    points[-1], points[:, -1] = points[0], points[:, 0]
    record = np.dtype([("normal", "<f4", (3,)), ("corners", "<f4", (3, 3)), ("attr", "<u2")])
    count = 2 * around * along
    with path.open("wb") as handle:
        handle.write(b"DentalBridge test torus".ljust(80) + np.uint32(count).tobytes())
        for first in range(0, around, 64):
            rows = slice(first, min(first + 64, around))
            a, b = points[rows, :-1], points[rows.start + 1 : rows.stop + 1, :-1]
            c, d = points[rows.start + 1 : rows.stop + 1, 1:], points[rows, 1:]
            grid = np.zeros((a.shape[0], along, 2), dtype=record)
            grid["corners"][..., 0, :, :] = np.stack([a, b, c], axis=2)
            grid["corners"][..., 1, :, :] = np.stack([a, c, d], axis=2)
            block = grid.reshape(-1)  # triangles in file order
            if flip_every:
                start = 2 * first * along
                flip = np.flatnonzero((start + np.arange(len(block))) % flip_every == 0)
                block["corners"][flip] = block["corners"][flip][:, ::-1]
            block.tofile(handle)
    return path


WRITERS = {"stl": write_stl, "stl_ascii": write_ascii_stl, "ply": write_ply, "obj": write_obj}
