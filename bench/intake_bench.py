"""Intake latency per file, the sandbox's fork server against a spawned interpreter per call:
``.venv/bin/python bench/intake_bench.py [--quick] [--json]``.

Three small files go through the sandboxed steps of the intake pipeline (``files.pipeline``), in
its order: ``intake.validate``, ``anonymize.anonymize``, then for the scan ``mesh.inspect_mesh``
and ``mesh.make_preview``, for the photo ``previews.photo_thumbnail``. The files: a scan (a
1,280-face tooth, binary STL), a CT slice (DICOM, 64x64) and a photo (JPEG, 64x48, from the
intake corpus). Decrypting and storing, which run in no sandbox, are left out.

Each file is taken through those steps two ways, interleaved round-robin with the order rotated
every round (as in ``bench/measure.py``), in this process:

* ``spawn`` — the **baseline**, the sandbox as it was: every call starts a fresh interpreter
  (``sandbox.START_METHOD = "spawn"``), which imports its parsers again;
* ``forkserver`` — the sandbox as it is: every call is a fork of the fork server, which imported
  the parsers once (``sandbox.PRELOAD``).

Both keep one child per call with its limits. The fork server's own start (once per process: an
interpreter importing the parsers) is measured apart, as the first call of the run. Medians of
``rounds`` runs per file and way.
"""

import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path; the project root is what we import from.
if sys.path and Path(sys.path[0]).resolve() == REPO / "bench":
    sys.path[0] = str(REPO)
elif str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

FULL = {"rounds": 5}
QUICK = {"rounds": 1}
WAYS = ("spawn", "forkserver")
FILES = ("stl", "dicom", "jpeg")
# What files.pipeline does after the anonymized copy, by format (its MESH_FORMATS and
# files.formats.PHOTOS, which import models: this script sets up no Django apps).
MESHES = {"stl-binary": "stl", "stl-ascii": "stl", "ply": "ply", "obj": "obj"}
PHOTOS = {"jpeg", "png", "tiff", "heic"}


@contextmanager
def start_method(name: str):
    from dentalbridge.files import sandbox

    before = sandbox.START_METHOD
    sandbox.START_METHOD = name
    try:
        yield
    finally:
        sandbox.START_METHOD = before


def write_files(work: Path) -> dict[str, tuple[Path, str]]:
    """``{kind: (path, the name it was uploaded under)}``."""
    from dentalbridge.files.tests import corpus, meshes, samples

    stl = meshes.write_stl(work / "scan.stl", *meshes.tooth(subdivisions=3))
    dicom = work / "ct.dcm"
    samples.dicom_ct_slice(1, 1, size=64).save_as(dicom, enforce_file_format=True)
    jpeg = work / "smile.jpg"
    corpus.jpeg(jpeg)
    return {"stl": (stl, "upper_jaw.stl"), "dicom": (dicom, "ct.dcm"), "jpeg": (jpeg, "smile.jpg")}


def intake(path: Path, filename: str, work: Path) -> tuple[str, int]:
    """The pipeline's sandboxed steps for one file; returns its format and the number of
    sandbox calls made."""
    from dentalbridge.files import anonymize, mesh, previews
    from dentalbridge.files import intake as checks

    info = checks.validate(str(path), filename)
    fmt = info["format"]
    shared = work / f"shared-{path.name}"
    anonymize.anonymize(str(path), str(shared), fmt=fmt)
    calls = 2
    if fmt in MESHES:
        mesh.inspect_mesh(str(shared), fmt=MESHES[fmt])
        mesh.make_preview(str(shared), str(work / "p.glb"), str(work / "p.png"), fmt=MESHES[fmt])
        calls += 2
    elif fmt in PHOTOS:
        previews.photo_thumbnail(str(shared), str(work / "t.png"))
        calls += 1
    return fmt, calls


def main(quick: bool) -> dict:
    from bench.measure import instance_environment, rotated
    from dentalbridge.files import sandbox

    config = QUICK if quick else FULL
    rounds = config["rounds"]
    result: dict = {"rounds": rounds, "files": {}}
    with tempfile.TemporaryDirectory(prefix="intake_bench_") as tmp:
        work = Path(tmp)
        # The parsers' modules read Django settings (translated messages): a throwaway instance's,
        # which the children (spawned or forked from the fork server) inherit too.
        os.environ.update(instance_environment(work / "instance"))
        files = write_files(work)
        with start_method("forkserver"):
            started = time.perf_counter()
            sandbox.run_limited(os.getpid)  # starts the fork server: the parsers' imports
            result["forkserver_start_seconds"] = time.perf_counter() - started
            for kind in FILES:  # warm-up: page cache, the parent's own imports
                intake(*files[kind], work)
        times = {(kind, way): [] for kind in FILES for way in WAYS}
        calls: dict[str, int] = {}
        formats_found: dict[str, str] = {}
        pairs = [(kind, way) for kind in FILES for way in WAYS]
        for round_ in range(rounds):
            for kind, way in rotated(pairs, round_):
                with start_method(way):
                    started = time.perf_counter()
                    formats_found[kind], calls[kind] = intake(*files[kind], work)
                    times[kind, way].append(time.perf_counter() - started)
        for kind in FILES:
            path = files[kind][0]
            medians = {way: statistics.median(times[kind, way]) for way in WAYS}
            result["files"][kind] = {
                "format": formats_found[kind],
                "bytes": path.stat().st_size,
                "calls": calls[kind],
                "seconds": medians,
                "samples": {way: times[kind, way] for way in WAYS},
                "ratio": medians["forkserver"] / medians["spawn"],
            }
    per_call = {
        way: statistics.median(
            row["seconds"][way] / row["calls"] for row in result["files"].values()
        )
        for way in WAYS
    }
    result["per_call_seconds"] = per_call
    for line in report_lines(result):
        print(line, flush=True)
    return result


def report_lines(result: dict) -> list[str]:
    lines = []
    for kind, row in result["files"].items():
        s = row["seconds"]
        lines.append(
            f"intake  {kind:<5} {row['format']:<10} {row['bytes'] / 1024:5.0f} KB  "
            f"{row['calls']} sandbox calls  spawn {s['spawn']:.2f} s (baseline)  "
            f"forkserver {s['forkserver']:.2f} s = {row['ratio']:.3f}x"
        )
    per_call = result["per_call_seconds"]
    lines.append(
        f"sandbox per call (median over the files)  spawn {per_call['spawn']:.3f} s  "
        f"forkserver {per_call['forkserver']:.3f} s; fork server start (once per process) "
        f"{result['forkserver_start_seconds']:.2f} s; median of {result['rounds']} rounds"
    )
    return lines


if __name__ == "__main__":  # spawned children import this module again
    from bench.measure import command_line

    command_line(main, __doc__, quick="one round instead of five")
