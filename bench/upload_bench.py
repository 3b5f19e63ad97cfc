"""Upload throughput and server memory of the tus endpoint: ``.venv/bin/python
bench/upload_bench.py [--quick] [--sizes 300,2000] [--output PATH]``.

Three questions, each against a baseline measured in the same run on the same disk:

1. **Throughput.** A random but valid binary STL of N MB goes to ``/api/v1/uploads/`` with tuspy
   (chunks of 64 MiB), through the real server as ``make run`` starts it (granian, one worker, four
   blocking threads). Baselines: (a) a plain copy of the same file on the same disk (read and
   written in 1 MiB blocks in user space);
   (b) the same client sending the same chunks to a bare tus-speaking WSGI app under the same
   granian that only writes each PATCH body to a file. Interleaved rounds, medians.
2. **Server memory.** The granian worker's RSS (``/proc/<pid>/status``), sampled every 50 ms
   during one upload on a freshly started server (``--quick``: on the rounds' server): before,
   peak, growth. At two chunk sizes (8 and 64 MiB), so a body held in memory would show as
   growth that follows the chunk size.
3. **Encryption.** In process, without HTTP: ``blobs.write_part`` (SHA-256 + age encryption into
   the region's storage) against a plain streaming copy through the same ``Sink`` (SHA-256) into
   the same storage, in 1 MiB blocks.

MB here is 2**20 bytes (MiB), and MB/s is 2**20 bytes per second.

The run is a throwaway instance: a temporary data dir with its own SQLite database (embedded
profile, ``TASKS_BACKEND=database`` so intake is queued, not run: we measure receiving),
``FILES_SYNC_CHECK_BYTES=0`` (no deep check after the last PATCH), local storage. Everything is
removed at the end, servers included, also on failure. Prints the headline lines and writes JSON
to bench/results/upload.json (git-ignored).

The script is also its own child: ``--setup-child`` (migrate and create the practice, a dentist
with TOTP, a patient and an API token) and ``--encrypt-child`` (question 3) each run Django in a
fresh interpreter with the run's environment.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path; the project root is what we import from.
if sys.path and Path(sys.path[0]).resolve() == REPO / "bench":
    sys.path[0] = str(REPO)
elif str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.measure import process_tree  # noqa: E402 — after the path fix

MiB = 2**20
DEFAULT_OUTPUT = REPO / "bench" / "results" / "upload.json"
FULL = {"sizes_mb": [300, 2000], "rounds": 3, "encrypt_rounds": 5}
QUICK = {"sizes_mb": [50], "rounds": 1, "encrypt_rounds": 1}
CHUNK = 64 * MiB  # tuspy's chunk_size for the throughput rounds (one PATCH per chunk)
RSS_CHUNKS = (8 * MiB, 64 * MiB)
SAMPLE_SECONDS = 0.05
WARMUP_BYTES = 84 + 50 * 20_000  # ~1 MB: loads the views, DRF and pyrage before anything is timed
GOALS = {"tus_per_copy": 0.5, "tus_per_bare": 0.8, "rss_growth_mb": 100, "encrypt_ratio": 1.2}
TUS_PATH = "/api/v1/uploads/"

# A minimal tus 1.0 server (core + creation) that only writes each PATCH body to a file: the
# baseline (b). It reads ``wsgi.input`` in 1 MiB blocks up to CONTENT_LENGTH, as the product does
# (through Django's LimitedStream), and keeps the offset in memory.
BARE_APP = """\
import itertools
import os
import threading

ROOT = os.environ["BARE_TUS_DIR"]
BLOCK = int(os.environ.get("BARE_TUS_BLOCK", 1024 * 1024))
TUS = [("Tus-Resumable", "1.0.0")]
_lock = threading.Lock()
_ids = itertools.count(1)
_uploads = {}  # id -> [length, offset]


def app(environ, start_response):
    method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
    if path == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    if method == "OPTIONS":
        start_response("204 No Content", [*TUS, ("Tus-Version", "1.0.0"),
                                          ("Tus-Extension", "creation")])
        return []
    if method == "POST":
        with _lock:
            upload_id = str(next(_ids))
            _uploads[upload_id] = [int(environ["HTTP_UPLOAD_LENGTH"]), 0]
        open(os.path.join(ROOT, upload_id), "xb").close()
        start_response("201 Created", [*TUS, ("Location", "/files/" + upload_id)])
        return []
    state = _uploads.get(path.rsplit("/", 1)[-1])
    if state is None:
        start_response("404 Not Found", TUS)
        return []
    if method == "HEAD":
        start_response("200 OK", [*TUS, ("Upload-Offset", str(state[1])),
                                  ("Upload-Length", str(state[0]))])
        return []
    if method != "PATCH":
        start_response("405 Method Not Allowed", TUS)
        return []
    if int(environ.get("HTTP_UPLOAD_OFFSET", "-1")) != state[1]:
        start_response("409 Conflict", TUS)
        return []
    remaining = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    with open(os.path.join(ROOT, path.rsplit("/", 1)[-1]), "ab") as out:
        while remaining > 0:
            data = stream.read(min(BLOCK, remaining))
            if not data:
                break
            out.write(data)
            remaining -= len(data)
            state[1] += len(data)
    start_response("204 No Content", [*TUS, ("Upload-Offset", str(state[1]))])
    return []
"""


class BenchError(RuntimeError):
    """A measurement did not do what it claims (an upload failed, a file is missing)."""


# --- The instance --------------------------------------------------------------------------------


def instance_environment(tmp: Path) -> dict[str, str]:
    """The run's own settings; values that could leak in from the caller's shell are dropped."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "DATABASE_URL", "DENTALBRIDGE_", "DJANGO_", "GRANIAN_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DENTALBRIDGE_PROFILE": "embedded",
            "DENTALBRIDGE_DATA_DIR": str(tmp / "data"),
            "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
            "TASKS_BACKEND": "database",
            "STORAGE_BACKEND": "local",
            "MEDIA_ROOT": str(tmp / "media"),
            "STATIC_ROOT": str(tmp / "static"),
            "FILES_SYNC_CHECK_BYTES": "0",
            "FILES_QUOTA_BYTES": str(2**40),  # every round's file stays counted in the quota
            "EMAIL_URL": "locmem://",
            "DJANGO_DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def run_setup_child(out: Path) -> None:
    """Schema, practice, dentist with TOTP, patient, API token; the secrets go to ``out`` only."""
    from datetime import date

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)  # as `make run` does: the cache is a table

    from bench.world import TOTP_SECRET
    from dentalbridge.accounts.models import User
    from dentalbridge.accounts.services import api_token_create, totp_enrol
    from dentalbridge.organizations.models import Membership, Organization, OrganizationKind, Role
    from dentalbridge.patients.services import patient_create
    from dentalbridge.privacy.principal import Principal

    practice = Organization.objects.create(
        kind=OrganizationKind.PRACTICE, name="Bench Dental", country="NL", city="Utrecht"
    )
    dentist = User.objects.create_user("dana.dentist@bench.example", None, full_name="Dana Dentist")
    dentist.emailaddress_set.create(email=dentist.email, verified=True, primary=True)
    Membership.objects.create(user=dentist, organization=practice, role=Role.DENTIST)
    totp_enrol(user=dentist, secret=TOTP_SECRET)  # the API refuses tokens of users without 2FA
    membership = Membership.objects.select_related("organization", "user").get(user=dentist)
    principal = Principal(user=dentist, membership=membership)
    patient = patient_create(
        actor=principal,
        given_name="Bench",
        family_name="Patient",
        date_of_birth=date(1980, 4, 2),
        attending_dentist=dentist,
    )
    issued = api_token_create(actor=principal, name="upload bench", valid_days=1)
    out.write_text(
        json.dumps({"token": issued.secret, "patient": str(patient.public_id)}), encoding="utf-8"
    )
    out.chmod(0o600)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """granian as ``make run`` starts it: WSGI, one worker, four blocking threads."""

    def __init__(self, name: str, target: str, env: dict, log: Path, working_dir: Path = REPO):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [
            # Stopped by us (stop()), on Ctrl-C and SIGTERM (the ``finally`` blocks); and if we
            # are killed outright, the kernel sends it SIGTERM (setpriv execs granian with
            # PR_SET_PDEATHSIG): a server in a session of its own would otherwise stay behind.
            *(["setpriv", "--pdeathsig", "TERM", "--"] if shutil.which("setpriv") else []),
            str(Path(sys.executable).parent / "granian"),
            *("--interface", "wsgi", "--host", "127.0.0.1", "--port", str(self.port)),
            *("--workers", "1", "--blocking-threads", "4", "--no-ws"),
            *("--working-dir", str(working_dir), target),
        ]
        with log.open("ab") as output:
            self.process = subprocess.Popen(  # noqa: S603 — fixed arguments
                command,
                cwd=working_dir,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 600) -> None:  # a ceiling for a busy machine
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name} server exited:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except urllib.error.HTTPError as error:
                raise BenchError(
                    f"{self.name} /healthz answered {error.code}:\n{error.read()[:2000]!r}"
                ) from None
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(f"{self.name} server did not answer /healthz in {timeout:.0f} s")

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def worker_pids(self) -> list[int]:
        """granian's worker processes (descendants of the main process)."""
        return process_tree(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass


# --- Memory --------------------------------------------------------------------------------------


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RssSampler:
    """The summed RSS of the server's worker processes, every 50 ms while the block runs, and
    the CPU time they used (CPU seconds per wall second near 1 means one core was busy)."""

    def __init__(self, pids: list[int]):
        self.pids = pids
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss-sampler")

    def current(self) -> int:
        return sum(rss_bytes(pid) for pid in self.pids)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self.current())
            self._stop.wait(SAMPLE_SECONDS)

    def __enter__(self):
        self.before = self.current()
        self._cpu = sum(cpu_seconds(pid) for pid in self.pids)
        self._wall = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.after = self.current()
        self.cpu = sum(cpu_seconds(pid) for pid in self.pids) - self._cpu
        self.wall = time.perf_counter() - self._wall
        self.peak = max([self.before, self.after, *self.samples])

    def as_json(self) -> dict:
        return {
            "before_mb": self.before / MiB,
            "peak_mb": self.peak / MiB,
            "after_mb": self.after / MiB,
            "growth_mb": (self.peak - self.before) / MiB,
            "samples": len(self.samples),
            "server_cpu_s": self.cpu,
            "server_cpu_per_wall_s": self.cpu / self.wall,
        }


# --- The file and the three ways to store it ------------------------------------------------------


def make_stl(path: Path, size_mb: int) -> int:
    """Random bytes that are a valid binary STL: 80-byte header, uint32 n, n x 50 bytes. The
    server decides the type by content; for a binary STL only 84 + 50 n == size must hold."""
    triangles = (size_mb * MiB - 84) // 50
    remaining = triangles * 50
    with path.open("wb") as out:
        out.write(b"DentalBridge upload benchmark: random triangles".ljust(80, b" "))
        out.write(struct.pack("<I", triangles))
        while remaining:
            block = os.urandom(min(8 * MiB, remaining))
            out.write(block)
            remaining -= len(block)
    return 84 + 50 * triangles


def tus_upload(base_url: str, path: Path, chunk: int, headers: dict, metadata: dict) -> float:
    """Seconds for tuspy to create the upload and send every chunk (one PATCH each)."""
    from tusclient import client

    uploader = client.TusClient(base_url, headers=headers).uploader(
        file_path=str(path), chunk_size=chunk, metadata=metadata
    )
    start = time.perf_counter()
    uploader.upload()
    seconds = time.perf_counter() - start
    if uploader.offset != path.stat().st_size:
        raise BenchError(f"upload stopped at {uploader.offset} of {path.stat().st_size} bytes")
    return seconds


def tree_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def empty_dir(root: Path) -> None:
    for child in root.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()


class Variants:
    """The three timed ways of storing the file; each checks its result and removes it after."""

    def __init__(self, tmp: Path, product: Server, bare: Server, token: str, patient: str):
        self.tmp = tmp
        self.product, self.bare = product, bare
        self.headers = {"Authorization": f"Bearer {token}"}
        self.metadata = {"filename": "upload-bench.stl", "patient": patient}
        self.stored = tmp / "media" / "files"
        self.bare_dir = tmp / "bare"

    def copy(self, source: Path) -> float:
        target = self.tmp / "copy.stl"
        # In user space, 1 MiB at a time, as any program that reads and writes does (and as the
        # server must: it sees the bytes). shutil.copyfile would use copy_file_range, a
        # kernel-internal page-cache copy at 2-3 GB/s that no reader of the data can match.
        start = time.perf_counter()
        with open(source, "rb") as src, open(target, "wb") as dst:
            while block := src.read(1024 * 1024):
                dst.write(block)
        seconds = time.perf_counter() - start
        if target.stat().st_size != source.stat().st_size:
            raise BenchError("the copy has the wrong size")
        target.unlink()
        return seconds

    def bare_view(self, source: Path, chunk: int = CHUNK) -> float:
        seconds = tus_upload(self.bare.url + "/files/", source, chunk, {}, self.metadata)
        if tree_size(self.bare_dir) != source.stat().st_size:
            raise BenchError("the bare view wrote the wrong number of bytes")
        empty_dir(self.bare_dir)
        return seconds

    def tus(self, source: Path, chunk: int = CHUNK, server: Server | None = None) -> float:
        server = server or self.product
        seconds = tus_upload(server.url + TUS_PATH, source, chunk, self.headers, self.metadata)
        # age adds a header and 16 bytes per 64 KiB chunk: the parts must be at least the file.
        if tree_size(self.stored) < source.stat().st_size:
            raise BenchError("the server stored fewer bytes than were sent")
        empty_dir(self.stored)  # the database keeps the rows; nothing reads the parts again
        return seconds


def measure_upload(variants: Variants, source: Path, rounds: int) -> dict:
    """MB/s of copy, bare view and tus, interleaved (the order rotates every round), medians;
    the worker's RSS is sampled during every tus round too (JSON only)."""
    size = source.stat().st_size
    timed = {"copy": variants.copy, "bare": variants.bare_view, "tus": variants.tus}
    servers = {"bare": variants.bare, "tus": variants.product}
    names = ["copy", "bare", "tus"]
    seconds: dict[str, list[float]] = {name: [] for name in names}
    server_use: dict[str, list[dict]] = {"bare": [], "tus": []}
    for i in range(rounds):
        for name in names[i % 3 :] + names[: i % 3]:
            os.sync()  # no variant pays for the previous one's writeback
            if name in servers:
                with RssSampler(servers[name].worker_pids()) as sampler:
                    seconds[name].append(timed[name](source))
                server_use[name].append(sampler.as_json())
            else:
                seconds[name].append(timed[name](source))
    result = {
        name: {
            "seconds": values,
            "median_mb_per_s": statistics.median(size / MiB / s for s in values),
        }
        for name, values in seconds.items()
    }
    for name, use in server_use.items():
        result[name]["server_during_rounds"] = use
    tus = result["tus"]["median_mb_per_s"]
    result["tus_per_copy"] = tus / result["copy"]["median_mb_per_s"]
    result["tus_per_bare"] = tus / result["bare"]["median_mb_per_s"]
    return result


def measure_rss(
    variants: Variants, source: Path, chunk: int, env: dict, tmp: Path, *, fresh: bool
) -> dict:
    """One upload with the worker's RSS sampled. ``fresh``: on a newly started server (after a
    ~1 MB warm-up upload), so nothing an earlier upload left in the heap hides growth; otherwise
    (``--quick``, to stay fast) on the server the throughput rounds used."""
    server = variants.product
    if fresh:
        name = f"product-rss-{chunk // MiB}"
        server = Server(name, "config.wsgi:application", env, tmp / "rss.log")
    try:
        if fresh:
            server.wait_ready()
            variants.tus(tmp / "warmup.stl", server=server)
        os.sync()
        with RssSampler(server.worker_pids()) as sampler:
            seconds = variants.tus(source, chunk=chunk, server=server)
        return {
            "chunk_mib": chunk // MiB,
            "fresh_server": fresh,
            "mb_per_s": source.stat().st_size / MiB / seconds,
            "workers": len(sampler.pids),
            **sampler.as_json(),
        }
    finally:
        if fresh:
            server.stop()


# --- Encryption overhead (child process) ---------------------------------------------------------


def run_encrypt_child(source: Path, rounds: int, out: Path) -> None:
    """``blobs.write_part`` against a plain streaming copy through the same ``Sink`` into the same
    storage, interleaved; also a plain copy in 8 KiB reads, the size pyrage reads its input in,
    to tell the cipher's cost from the cost of reading in small pieces."""
    import django

    django.setup()
    from pyrage import x25519

    from dentalbridge.files import blobs

    storage = blobs.region_storage("eu")
    recipient = x25519.Identity.generate().to_public()

    def plain(name: str, block: int) -> None:
        path = storage.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with source.open("rb") as plaintext, open(path, "xb") as target:
            sink = blobs.Sink(plaintext)
            while data := sink.read(block):
                target.write(data)

    def encrypted(name: str) -> None:
        with source.open("rb") as plaintext:
            blobs.write_part(storage, name, blobs.Sink(plaintext), recipient)

    variants = {
        "plain": lambda name: plain(name, blobs.CHUNK),
        "encrypted": encrypted,
        "plain-8k": lambda name: plain(name, 8192),
    }
    names = list(variants)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for i in range(rounds + 1):  # round 0 warms up (imports, page cache) and is not counted
        for name in names[i % 3 :] + names[: i % 3]:
            object_name = f"bench/{name}-{i}.bin"
            os.sync()
            start = time.perf_counter()
            variants[name](object_name)
            elapsed = time.perf_counter() - start
            storage.delete(object_name)
            if i:
                seconds[name].append(elapsed)
    result = {name: {"seconds": s, "median_s": statistics.median(s)} for name, s in seconds.items()}
    result["ratio"] = result["encrypted"]["median_s"] / result["plain"]["median_s"]
    out.write_text(json.dumps(result), encoding="utf-8")


def child(args: list[str], env: dict, what: str) -> None:
    command = [sys.executable, str(Path(__file__).resolve()), *args]
    completed = subprocess.run(  # noqa: S603 — our own script, fixed arguments
        command, cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise BenchError(f"{what} failed:\n{(completed.stdout + completed.stderr)[-3000:]}")


# --- Output --------------------------------------------------------------------------------------


def report_lines(result: dict) -> list[str]:
    lines = [
        f"== upload benchmark: granian {result['granian']}, tuspy chunks of {CHUNK // MiB} MiB, "
        f"{result['rounds']} interleaved round(s), medians; MB = 2**20 bytes",
        f"   load average (1 min) {result['load_average_before']:.1f} before, "
        f"{result['load_average_after']:.1f} at the end, on {os.cpu_count()} CPUs "
        "(above ~1 something else was running)",
    ]
    for size, row in result["upload"].items():
        lines.append(
            f"upload  {size:>4} MB  copy {row['copy']['median_mb_per_s']:.0f} MB/s (baseline a)  "
            f"bare view {row['bare']['median_mb_per_s']:.0f} MB/s (baseline b)  "
            f"tus {row['tus']['median_mb_per_s']:.0f} MB/s = {row['tus_per_copy']:.2f}x copy, "
            f"{row['tus_per_bare']:.2f}x bare"
        )
    for size, row in result["upload"].items():
        bare, tus = (row[name]["server_during_rounds"] for name in ("bare", "tus"))
        lines.append(
            f"cpu     {size:>4} MB  server CPU seconds per second of upload (1.0 = one core "
            f"busy): bare view {statistics.median(u['server_cpu_per_wall_s'] for u in bare):.2f}"
            f"  tus {statistics.median(u['server_cpu_per_wall_s'] for u in tus):.2f}"
        )
    for size, runs in result["rss"].items():
        for run in runs:
            lines.append(
                f"rss     {size:>4} MB  before {run['before_mb']:.0f} MB  peak "
                f"{run['peak_mb']:.0f} MB  growth {run['growth_mb']:.0f} MB "
                f"(chunk {run['chunk_mib']} MiB"
                + ("" if run["fresh_server"] else ", same server as the rounds")
                + ")"
            )
    encrypt = result["encrypt"]
    lines.append(
        f"encrypt {encrypt['size_mb']:>4} MB  plain {encrypt['plain']['median_s']:.2f} s "
        f"(baseline)  encrypted {encrypt['encrypted']['median_s']:.2f} s = "
        f"{encrypt['ratio']:.2f}x"
    )
    lines.append(
        f"        {encrypt['size_mb']:>4} MB  plain in 8 KiB reads (pyrage's read size) "
        f"{encrypt['plain-8k']['median_s']:.2f} s = "
        f"{encrypt['plain-8k']['median_s'] / encrypt['plain']['median_s']:.2f}x"
    )
    for goal in result["goals"]:
        lines.append(f"goal    {goal['what']}: {'met' if goal['met'] else 'MISSED'}")
    return lines


def goals(result: dict) -> list[dict]:
    found = []
    for size, row in result["upload"].items():
        for key, label in (("tus_per_copy", "copy"), ("tus_per_bare", "bare view")):
            found.append(
                {
                    "what": f"{size} MB tus {row[key]:.2f}x {label} >= {GOALS[key]}x",
                    "met": row[key] >= GOALS[key],
                }
            )
    for size, runs in result["rss"].items():
        for run in runs:
            found.append(
                {
                    "what": f"{size} MB rss growth {run['growth_mb']:.0f} MB < "
                    f"{GOALS['rss_growth_mb']} MB (chunk {run['chunk_mib']} MiB)",
                    "met": run["growth_mb"] < GOALS["rss_growth_mb"],
                }
            )
    ratio = result["encrypt"]["ratio"]
    found.append(
        {
            "what": f"encrypted {ratio:.2f}x plain <= {GOALS['encrypt_ratio']}x",
            "met": ratio <= GOALS["encrypt_ratio"],
        }
    )
    return found


# --- Main ----------------------------------------------------------------------------------------


def main(quick: bool, sizes_mb: list[int]) -> dict:
    """Set up the instance, measure, tear everything down; returns the results (and prints them)."""
    plan = QUICK if quick else FULL
    sizes_mb = sorted(sizes_mb or plan["sizes_mb"])
    started = time.perf_counter()
    from importlib.metadata import version

    result: dict = {
        "python": platform.python_version(),
        "granian": version("granian"),
        "tuspy": version("tuspy"),
        "pyrage": version("pyrage"),
        "chunk_mib": CHUNK // MiB,
        "rounds": plan["rounds"],
        "load_average_before": os.getloadavg()[0],
        "upload": {},
        "rss": {},
    }
    tmp = Path(tempfile.mkdtemp(prefix="dentalbridge-upload-bench-"))
    servers: list[Server] = []
    try:
        env = instance_environment(tmp)
        for folder in ("data", "media/files", "static", "bare"):
            (tmp / folder).mkdir(parents=True)
        secrets_path = tmp / "world.json"
        child(["--setup-child", str(secrets_path)], env, "set-up (migrate, practice, token)")
        world = json.loads(secrets_path.read_text(encoding="utf-8"))
        product = Server("product", "config.wsgi:application", env, tmp / "product.log")
        servers.append(product)
        (tmp / "bare_tus.py").write_text(BARE_APP, encoding="utf-8")
        bare = Server("bare", "bare_tus:app", {**env, "BARE_TUS_DIR": str(tmp / "bare")},
                      tmp / "bare.log", working_dir=tmp)  # fmt: skip
        servers.append(bare)
        product.wait_ready()
        bare.wait_ready()
        variants = Variants(tmp, product, bare, world["token"], world["patient"])
        make_stl(tmp / "warmup.stl", 1)
        variants.tus(tmp / "warmup.stl")
        variants.bare_view(tmp / "warmup.stl")
        result["setup_seconds"] = time.perf_counter() - started

        for size_mb in sizes_mb:
            source = tmp / f"scan-{size_mb}.stl"
            make_stl(source, size_mb)
            result["upload"][size_mb] = measure_upload(variants, source, plan["rounds"])
            result["rss"][size_mb] = [
                measure_rss(variants, source, chunk, env, tmp, fresh=not quick)
                for chunk in RSS_CHUNKS
            ]
            if size_mb == sizes_mb[0]:
                encrypt_json = tmp / "encrypt.json"
                child(
                    [
                        "--encrypt-child",
                        str(source),
                        str(plan["encrypt_rounds"]),
                        str(encrypt_json),
                    ],
                    env,
                    "encryption overhead",
                )
                result["encrypt"] = {
                    "size_mb": size_mb,
                    **json.loads(encrypt_json.read_text(encoding="utf-8")),
                }
            source.unlink()
    except BaseException:
        for server in servers:  # what the servers said is usually the explanation
            print(f"--- {server.name} server log (tail):\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    result["load_average_after"] = os.getloadavg()[0]
    result["goals"] = goals(result)
    result["seconds"] = time.perf_counter() - started
    print("\n".join(report_lines(result)), flush=True)
    return result


def _terminate(signum, frame):
    raise SystemExit(128 + signum)  # so the ``finally`` blocks stop the servers and clean up


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one round, 50 MB")
    parser.add_argument("--sizes", help="file sizes in MB, comma-separated (default 300,2000)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--setup-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--encrypt-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup_child:
        run_setup_child(args.setup_child)
    elif args.encrypt_child:
        path, rounds, out = args.encrypt_child
        run_encrypt_child(Path(path), int(rounds), Path(out))
    else:
        signal.signal(signal.SIGTERM, _terminate)
        sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else []
        results = main(args.quick, sizes)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=2), encoding="utf-8")
