"""What DICOM anonymization costs: ``.venv/bin/python bench/dicom_bench.py [--quick]``.

Generates a CT series (300 slices of 512x512 int16; ``--quick``: 30) as a ZIP in a temporary
folder, then times, interleaved round-robin with the order rotated every round (as in
``bench/measure.py``), two variants over the same ZIP:

* baseline — plain pydicom: read each member from the ZIP, ``dcmread``, write it to a new ZIP
  (same compression as the anonymizer's output), in this process;
* anonymize — ``anonymize_dicom_zip``, the real call: a sandboxed child process (its start-up
  and pydicom import included), the Basic Profile on every dataset, new ZIP.

Prints the medians and their ratio; ``main`` returns them as a dict.
"""

import argparse
import io
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == REPO / "bench":
    sys.path[0] = str(REPO)
elif str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

FULL = {"slices": 300, "rounds": 3}
QUICK = {"slices": 30, "rounds": 3}
SIZE = 512


def write_series_zip(path: Path, slices: int) -> int:
    """A ZIP of ``slices`` CT images with identity in them; returns its size in bytes."""
    import numpy as np

    from dentalbridge.files.tests import samples

    rng = np.random.default_rng(7)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for index in range(1, slices + 1):
            ds = samples.dicom_ct_slice(index, slices, size=SIZE)
            pixels = rng.integers(-1000, 3000, size=(SIZE, SIZE), dtype=np.int16)
            ds.PixelData = pixels.astype("<i2").tobytes()
            buffer = io.BytesIO()
            ds.save_as(buffer, enforce_file_format=True)
            archive.writestr(f"series/slice{index:04d}.dcm", buffer.getvalue())
    return path.stat().st_size


def plain_read_write(src: Path, dst: Path) -> None:
    import pydicom

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for number, member in enumerate(zin.infolist(), start=1):
            with zin.open(member) as entry:
                ds = pydicom.dcmread(io.BytesIO(entry.read()))
            out = io.BytesIO()
            ds.save_as(out, enforce_file_format=True)
            zout.writestr(
                f"IMG{number:05d}.dcm",
                out.getvalue(),
                compress_type=zipfile.ZIP_DEFLATED,
                compresslevel=1,
            )


def main(quick: bool) -> dict:
    from dentalbridge.files.anonymize import anonymize_dicom_zip

    sizes = QUICK if quick else FULL
    with tempfile.TemporaryDirectory(prefix="dicom-bench-") as tmp:
        work = Path(tmp)
        source = work / "series.zip"
        started = time.perf_counter()
        zip_bytes = write_series_zip(source, sizes["slices"])
        setup = time.perf_counter() - started
        variants = {
            "baseline": lambda: plain_read_write(source, work / "plain.zip"),
            "anonymize": lambda: anonymize_dicom_zip(source, work / "anon.zip"),
        }
        timings: dict[str, list[float]] = {name: [] for name in variants}
        names = list(variants)
        report = None
        for round_number in range(sizes["rounds"]):
            shift = round_number % len(names)
            for name in [*names[shift:], *names[:shift]]:
                started = time.perf_counter()
                result = variants[name]()
                timings[name].append(time.perf_counter() - started)
                if name == "anonymize":
                    report = result
        with zipfile.ZipFile(work / "anon.zip") as archive:
            written = len(archive.infolist())
        if written != sizes["slices"]:
            raise RuntimeError(f"anonymize wrote {written} images, not {sizes['slices']}")
    baseline = statistics.median(timings["baseline"])
    anonymize = statistics.median(timings["anonymize"])
    return {
        "slices": sizes["slices"],
        "rounds": sizes["rounds"],
        "zip_mb": round(zip_bytes / 1e6, 1),
        "setup_seconds": round(setup, 1),
        "baseline_seconds": timings["baseline"],
        "anonymize_seconds": timings["anonymize"],
        "baseline_median": baseline,
        "anonymize_median": anonymize,
        "ratio": anonymize / baseline,
        "removed": report["removed"] if report else [],
    }


def report_line(result: dict) -> str:
    return (
        f"dicom  {result['slices']} slices ({result['zip_mb']} MB zip, median of "
        f"{result['rounds']})  plain read+write {result['baseline_median']:.1f} s (baseline)  "
        f"anonymize {result['anonymize_median']:.1f} s = {result['ratio']:.2f}x"
    )


if __name__ == "__main__":  # the sandbox spawns children, which re-import this module
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="30 slices instead of 300")
    print(report_line(main(parser.parse_args().quick)))
