"""What an HTTP Range request of an encrypted file costs: ``.venv/bin/python bench/range_bench.py
[--quick] [--json]``.

A file of 512 MB of random bytes is stored as a resumable upload stores it: 8 parts of 64 MB,
one per request, each written by ``files.blobs.write_part`` (SHA-256 and age encryption, to a
fresh x25519 key) into the region's local storage. ``--quick``: 16 MB as 4 parts of 4 MB.
``files.blobs.read_range`` serves a range: parts wholly before its start are skipped unread, the
part that holds the start is decrypted from its beginning (age has no random access inside a
part) and its first bytes dropped.

Three reads, each against baselines measured in the same run on the same disk:

1. **The whole file.** ``read_blob`` (with the file's SHA-256, as a download does) against
   reading the same bytes from a plain file in 1 MiB blocks.
2. **A download resumed at 90 %.** ``read_range`` of the last 10 % against ``read_blob`` of the
   whole file (the ratio), and against the same tail of the plain file (``seek`` + ``read``).
3. **A video seek.** ``read_range`` of 1 MB at the middle of the file. With an even number of
   parts the middle is a part boundary, the best case (nothing before it is decrypted); so also
   the worst case, the last MB of that part (the whole part decrypted for its last MB). The plain
   file's ``seek`` + ``read`` of 1 MB beside them.

Every read is consumed into a null sink (the chunks are counted and dropped) and its byte count
checked. A first pass, not timed (it also warms up imports and the page cache), checks the bytes
themselves: ``read_blob`` against the file's SHA-256, each range against the SHA-256 of the
plaintext's slice. Then interleaved rounds (the order rotated every round, ``sync`` before each),
medians of 3 (``--quick``: 1).

MB here is 2**20 bytes (MiB). The run is a throwaway instance (embedded profile, local storage,
data dir in a temporary directory, which also holds the plaintext file and the key; ~1.1 GB for
the full run, checked before anything is written, removed at the end, also on failure). Writing
the parts (``--setup-child``) and the measurement (``--range-child``) run in children: Django is
configured once per process. Where the machine has the memory, the plain file and the parts stay
in the page cache: the reads then measure the CPU's work (age, SHA-256, Python), not the device.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
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

MiB = 2**20
GiB = 2**30
FULL = {"parts": 8, "part_mb": 64, "rounds": 3}
QUICK = {"parts": 4, "part_mb": 4, "rounds": 1}
RESUME_AT = 0.9  # a download resumed at 90 %: the last 10 % of the file
SEEK_MB = 1  # a video seek: 1 MB
BLOCK = MiB  # the plain file is read in 1 MiB blocks (files.blobs.CHUNK)
REGION = "eu"


class BenchError(RuntimeError):
    """A measurement did not do what it claims (a child failed, a read yields the wrong bytes)."""


# --- The instance --------------------------------------------------------------------------------


def instance_environment(tmp: Path) -> dict[str, str]:
    from bench.measure import instance_environment as base

    return base(tmp)  # the database is never opened: no models are used


def make_plaintext(path: Path, size: int) -> str:
    """``size`` random (incompressible) bytes, written in 8 MiB blocks; returns their SHA-256."""
    digest = hashlib.sha256()
    remaining = size
    with path.open("wb") as out:
        while remaining:
            block = os.urandom(min(8 * MiB, remaining))
            digest.update(block)
            out.write(block)
            remaining -= len(block)
    return digest.hexdigest()


def run_setup_child(plain: Path, part_bytes: int, out: Path) -> None:
    """The blob: the plaintext written as parts of ``part_bytes``, one ``write_part`` each (as
    ``files.uploads`` writes one per PATCH, through a ``Sink`` with the request's length as its
    limit), encrypted to a fresh x25519 identity. The parts and the identity go to ``out``."""
    import django

    django.setup()
    from pyrage import x25519

    from dentalbridge.files import blobs

    storage = blobs.region_storage(REGION)
    identity = x25519.Identity.generate()
    recipient = identity.to_public()
    size = plain.stat().st_size
    parts, seconds = [], []
    with plain.open("rb") as source:
        for index, offset in enumerate(range(0, size, part_bytes)):
            name = blobs.part_name("bench-practice", "bench-upload", index)
            sink = blobs.Sink(source, limit=min(part_bytes, size - offset))
            started = time.perf_counter()
            written = blobs.write_part(storage, name, sink, recipient)
            seconds.append(time.perf_counter() - started)
            parts.append(written.as_json(offset))
    out.write_text(
        json.dumps({"identity": str(identity), "parts": parts, "write_seconds": seconds}),
        encoding="utf-8",
    )
    out.chmod(0o600)


# --- The reads (child process) -------------------------------------------------------------------


def _consume(stream) -> tuple[int, int]:
    """(bytes, chunks) of the stream; the chunks are dropped."""
    total = count = 0
    for chunk in stream:
        total += len(chunk)
        count += 1
    return total, count


def _digest(stream) -> tuple[int, str]:
    digest = hashlib.sha256()
    total = 0
    for chunk in stream:
        digest.update(chunk)
        total += len(chunk)
    return total, digest.hexdigest()


def _plain_read(path: Path, start: int, stop: int):
    """The plain file's bytes ``start`` to ``stop``: ``seek`` and ``read`` in 1 MiB blocks."""
    with path.open("rb", buffering=0) as source:
        source.seek(start)
        remaining = stop - start
        while remaining > 0:
            data = source.read(min(BLOCK, remaining))
            if not data:
                return
            remaining -= len(data)
            yield data


def ranges_of(parts: list[dict]) -> dict[str, tuple[int, int]]:
    """(start, stop) of each read, stop exclusive: the tail from 90 %, 1 MB at the middle, and the
    last MB of the part that holds the middle."""
    size = sum(part["length"] for part in parts)
    middle = size // 2
    middle_part_end = next(
        part["offset"] + part["length"]
        for part in parts
        if part["offset"] <= middle < part["offset"] + part["length"]
    )
    return {
        "resume": (int(size * RESUME_AT), size),
        "seek": (middle, min(middle + SEEK_MB * MiB, size)),
        "seek-worst": (max(middle_part_end - SEEK_MB * MiB, 0), middle_part_end),
    }


def run_range_child(blob_json: Path, plain: Path, file_sha256: str, rounds: int, out: Path) -> None:
    """A checking pass, then ``rounds`` interleaved rounds of every read; seconds and CPU
    seconds (this process, the decryption thread included) of each."""
    import django

    django.setup()
    from pyrage import x25519

    from bench.measure import rotated
    from dentalbridge.files import blobs

    storage = blobs.region_storage(REGION)
    blob = json.loads(blob_json.read_text(encoding="utf-8"))
    identity = x25519.Identity.from_str(blob["identity"])
    parts = blob["parts"]
    size = sum(part["length"] for part in parts)
    ranges = ranges_of(parts)

    def encrypted(name: str):
        if name == "full":
            return blobs.read_blob(storage, parts, identity, sha256=file_sha256)
        return blobs.read_range(storage, parts, identity, *ranges[name])

    def plain_read(name: str):
        start, stop = (0, size) if name == "full" else ranges[name]
        return _plain_read(plain, start, stop)

    # The checking pass: the exact bytes, once (not timed).
    checked = {}
    for name in ("full", *ranges):
        start, stop = (0, size) if name == "full" else ranges[name]
        got, want = _digest(encrypted(name)), _digest(plain_read(name))
        if got != want or want[0] != stop - start:
            raise BenchError(f"{name} ({start}-{stop}): {got} read, {want} in the plain file")
        checked[name] = {"start": start, "stop": stop, "bytes": got[0], "sha256": got[1]}
    if checked["full"]["sha256"] != file_sha256:
        raise BenchError("the plain file does not match the SHA-256 it was written with")

    steps = {
        **{f"blob {name}": (lambda n=name: encrypted(n)) for name in ("full", *ranges)},
        **{f"plain {name}": (lambda n=name: plain_read(n)) for name in ("full", *ranges)},
    }
    samples: dict[str, list[dict]] = {name: [] for name in steps}
    for round_ in range(rounds):
        for name in rotated(list(steps), round_):
            expected = checked[name.split()[1]]["bytes"]
            os.sync()
            usage = resource.getrusage(resource.RUSAGE_SELF)
            started = time.perf_counter()
            total, chunks = _consume(steps[name]())
            seconds = time.perf_counter() - started
            done = resource.getrusage(resource.RUSAGE_SELF)
            if total != expected:
                raise BenchError(f"{name}: {total} bytes read, {expected} expected")
            samples[name].append(
                {
                    "seconds": seconds,
                    "cpu_seconds": (done.ru_utime - usage.ru_utime)
                    + (done.ru_stime - usage.ru_stime),
                    "bytes": total,
                    "chunks": chunks,
                }
            )
    out.write_text(json.dumps({"checked": checked, "samples": samples}), encoding="utf-8")


def child(args: list[str], env: dict, what: str) -> None:
    command = [sys.executable, str(Path(__file__).resolve()), *args]
    completed = subprocess.run(  # noqa: S603 — our own script, fixed arguments
        command, cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise BenchError(f"{what} failed:\n{(completed.stdout + completed.stderr)[-3000:]}")


# --- Summary and output --------------------------------------------------------------------------


def decrypted_bytes(parts: list[dict], start: int, stop: int) -> int:
    """What ``read_range`` decrypts for (start, stop): from the beginning of the part that holds
    ``start`` up to ``stop`` (not counting the decryption thread's read-ahead)."""
    for part in parts:
        if part["offset"] <= start < part["offset"] + part["length"]:
            return stop - part["offset"]
    return 0


def summarize(measured: dict, parts: list[dict]) -> dict:
    reads = {}
    for name, samples in measured["samples"].items():
        seconds = [s["seconds"] for s in samples]
        median = statistics.median(seconds)
        reads[name] = {
            "seconds": seconds,
            "median_s": median,
            "median_mb_per_s": samples[0]["bytes"] / MiB / median if median else None,
            "cpu_per_wall_s": statistics.median(
                s["cpu_seconds"] / s["seconds"] for s in samples if s["seconds"]
            ),
            "bytes": samples[0]["bytes"],
            "chunks": samples[0]["chunks"],
        }
    full = reads["blob full"]["median_s"]
    summary = {
        "full_ratio": full / reads["plain full"]["median_s"],
        "resume_ratio": reads["blob resume"]["median_s"] / full,
        "seek_worst_ratio": reads["blob seek-worst"]["median_s"] / full,
    }
    for name in ("resume", "seek", "seek-worst"):
        check = measured["checked"][name]
        summary[f"{name}_decrypted_bytes"] = decrypted_bytes(parts, check["start"], check["stop"])
    return {"reads": reads, "summary": summary, "checked": measured["checked"]}


def report_lines(result: dict) -> list[str]:
    reads, summary, checked = result["reads"], result["summary"], result["checked"]
    file_mb, part_mb = result["file_mb"], result["part_mb"]
    resume_mb = (checked["resume"]["stop"] - checked["resume"]["start"]) / MiB
    seek, worst = checked["seek"], checked["seek-worst"]
    size = checked["full"]["bytes"]
    lines = [
        f"== range benchmark: HTTP Range reads of an encrypted file (files.blobs.read_range) "
        f"against reading it whole and against a plain file on the same disk, "
        f"{result['rounds']} interleaved round(s), medians; MB = 2**20 bytes",
        f"   {file_mb:.0f} MB of random bytes in {result['parts']} parts of {part_mb:.0f} MB "
        f"(age, x25519), written by blobs.write_part in {result['write_seconds']:.2f} s; load "
        f"average (1 min) {result['load_average_before']:.1f} before, "
        f"{result['load_average_after']:.1f} at the end, on {os.cpu_count()} CPUs "
        "(above ~1 something else was running)",
        f"range  {file_mb:4.0f} MB  full read (read_blob) {reads['blob full']['median_s']:.3f} s "
        f"{reads['blob full']['median_mb_per_s']:.0f} MB/s = {summary['full_ratio']:.2f}x plain "
        f"file {reads['plain full']['median_s']:.3f} s (baseline)  (CPU "
        f"{reads['blob full']['cpu_per_wall_s']:.2f} s per s)",
        f"range  {file_mb:4.0f} MB  resume at {RESUME_AT:.0%}: "
        f"{reads['blob resume']['median_s']:.3f} s vs full read "
        f"{reads['blob full']['median_s']:.3f} s = {summary['resume_ratio']:.2f}x  "
        f"(plain file tail {reads['plain resume']['median_s']:.3f} s)",
        f"       {resume_mb:4.1f} MB asked, "
        f"{summary['resume_decrypted_bytes'] / MiB:.1f} MB decrypted (from the start of the part "
        f"that holds byte {checked['resume']['start']:,})",
        f"seek   {SEEK_MB} MB at {seek['start'] / size:.0%}: {reads['blob seek']['median_s']:.3f} s"
        f"  (a part boundary: {summary['seek_decrypted_bytes'] / MiB:.0f} MB decrypted; plain "
        f"file {reads['plain seek']['median_s']:.4f} s)",
        f"seek   {SEEK_MB} MB at {worst['start'] / size:.0%}: "
        f"{reads['blob seek-worst']['median_s']:.3f} s = {summary['seek_worst_ratio']:.2f}x full "
        f"read  (the last MB of a part: {summary['seek-worst_decrypted_bytes'] / MiB:.0f} MB "
        f"decrypted, the worst case; plain file {reads['plain seek-worst']['median_s']:.4f} s)",
        f"check  every read's byte count; once each: read_blob = the file's SHA-256, "
        f"{len(checked) - 1} ranges = the plaintext's slices",
    ]
    return lines


# --- Main ----------------------------------------------------------------------------------------


def check_free_space(tmp_root: Path, need: int) -> None:
    free = shutil.disk_usage(tmp_root).free
    if free < need:
        raise BenchError(
            f"the range benchmark needs {need / GiB:.1f} GB free in {tmp_root} (the file in "
            f"plaintext and encrypted in storage), but only {free / GiB:.1f} GB are free; set "
            "TMPDIR to a larger disk or use --quick"
        )


def main(quick: bool) -> dict:
    """Write the blob, measure, remove everything; returns the results (and prints them)."""
    from importlib.metadata import version

    plan = QUICK if quick else FULL
    started = time.perf_counter()
    part_bytes = plan["part_mb"] * MiB
    size = plan["parts"] * part_bytes
    tmp_root = Path(tempfile.gettempdir())
    check_free_space(tmp_root, int(size * 2 * 1.01) + 256 * MiB)
    result: dict = {
        "python": platform.python_version(),
        "pyrage": version("pyrage"),
        "quick": quick,
        "rounds": plan["rounds"],
        "parts": plan["parts"],
        "part_mb": part_bytes / MiB,
        "file_mb": size / MiB,
        "load_average_before": os.getloadavg()[0],
    }
    tmp = Path(tempfile.mkdtemp(prefix="dentalbridge-range-bench-", dir=tmp_root))
    try:
        env = instance_environment(tmp)
        for folder in ("data", "media/files", "static", "plain"):
            (tmp / folder).mkdir(parents=True)
        plain = tmp / "plain" / "file.bin"
        file_sha256 = make_plaintext(plain, size)
        result["generate_seconds"] = time.perf_counter() - started
        blob_json = tmp / "blob.json"
        setup_started = time.perf_counter()
        child(
            ["--setup-child", str(plain), str(part_bytes), str(blob_json)],
            env,
            "set-up (the parts written with blobs.write_part)",
        )
        result["setup_seconds"] = time.perf_counter() - setup_started
        blob = json.loads(blob_json.read_text(encoding="utf-8"))
        parts = blob["parts"]
        if [p["length"] for p in parts] != [part_bytes] * plan["parts"]:
            raise BenchError(f"the set-up wrote parts of {[p['length'] for p in parts]} bytes")
        result["write_seconds"] = sum(blob["write_seconds"])
        result["stored_bytes"] = sum(p["stored"] for p in parts)
        measured_json = tmp / "measured.json"
        child(
            [
                "--range-child",
                str(blob_json),
                str(plain),
                file_sha256,
                str(plan["rounds"]),
                str(measured_json),
            ],
            env,
            "the reads",
        )
        measured = json.loads(measured_json.read_text(encoding="utf-8"))
        result.update(summarize(measured, parts))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["load_average_after"] = os.getloadavg()[0]
    result["seconds"] = time.perf_counter() - started
    print("\n".join(report_lines(result)), flush=True)
    return result


def _terminate(signum, frame):
    raise SystemExit(128 + signum)  # so the ``finally`` block removes the files


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="16 MB as 4 parts of 4 MB, one round")
    parser.add_argument("--json", action="store_true", help="also print the result as JSON")
    parser.add_argument("--setup-child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--range-child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup_child:
        plain, part_bytes, out = args.setup_child
        run_setup_child(Path(plain), int(part_bytes), Path(out))
    elif args.range_child:
        blob_json, plain, file_sha256, rounds, out = args.range_child
        run_range_child(Path(blob_json), Path(plain), file_sha256, int(rounds), Path(out))
    else:
        signal.signal(signal.SIGTERM, _terminate)
        outcome = main(args.quick)
        if args.json:
            print(json.dumps(outcome, indent=2))
