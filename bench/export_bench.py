"""What the copy for an access request costs: ``.venv/bin/python bench/export_bench.py [--quick]
[--json]``.

A patient with 500 record items (notes, half of them edited once, so with two versions) and
2 GB of files (8 random binary STLs of 256 MB, uploaded through ``files.uploads`` and so stored
encrypted) asks for a copy of their record (Art. 15) through the patient portal
(``privacy.requests.request_create``); ``requests.export_open`` then streams the ZIP
(``privacy.portability.export_stream``: data.json, the FHIR bundle and the files, decrypted chunk
by chunk). ``--quick``: 20 items and 4 files of 4 MB.

Two questions, each against a baseline measured in the same run on the same disk:

1. **Time.** The export consumed into a ZIP file in the temporary directory, in MB/s of the
   files' bytes, against ``zip -0 -q`` (stored, no compression, as the export stores files) of
   the same files in plaintext from the same disk (without ``/usr/bin/zip``: Python's
   ``zipfile`` with ``ZIP_STORED``). Also the export into a null sink (the chunks are counted
   and dropped), to tell the export's own cost from the disk's. Interleaved rounds (the order
   rotated every round), medians of 3 (``--quick``: 1).
2. **Memory.** Each export runs in a fresh child process (this script with ``--export-child``)
   that first exports a tiny record (imports, FHIR models, the first queries: what any server
   process has done after its first download), then resets its peak RSS (``/proc/self/clear_refs``,
   falling back to sampling ``VmRSS`` every 10 ms) and reads ``VmHWM`` after the export. The
   same at a quarter of the data (2 files, 125 items): a streamed ZIP's peak must not follow the
   size, so peak at 2 GB / peak at 512 MB should be ~1.

MB here is 2**20 bytes (MiB), and MB/s is 2**20 bytes of the files per second. The run is a
throwaway instance (embedded profile, SQLite file, local storage, secret key and master key in a
temporary directory, which also holds the plaintext files and every output; ~7 GB for the full
run, checked before anything is written, removed at the end, also on failure). The set-up runs
in a child too (``--setup-child``): Django is configured once per process.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path; the project root is what we import from.
if sys.path and Path(sys.path[0]).resolve() == REPO / "bench":
    sys.path[0] = str(REPO)
elif str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

MiB = 2**20
GiB = 2**30
FULL = {"files": 8, "file_mb": 256, "items": 500, "rounds": 3}
QUICK = {"files": 4, "file_mb": 4, "items": 20, "rounds": 1}
QUARTER = 4  # the smaller export: a quarter of the files and of the record items
WARMUP_MB = 1
MIN_FREE_FULL = 6 * GiB
ZIP = shutil.which("zip") or ""
SAMPLE_SECONDS = 0.01


class BenchError(RuntimeError):
    """A measurement did not do what it claims (a child failed, a ZIP lacks files)."""


# --- The instance --------------------------------------------------------------------------------


def instance_environment(tmp: Path) -> dict[str, str]:
    from bench.measure import instance_environment as base

    return base(
        tmp,
        TASKS_BACKEND="database",  # e-mails and intake are queued, not run
        FILES_SYNC_CHECK_BYTES="0",
        FILES_QUOTA_BYTES=str(2**40),
    )


def make_stl(path: Path, size_mb: float) -> int:
    """Random (incompressible) bytes that are a valid binary STL: 80-byte header, uint32 n,
    n x 50 bytes; the server decides the type by content. Written in 8 MiB blocks."""
    triangles = (int(size_mb * MiB) - 84) // 50
    remaining = triangles * 50
    with path.open("wb") as out:
        out.write(b"DentalBridge export benchmark: random triangles".ljust(80, b" "))
        out.write(struct.pack("<I", triangles))
        while remaining:
            block = os.urandom(min(8 * MiB, remaining))
            out.write(block)
            remaining -= len(block)
    return 84 + 50 * triangles


NOTE_WORDS = [
    "Check-up without findings",
    "Caries 36 distal, small; composite planned",
    "Gingiva slightly inflamed at 41-43, instructed on interdental brushes",
    "Bite-wings taken, no interproximal lesions",
    "Recall in six months",
    "Patient reports sensitivity to cold at 24",
    "Scaling done.",
]


def run_setup_child(plan_path: Path, out: Path) -> None:
    """Schema, a practice and its owner-dentist, and per record of the plan: a patient, notes
    (every second one edited once), the files uploaded, a portal account and an access request.
    The download tokens go to ``out`` only."""
    import random
    from datetime import date, timedelta

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import override_settings

    call_command("migrate", interactive=False, verbosity=0)

    from dentalbridge.accounts.models import User
    from dentalbridge.files import uploads
    from dentalbridge.files.models import Asset, AssetStatus
    from dentalbridge.files.tests.factories import DUMMY_TASKS
    from dentalbridge.gdpr import requests
    from dentalbridge.organizations.models import Membership, Organization, OrganizationKind, Role
    from dentalbridge.patients import services as patients
    from dentalbridge.patients.models import PatientAccount
    from dentalbridge.privacy.door import through_the_door
    from dentalbridge.privacy.principal import Principal

    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    practice = Organization.objects.create(
        kind=OrganizationKind.PRACTICE, name="Bench Dental", country="NL", city="Utrecht"
    )
    # The owner is a dentist of the practice and handles its data requests (no passwords, no
    # second factor: nobody signs in over HTTP here).
    owner = User.objects.create_user("olivia.owner@bench.example", None, full_name="Olivia Owner")
    owner.emailaddress_set.create(email=owner.email, verified=True, primary=True)
    Membership.objects.create(user=owner, organization=practice, role=Role.OWNER)
    membership = Membership.objects.select_related("organization", "user").get(user=owner)
    actor = Principal(user=owner, membership=membership)

    tokens = {}
    for number, record in enumerate(plan["records"], start=1):
        rng = random.Random(number)
        label = record["label"]
        email = f"{label}.export@patient.example"
        patient = patients.patient_create(
            actor=actor,
            given_name=label.capitalize(),
            family_name="Exportsen",
            date_of_birth=date(1970 + number, 3, 14),
            email=email,
            attending_dentist=owner,
        )
        notes = record["items"] - len(record["files"])
        first_day = date(2015, 1, 5)
        for index in range(notes):
            text = ". ".join(rng.sample(NOTE_WORDS, 3)) + "."
            item = patients.record_item_create(
                actor=actor,
                patient_id=patient.public_id,
                kind="note",
                title=f"Visit {index + 1}",
                text=text,
                taken_on=first_day + timedelta(days=7 * index),
            )
            if index % 2:
                patients.record_item_update(
                    actor=actor,
                    patient_id=patient.public_id,
                    item_id=item.public_id,
                    text=text + " Reviewed at the next visit.",
                )
        for index, source in enumerate(record["files"], start=1):
            path = Path(source)
            size = path.stat().st_size
            metadata = {"filename": f"scan {index:02d}.stl", "patient": str(patient.public_id)}
            # As dentalbridge/files/tests/factories.py's stored_scan, with the body read from
            # disk (never whole in memory) and without the anonymized copy (not exported).
            with override_settings(TASKS=DUMMY_TASKS), path.open("rb") as body:
                upload = uploads.upload_create(actor=actor, length=size, metadata=metadata)
                done = uploads.upload_receive(
                    actor=actor,
                    upload_id=upload.public_id,
                    offset=0,
                    content_length=size,
                    body=body,
                )
            with through_the_door():
                asset = Asset.objects.get(pk=done.asset_id)
            asset.status = AssetStatus.READY
            asset.sha256 = done.parts[0]["sha256"]
            asset.save()
        user = User.objects.create_user(email, None, full_name=f"{label.capitalize()} Exportsen")
        user.emailaddress_set.create(email=email, verified=True, primary=True)
        with through_the_door():
            PatientAccount.objects.create(patient=patient, user=user)
        made = requests.request_create(
            actor=Principal(user=user), kind="access", patient_id=patient.public_id
        )
        tokens[label] = requests.export_url(made).rsplit("/", 2)[-2]
    out.write_text(json.dumps(tokens), encoding="utf-8")
    out.chmod(0o600)


# --- Memory --------------------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise BenchError(f"/proc/self/status has no {field}")


class PeakRss:
    """This process's RSS high-water mark from now on: the kernel's ``VmHWM`` after resetting it
    (``/proc/self/clear_refs``, Linux 4.0+), or, where that is refused, ``VmRSS`` sampled."""

    def __enter__(self):
        self.before = _status_kb("VmRSS") * 1024
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.method = "VmHWM"
            self._thread = None
        except OSError:
            self.method = f"VmRSS every {SAMPLE_SECONDS * 1000:.0f} ms"
            self._peak = self.before
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._sample, daemon=True, name="rss")
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, _status_kb("VmRSS") * 1024)
            self._stop.wait(SAMPLE_SECONDS)

    def __exit__(self, *exc):
        self.after = _status_kb("VmRSS") * 1024
        if self._thread is None:
            self.peak = _status_kb("VmHWM") * 1024
        else:
            self._stop.set()
            self._thread.join()
            self.peak = max(self._peak, self.after)


def _consume(stream, target: str) -> tuple[int, int, int]:
    """(bytes, chunks, largest chunk) of the stream, written to ``target`` or dropped ("-")."""
    total = count = largest = 0
    if target == "-":
        for chunk in stream:
            total += len(chunk)
            count += 1
            largest = max(largest, len(chunk))
        return total, count, largest
    with open(target, "wb") as out:
        for chunk in stream:
            out.write(chunk)
            total += len(chunk)
            count += 1
            largest = max(largest, len(chunk))
    return total, count, largest


def run_export_child(warmup_token: str, token: str, target: str, out: Path) -> None:
    """One export in a fresh process, after a warm-up export of a tiny record: seconds, CPU and
    the RSS before, at peak and after."""
    import django

    django.setup()
    from dentalbridge.gdpr import requests

    _name, stream = requests.export_open(warmup_token)
    _consume(stream, "-")
    del stream
    gc.collect()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with PeakRss() as rss:
        started = time.perf_counter()
        name, stream = requests.export_open(token)
        size, chunks, largest = _consume(stream, target)
        seconds = time.perf_counter() - started
    done = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (done.ru_utime - usage.ru_utime) + (done.ru_stime - usage.ru_stime)
    result = {
        "name": name,
        "seconds": seconds,
        "zip_bytes": size,
        "chunks": chunks,
        "largest_chunk": largest,
        "cpu_seconds": cpu,
        "rss_method": rss.method,
        "rss_before": rss.before,
        "rss_peak": rss.peak,
        "rss_after": rss.after,
        "ru_maxrss": done.ru_maxrss * 1024,  # the whole process's life, warm-up included
    }
    out.write_text(json.dumps(result), encoding="utf-8")


def child(args: list[str], env: dict, what: str) -> None:
    command = [sys.executable, str(Path(__file__).resolve()), *args]
    completed = subprocess.run(  # noqa: S603 — our own script, fixed arguments
        command, cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise BenchError(f"{what} failed:\n{(completed.stdout + completed.stderr)[-3000:]}")


# --- The variants --------------------------------------------------------------------------------


def check_zip(path: Path, files: list[Path], *, prefix: str, deep: bool) -> None:
    """The ZIP holds every file at its size (and, ``deep``, every CRC checks out)."""
    with zipfile.ZipFile(path) as archive:
        sizes = sorted(i.file_size for i in archive.infolist() if i.filename.startswith(prefix))
        if sizes != sorted(f.stat().st_size for f in files):
            raise BenchError(f"{path.name} does not hold the {len(files)} files: {sizes}")
        if deep and (bad := archive.testzip()) is not None:
            raise BenchError(f"{path.name}: {bad} does not match its CRC")


class Variants:
    def __init__(self, tmp: Path, env: dict, tokens: dict, files: dict, *, deep: bool):
        self.tmp, self.env, self.tokens, self.files, self.deep = tmp, env, tokens, files, deep
        self.out = tmp / "out"

    def export(self, size: str, *, null: bool = False) -> dict:
        target = self.out / "export.zip"
        result_json = self.out / "export.json"
        args = ["--export-child", self.tokens["warmup"], self.tokens[size]]
        child([*args, "-" if null else str(target), str(result_json)], self.env, f"export {size}")
        result = json.loads(result_json.read_text(encoding="utf-8"))
        result_json.unlink()
        if not null:
            check_zip(target, self.files[size], prefix="files/", deep=self.deep)
            target.unlink()
        return result

    def zip(self, size: str) -> dict:
        """``zip -0 -q -j`` of the plaintext files (``zipfile``, stored, without the command)."""
        target = self.out / "plain.zip"
        files = self.files[size]
        started = time.perf_counter()
        if ZIP:
            command = [ZIP, "-0", "-q", "-j", str(target), *map(str, files)]
            subprocess.run(command, check=True)  # noqa: S603 — fixed arguments
        else:
            with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
                for path in files:
                    archive.write(path, path.name)
        seconds = time.perf_counter() - started
        zip_bytes = target.stat().st_size
        check_zip(target, files, prefix="", deep=self.deep)
        target.unlink()
        return {"seconds": seconds, "zip_bytes": zip_bytes}


def measure(variants: Variants, rounds: int) -> dict[str, list[dict]]:
    """Every variant once per round, the order rotated every round; the page cache is flushed to
    disk (``sync``) before each, so no variant pays for the previous one's writeback."""
    from bench.measure import rotated

    steps = {
        "export full": lambda: variants.export("full"),
        "zip full": lambda: variants.zip("full"),
        "export quarter": lambda: variants.export("quarter"),
        "zip quarter": lambda: variants.zip("quarter"),
        "export-null full": lambda: variants.export("full", null=True),
    }
    runs: dict[str, list[dict]] = {name: [] for name in steps}
    for round_ in range(rounds):
        for name in rotated(list(steps), round_):
            os.sync()
            runs[name].append(steps[name]())
    return runs


def summarize(runs: dict[str, list[dict]], payload: dict[str, int], items: dict) -> dict:
    sizes = {}
    for size in ("full", "quarter"):
        mb = payload[size] / MiB
        row: dict = {"files_mb": mb, "items": items[size]}
        for variant in ("export", "zip", "export-null"):
            samples = runs.get(f"{variant} {size}")
            if not samples:
                continue
            seconds = [s["seconds"] for s in samples]
            median = statistics.median(seconds)
            row[variant] = {
                "seconds": seconds,
                "median_s": median,
                "median_mb_per_s": mb / median,
                "zip_bytes": samples[0]["zip_bytes"],
            }
            if variant.startswith("export"):
                row[variant]["runs"] = samples
                row[variant]["cpu_per_wall_s"] = statistics.median(
                    s["cpu_seconds"] / s["seconds"] for s in samples
                )
            if variant == "export":
                row["rss"] = {
                    "method": samples[0]["rss_method"],
                    "before_mb": statistics.median(s["rss_before"] / MiB for s in samples),
                    "peak_mb": statistics.median(s["rss_peak"] / MiB for s in samples),
                    "growth_mb": statistics.median(
                        (s["rss_peak"] - s["rss_before"]) / MiB for s in samples
                    ),
                    "largest_chunk_kib": max(s["largest_chunk"] for s in samples) / 1024,
                }
        row["ratio"] = row["export"]["median_s"] / row["zip"]["median_s"]
        sizes[size] = row
    return sizes


# --- Output --------------------------------------------------------------------------------------


def report_lines(result: dict) -> list[str]:
    baseline = "zip -0" if result["baseline"].startswith("zip") else "zipfile stored"
    lines = [
        f"== export benchmark: an access request's copy (streamed ZIP) against {baseline} of the "
        f"same files, {result['rounds']} interleaved round(s), medians; MB = 2**20 bytes",
        f"   load average (1 min) {result['load_average_before']:.1f} before, "
        f"{result['load_average_after']:.1f} at the end, on {os.cpu_count()} CPUs "
        "(above ~1 something else was running)",
    ]
    for row in result["sizes"].values():
        exp, plain = row["export"], row["zip"]
        line = (
            f"export {row['files_mb']:5.0f} MB {row['items']:>4} items  {baseline} "
            f"{plain['median_s']:.2f} s {plain['median_mb_per_s']:.0f} MB/s (baseline)  export "
            f"{exp['median_s']:.2f} s {exp['median_mb_per_s']:.0f} MB/s = {row['ratio']:.2f}x"
        )
        if "export-null" in row:
            null = row["export-null"]
            line += (
                f"  (to a null sink {null['median_s']:.2f} s {null['median_mb_per_s']:.0f} MB/s)"
            )
        lines.append(line)
    for row in reversed(result["sizes"].values()):
        rss = row["rss"]
        lines.append(
            f"rss    {row['files_mb']:5.0f} MB  before {rss['before_mb']:.0f} MB  peak "
            f"{rss['peak_mb']:.0f} MB  growth {rss['growth_mb']:.0f} MB  (export process, "
            f"{rss['method']}; chunks up to {rss['largest_chunk_kib']:.0f} KiB; CPU "
            f"{row['export']['cpu_per_wall_s']:.2f} s per s)"
        )
    full, quarter = result["sizes"]["full"], result["sizes"]["quarter"]
    lines.append(
        f"rss    peak at {full['files_mb']:.0f} MB / peak at {quarter['files_mb']:.0f} MB = "
        f"{result['peak_ratio']:.2f}x (growth {full['rss']['growth_mb']:.0f} MB / "
        f"{quarter['rss']['growth_mb']:.0f} MB; ~1: memory does not follow the files' size)"
    )
    return lines


# --- Main ----------------------------------------------------------------------------------------


def check_free_space(tmp_root: Path, need: int, quick: bool) -> None:
    free = shutil.disk_usage(tmp_root).free
    need = need if quick else max(need, MIN_FREE_FULL)
    if free < need:
        raise BenchError(
            f"the export benchmark needs {need / GiB:.1f} GB free in {tmp_root} (the files in "
            f"plaintext, encrypted in storage, and one export at a time), but only "
            f"{free / GiB:.1f} GB are free; set TMPDIR to a larger disk or use --quick"
        )


def zip_version() -> str:
    """``zip 3.0`` (from ``zip -v``), or what stands in for it."""
    if not ZIP:
        return "zipfile ZIP_STORED"
    about = subprocess.run(  # noqa: S603 — fixed arguments
        [ZIP, "-v"], stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
    ).stdout
    words = next((line.split() for line in about.splitlines() if "This is Zip" in line), [])
    return f"zip {words[3]}" if len(words) > 3 else "zip"


def main(quick: bool) -> dict:
    """Seed the records, measure, remove everything; returns the results (and prints them)."""
    plan = QUICK if quick else FULL
    started = time.perf_counter()
    files_full = plan["files"]
    files_quarter = max(1, files_full // QUARTER)
    items = {"full": plan["items"], "quarter": plan["items"] // QUARTER}
    file_bytes = plan["file_mb"] * MiB
    # Plaintext, stored (both records, ~+0.02 % for age), one output at a time, headroom.
    need = int(file_bytes * (2 * files_full + files_quarter + files_full) * 1.01) + 256 * MiB
    tmp_root = Path(tempfile.gettempdir())
    check_free_space(tmp_root, need, quick)
    result: dict = {
        "python": platform.python_version(),
        "quick": quick,
        "rounds": plan["rounds"],
        "baseline": zip_version(),
        "load_average_before": os.getloadavg()[0],
    }
    tmp = Path(tempfile.mkdtemp(prefix="dentalbridge-export-bench-", dir=tmp_root))
    try:
        env = instance_environment(tmp)
        for folder in ("data", "media/files", "static", "plain", "out"):
            (tmp / folder).mkdir(parents=True)
        full = [tmp / "plain" / f"scan-{i:02d}.stl" for i in range(1, files_full + 1)]
        for path in full:
            make_stl(path, plan["file_mb"])
        warmup = tmp / "plain" / "warmup.stl"
        make_stl(warmup, WARMUP_MB)
        files = {"full": full, "quarter": full[:files_quarter], "warmup": [warmup]}
        result["generate_seconds"] = time.perf_counter() - started
        records = [
            {"label": "warmup", "items": 3, "files": [str(warmup)]},
            *(
                {"label": size, "items": items[size], "files": [str(p) for p in files[size]]}
                for size in ("quarter", "full")
            ),
        ]
        (tmp / "plan.json").write_text(json.dumps({"records": records}), encoding="utf-8")
        setup_started = time.perf_counter()
        child(
            ["--setup-child", str(tmp / "plan.json"), str(tmp / "tokens.json")],
            env,
            "set-up (migrate, practice, patients, record items, uploads, requests)",
        )
        result["setup_seconds"] = time.perf_counter() - setup_started
        tokens = json.loads((tmp / "tokens.json").read_text(encoding="utf-8"))
        variants = Variants(tmp, env, tokens, files, deep=quick)
        runs = measure(variants, plan["rounds"])
        payload = {size: sum(p.stat().st_size for p in files[size]) for size in files}
        result["sizes"] = summarize(runs, payload, items)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sizes = result["sizes"]
    result["peak_ratio"] = sizes["full"]["rss"]["peak_mb"] / sizes["quarter"]["rss"]["peak_mb"]
    result["load_average_after"] = os.getloadavg()[0]
    result["seconds"] = time.perf_counter() - started
    print("\n".join(report_lines(result)), flush=True)
    return result


def _terminate(signum, frame):
    raise SystemExit(128 + signum)  # so the ``finally`` block removes the files


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 items and 4 files of 4 MB")
    parser.add_argument("--json", action="store_true", help="also print the result as JSON")
    parser.add_argument("--setup-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--export-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup_child:
        run_setup_child(*args.setup_child)
    elif args.export_child:
        warmup_token, token, target, out = args.export_child
        run_export_child(warmup_token, token, target, Path(out))
    else:
        signal.signal(signal.SIGTERM, _terminate)
        outcome = main(args.quick)
        if args.json:
            print(json.dumps(outcome, indent=2))
