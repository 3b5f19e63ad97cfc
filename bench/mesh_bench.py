"""Mesh inspection, repair and preview against trimesh's own load: ``.venv/bin/python
bench/mesh_bench.py [--quick]``.

Generates scan-like meshes (an open arch with holes, flipped, duplicate and degenerate faces and
debris; ~300k and ~1M faces, or ~50k with ``--quick``), writes them as binary STL to a temporary
directory and times, interleaved round-robin with the order rotated every round, trimesh's
``load(process=False)`` of the file (the baseline) and the work of ``inspect``, ``repair`` and
``preview`` on the same file, in this process. The sandbox adds a fixed cost per call (a spawned
interpreter importing numpy, scipy, trimesh and pymeshlab); it is measured separately through the
public functions on a 20-face mesh. Medians of ``rounds`` runs.

Memory: after the timed rounds, each step runs once more in a sandbox child of its own (Linux),
which reports how much its peak resident memory grew during the step (issue 13, finding 2: the
check of a 6 M-triangle STL needed 5.4 GB, more than the sandbox's 4 GB). A child, because this
process keeps the memory it freed and would show little growth.
"""

import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path; the project root is what we import from.
if sys.path and Path(sys.path[0]).resolve() == REPO / "bench":
    sys.path[0] = str(REPO)
elif str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

FULL = {"sizes": (300_000, 1_000_000), "rounds": 3}
QUICK = {"sizes": (50_000,), "rounds": 3}
STEPS = ("load", "inspect", "repair", "preview")


def _label(faces: int) -> str:
    return f"{faces // 1_000_000}M" if faces >= 1_000_000 else f"{faces // 1000}k"


def _steps(path: Path, work: Path) -> dict:
    import trimesh

    from dentalbridge.files import mesh

    return {
        "load": lambda: trimesh.load(path, process=False),
        "inspect": lambda: mesh._inspect(str(path), None),
        "repair": lambda: mesh._repair(str(path), str(work / "repaired.stl"), None),
        "preview": lambda: mesh._preview(
            str(path), str(work / "p.glb"), str(work / "p.png"), None, 150_000, 512
        ),
    }


def measure_size(target: int, rounds: int, work: Path) -> dict:
    from bench.measure import rotated
    from dentalbridge.files.tests import meshes

    path = meshes.write_stl(work / f"scan_{target}.stl", *meshes.scan_like(target))
    steps = _steps(path, work)
    times: dict[str, list[float]] = {name: [] for name in STEPS}
    results = {}
    for step in STEPS:  # warm-up: imports, page cache
        results[step] = steps[step]()
    for round_ in range(rounds):
        for name in rotated(STEPS, round_):
            started = time.perf_counter()
            steps[name]()
            times[name].append(time.perf_counter() - started)
    medians = {name: statistics.median(values) for name, values in times.items()}
    peak_mb = {name: _peak_mb(name, path, work) for name in STEPS}
    report, repaired, preview = results["inspect"], results["repair"], results["preview"]
    return {
        "faces": report["faces"],
        "file_bytes": path.stat().st_size,
        "seconds": medians,
        "ratio": {name: medians[name] / medians["load"] for name in STEPS[1:]},
        "status": report["status"],
        "after_status": repaired["after"]["status"],
        "preview_faces": preview["preview_faces"],
        "glb_bytes": preview["glb_bytes"],
        "peak_mb": peak_mb,
    }


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    raise OSError(f"no {field} in /proc/self/status")


def _peak_mb(step: str, path: Path, work: Path) -> float | None:
    """The peak resident memory ``step`` adds to a fresh sandbox child, in MB (None but on
    Linux)."""
    from dentalbridge.files import mesh
    from dentalbridge.files.sandbox import run_limited

    if not Path("/proc/self/status").exists():
        return None
    return run_limited(
        _grown_by, step, str(path), str(work), timeout=mesh.TIMEOUT, memory_mb=mesh.MEMORY_MB
    )


def _grown_by(step: str, path: str, work: str) -> float:
    """In the child: how far the peak resident memory (VmHWM) rose above the memory in use
    (VmRSS) before ``step``, in MB."""
    gc.collect()
    before = _status_kb("VmRSS")
    _steps(Path(path), Path(work))[step]()
    return (_status_kb("VmHWM") - before) / 1024


def measure_sandbox(rounds: int, work: Path) -> dict:
    """The public, sandboxed calls on a 20-face mesh: the fixed cost of each call (spawning the
    child and importing numpy, scipy, trimesh and pymeshlab in it), which the work adds to."""
    import trimesh

    from dentalbridge.files import mesh
    from dentalbridge.files.tests import meshes

    tiny = trimesh.creation.icosahedron()
    path = meshes.write_stl(work / "tiny.stl", tiny.vertices, tiny.faces)
    calls = {
        "inspect": lambda: mesh.inspect_mesh(str(path)),
        "repair": lambda: mesh.repair_mesh(str(path), str(work / "sandboxed.stl")),
        "preview": lambda: mesh.make_preview(str(path), str(work / "s.glb"), str(work / "s.png")),
    }
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def main(quick: bool) -> dict:
    config = QUICK if quick else FULL
    result: dict = {"rounds": config["rounds"], "meshes": {}}
    with tempfile.TemporaryDirectory(prefix="mesh_bench_") as tmp:
        work = Path(tmp)
        for target in config["sizes"]:
            row = measure_size(target, config["rounds"], work)
            result["meshes"][_label(target)] = row
            s, r = row["seconds"], row["ratio"]
            print(
                f"mesh  {_label(target):>4} faces  load {s['load']:.2f} s (baseline)  "
                f"inspect {s['inspect']:.2f} s = {r['inspect']:.1f}x load  "
                f"repair {s['repair']:.2f} s = {r['repair']:.1f}x load  "
                f"preview {s['preview']:.2f} s = {r['preview']:.1f}x load",
                flush=True,
            )
            print(
                f"      {row['faces']} faces, {row['file_bytes'] / 1e6:.1f} MB STL, status "
                f"{row['status']} -> {row['after_status']} after repair; preview "
                f"{row['preview_faces']} faces, {row['glb_bytes'] / 1e6:.2f} MB GLB",
                flush=True,
            )
            if all(mb is not None for mb in row["peak_mb"].values()):
                print(
                    "      peak memory added in a sandbox child  "
                    + "  ".join(f"{name} {mb:.0f} MB" for name, mb in row["peak_mb"].items()),
                    flush=True,
                )
        sandbox = measure_sandbox(config["rounds"], work)
        result["sandbox_startup_seconds"] = sandbox
        print(
            "sandbox start-up per call (20-face mesh)  "
            + "  ".join(f"{name} {seconds:.2f} s" for name, seconds in sandbox.items()),
            flush=True,
        )
    return result


if __name__ == "__main__":
    from bench.measure import command_line

    command_line(main, __doc__, quick="one ~50k-face mesh only")
