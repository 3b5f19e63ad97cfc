"""The benchmarks still run end to end: ``bench/run.py --quick`` on SQLite, in a subprocess, once
per scenario; and the mesh, DICOM, viewer, export, range and retention benchmarks, each through
``bench/run.py --quick --scenario files --files NAME`` (the upload benchmark has its own smoke
test, tests/test_upload_bench_smoke.py).

This checks that the scripts work and print their ratios, not how fast anything is: the data is
small, and each run's timeout is a ceiling for a hung run on a busy machine, not a speed
requirement. A run that times out or fails is stopped with everything it started (its servers,
workers and browser; ``bench.measure.run_bounded``). These tests bring their own processes and
databases, whatever the suite's database: they are ``standalone`` (``make test`` runs them once,
in the SQLite run).
"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.measure import run_bounded

REPO = Path(__file__).resolve().parent.parent
# A ceiling for a run that hangs, far above what any of these takes on a busy 2-core machine.
CEILING = 900

pytestmark = pytest.mark.standalone

HEADLINES = (
    r"^request\s+dashboard\s+median .+ = [\d.]+x bare \(median\), [\d.]+x bare \(p99\)$",
    r"^request\s+api-members\s+median .+ = [\d.]+x bare \(median\), [\d.]+x bare \(p99\)$",
    r"^write\s+audited\s+\d+ writes/s .+ = [\d.]+x plain throughput, [\d.]+x time per write$",
    r"^write\s+service\s+\d+ writes/s .+ = [\d.]+x plain throughput, [\d.]+x time per write$",
    r"^audit\s+chain verified: \d+ events, ok",
)
RATIO = (
    r"p50 +[\d.]+ ms +p99 +[\d.]+ ms +queries +\d+ += [\d.]+x bare \(p50\), [\d.]+x bare \(p99\)$"
)
PATIENT_ENDPOINTS = (
    "list",
    "list-page200",
    "list-search",
    "timeline",
    "timeline-max",
    "api-50",
    "api-200",
    "org-audit",
    "patient-audit",
)
PATIENT_HEADLINES = (
    r"^request\s+bare\s+p50 .+ \(baseline\)$",
    *(rf"^request\s+{re.escape(name)}\s+{RATIO}" for name in PATIENT_ENDPOINTS),
    r"^seed\s+audit rows\s+[\d.]+ s\s+10000 rows",
    r"^check\s+api-patients: queries (\d+) for a page of 50, \1 for a page of 100 \(constant",
    r"^audit\s+chain verified: \d+ events, ok",
)
INTAKE_FILES = (("stl", "stl-binary", 4), ("dicom", "dicom", 2), ("jpeg", "jpeg", 3))
FILE_HEADLINES = {
    "mesh": (
        r"^mesh\s+50k faces\s+load [\d.]+ s \(baseline\)\s+inspect [\d.]+ s = [\d.]+x load\s+"
        r"repair [\d.]+ s = [\d.]+x load\s+preview [\d.]+ s = [\d.]+x load$",
        r"^\s+\d+ faces, [\d.]+ MB STL, status \w+ -> \w+ after repair; preview \d+ faces",
        r"^sandbox start-up per call \(20-face mesh\)\s+inspect [\d.]+ s\s+repair [\d.]+ s\s+"
        r"preview [\d.]+ s$",
    ),
    "intake": (
        *(
            rf"^intake\s+{kind}\s+{fmt}\s+\d+ KB\s+{calls} sandbox calls\s+spawn [\d.]+ s "
            r"\(baseline\)\s+forkserver [\d.]+ s = [\d.]+x$"
            for kind, fmt, calls in INTAKE_FILES
        ),
        r"^sandbox per call \(median over the files\)\s+spawn [\d.]+ s\s+forkserver [\d.]+ s; "
        r"fork server start \(once per process\) [\d.]+ s",
    ),
    "dicom": (
        r"^dicom\s+30 slices \([\d.]+ MB zip, median of \d+\)\s+plain read\+write [\d.]+ s "
        r"\(baseline\)\s+anonymize [\d.]+ s = [\d.]+x$",
    ),
    "viewer": (
        r"^viewer\s+\d+k faces\s+fetch only glb \d+ ms, stl \d+ ms \(baseline\)\s+"
        r"first frame glb \d+ ms = [\d.]+x\s+stl \d+ ms = [\d.]+x$",
    ),
    "retention": (
        r"^delete\s+baseline\s+[\d.]+ s\s+[\d,]+ rows/s",
        r"^delete\s+engine\s+[\d.]+ s\s+[\d,]+ rows/s\s+= [\d.]+x baseline time",
        r"^check\s+after every deletion: 0 expired rows left",
    ),
    "export": (
        r"^export\s+16 MB\s+20 items\s+zip(file stored| -0) [\d.]+ s \d+ MB/s \(baseline\)\s+"
        r"export [\d.]+ s \d+ MB/s = [\d.]+x\s+\(to a null sink [\d.]+ s \d+ MB/s\)$",
        r"^export\s+4 MB\s+5 items\s+zip(file stored| -0) [\d.]+ s \d+ MB/s \(baseline\)\s+"
        r"export [\d.]+ s \d+ MB/s = [\d.]+x$",
        r"^rss\s+16 MB\s+before \d+ MB\s+peak \d+ MB\s+growth -?\d+ MB",
        r"^rss\s+peak at 16 MB / peak at 4 MB = [\d.]+x",
    ),
    "range": (
        r"^range\s+16 MB\s+full read \(read_blob\) [\d.]+ s \d+ MB/s = [\d.]+x plain file "
        r"[\d.]+ s \(baseline\)",
        r"^range\s+16 MB\s+resume at 90%: [\d.]+ s vs full read [\d.]+ s = [\d.]+x\s+"
        r"\(plain file tail [\d.]+ s\)$",
        r"^seek\s+1 MB at 50%: [\d.]+ s\s+\(a part boundary: 1 MB decrypted; plain file "
        r"[\d.]+ s\)$",
        r"^seek\s+1 MB at \d+%: [\d.]+ s = [\d.]+x full read\s+\(the last MB of a part: 4 MB "
        r"decrypted, the worst case",
        r"^check\s+every read's byte count; once each: read_blob = the file's SHA-256, 3 ranges",
    ),
}
NEEDS_FRONTEND = pytest.mark.skipif(
    not (REPO / "frontend" / "dist" / "app.css").exists(),
    reason="the benchmark renders pages with the built front-end: run `make frontend`",
)


def run_quick(scenario: str, results: Path, *options: str) -> subprocess.CompletedProcess:
    """``bench/run.py --quick``, stopped with all it started if it runs past ``CEILING``."""
    # Without PYTEST_VERSION and DATABASE_URL the child sets up its own embedded profile and
    # database instead of inheriting the test suite's.
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DATABASE_URL"}}
    command = [sys.executable, "bench/run.py", "--quick", "--scenario", scenario, *options]
    try:
        return run_bounded([*command, "--output", str(results)], cwd=REPO, env=env, timeout=CEILING)
    except subprocess.TimeoutExpired as hung:
        output = str(hung.stdout) + str(hung.stderr)
        pytest.fail(f"bench/run.py did not finish in {hung.timeout} s:\n{output}")


@NEEDS_FRONTEND
def test_quick_benchmark_runs_and_prints_ratios(tmp_path):
    results = tmp_path / "bench.json"
    completed = run_quick("core", results, "--database", "sqlite")

    assert completed.returncode == 0, completed.stdout + completed.stderr
    for headline in HEADLINES:
        assert re.search(headline, completed.stdout, re.MULTILINE), completed.stdout
    sqlite = json.loads(results.read_text(encoding="utf-8"))["databases"]["sqlite"]
    assert sqlite["audit_chain"]["ok"]
    assert sqlite["requests"]["dashboard"]["ratio_median"] > 0


@NEEDS_FRONTEND
def test_quick_patients_benchmark_runs_and_prints_ratios(tmp_path):
    """The patients scenario at 1/100 scale (100 patients, 2,000 record items, 10,000 audit
    rows) on SQLite: about 15 s on an idle 2-core machine (the timeout allows for a busy one)."""
    results = tmp_path / "bench.json"
    completed = run_quick("patients", results, "--database", "sqlite")

    assert completed.returncode == 0, completed.stdout + completed.stderr
    for headline in PATIENT_HEADLINES:
        assert re.search(headline, completed.stdout, re.MULTILINE), completed.stdout
    sqlite = json.loads(results.read_text(encoding="utf-8"))["patients"]["sqlite"]
    assert sqlite["audit_chain"]["ok"]
    assert sqlite["audit_chain"]["checked"] > 10_000
    queries = sqlite["checks"]["api_queries"]
    assert len(set(queries.values())) == 1, queries
    assert sqlite["requests"]["timeline"]["ratio_median"] > 0


def run_file_benchmark(name: str, results: Path) -> dict:
    """``bench/<name>_bench.py --quick`` through the files scenario: its lines, the scenario's
    load-average line, and what its ``main`` returned in the JSON."""
    completed = run_quick("files", results, "--files", name)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    for headline in FILE_HEADLINES[name]:
        assert re.search(headline, completed.stdout, re.MULTILINE), completed.stdout
    load = rf"^files\s+{name}: \d+ s, load average \(1 min\) [\d.]+ before, [\d.]+ at the end"
    assert re.search(load, completed.stdout, re.MULTILINE), completed.stdout
    output = json.loads(results.read_text(encoding="utf-8"))
    assert output["scenarios"] == ["files"]
    assert list(output["files"]) == [name]
    return output["files"][name]


def test_quick_mesh_benchmark_runs_and_prints_ratios(tmp_path):
    """One ~50k-face scan, three rounds, plus the sandbox's start-up on a 20-face mesh: about
    30 s on a busy 2-core machine, most of it the sandbox's nine start-ups."""
    mesh = run_file_benchmark("mesh", tmp_path / "bench.json")

    row = mesh["meshes"]["50k"]
    assert row["faces"] > 40_000
    assert row["seconds"]["load"] > 0
    assert all(ratio > 0 for ratio in row["ratio"].values()), row["ratio"]
    assert set(mesh["sandbox_startup_seconds"]) == {"inspect", "repair", "preview"}


def test_quick_intake_benchmark_runs_and_prints_ratios(tmp_path):
    """A small STL, DICOM and JPEG through the intake pipeline's sandboxed steps, with children
    from the fork server and, as the baseline, spawned per call: about 20 s on a busy 2-core
    machine, most of it the spawned interpreters."""
    intake = run_file_benchmark("intake", tmp_path / "bench.json")

    assert set(intake["files"]) == {"stl", "dicom", "jpeg"}
    for row in intake["files"].values():
        assert row["seconds"]["spawn"] > 0 and row["seconds"]["forkserver"] > 0
        assert row["ratio"] > 0
    assert (intake["files"]["stl"]["format"], intake["files"]["stl"]["calls"]) == ("stl-binary", 4)
    assert intake["forkserver_start_seconds"] > 0


def test_quick_dicom_benchmark_runs_and_prints_ratios(tmp_path):
    """A 30-slice series, three rounds of plain read+write against the sandboxed anonymizer:
    about 15 s on a busy 2-core machine."""
    dicom = run_file_benchmark("dicom", tmp_path / "bench.json")

    assert dicom["slices"] == 30
    assert dicom["ratio"] > 0
    assert dicom["removed"], "the anonymizer reported nothing removed"


def test_quick_export_benchmark_runs_and_prints_ratios(tmp_path):
    """A record of 20 items and 4 files of 4 MB asks for its copy: the streamed export against
    ``zip -0`` of the same files, and the export process's peak RSS at 4 and 16 MB: about 10 s
    on a 2-core machine (most of it the set-up's migrations and five child processes)."""
    export = run_file_benchmark("export", tmp_path / "bench.json")

    full, quarter = export["sizes"]["full"], export["sizes"]["quarter"]
    assert (full["items"], quarter["items"]) == (20, 5)
    assert full["export"]["zip_bytes"] > full["files_mb"] * 2**20
    assert full["ratio"] > 0 and quarter["ratio"] > 0
    assert export["peak_ratio"] > 0


def test_quick_range_benchmark_runs_and_prints_ratios(tmp_path):
    """A 16 MB file stored as 4 encrypted parts of 4 MB: ``read_range`` of the last 10 % and of
    1 MB against ``read_blob`` of the whole file and against a plain file: 3 to 10 s on a 2-core
    machine (most of it the two child processes' start-up)."""
    ranged = run_file_benchmark("range", tmp_path / "bench.json")

    assert (ranged["parts"], ranged["file_mb"]) == (4, 16)
    reads, checked = ranged["reads"], ranged["checked"]
    assert reads["blob full"]["bytes"] == 16 * 2**20
    assert reads["blob resume"]["bytes"] == checked["resume"]["stop"] - checked["resume"]["start"]
    assert reads["blob seek"]["bytes"] == reads["blob seek-worst"]["bytes"] == 2**20
    summary = ranged["summary"]
    assert summary["full_ratio"] > 0 and summary["resume_ratio"] > 0
    assert summary["resume_decrypted_bytes"] == 4 * 2**20  # the last part, whole


@NEEDS_FRONTEND
@pytest.mark.browser
def test_quick_viewer_benchmark_runs_and_prints_ratios(tmp_path):
    """Chromium, a 300k-face scan as GLB and STL, five runs of fetch-only against the viewer: about
    75 s on a busy 2-core machine."""
    viewer = run_file_benchmark("viewer", tmp_path / "bench.json")

    assert viewer["faces"] > 200_000
    assert viewer["runs"] == 5
    assert set(viewer["ratio"]) == {"glb", "stl"}
    assert all(ratio > 0 for ratio in viewer["ratio"].values()), viewer["ratio"]


@NEEDS_FRONTEND
@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the benchmark runs its own SQLite database: once per suite is enough",
)
def test_quick_orders_benchmark_runs_and_prints_ratios(tmp_path):
    """The orders scenario at small scale on SQLite: the inbox pages against the bare view,
    submit-to-inbox, and notification fan-out through a real database worker against its no-op
    throughput (about 40 s on an idle 2-core machine)."""
    results = tmp_path / "bench.json"
    completed = run_quick("orders", results, "--database", "sqlite")

    assert completed.returncode == 0, completed.stdout + completed.stderr
    for page in ("new", "due_today", "overdue", "open", "done"):
        assert re.search(rf"^request\s+{page}\s+{RATIO}", completed.stdout, re.MULTILINE), (
            completed.stdout
        )
    assert re.search(r"\(no N\+1\)", completed.stdout), completed.stdout
    orders = json.loads(results.read_text(encoding="utf-8"))["orders"]["sqlite"]
    assert orders["fanout"]["noop_tasks_per_s"] > 0 and orders["fanout"]["ratio"] > 0


def test_quick_retention_benchmark_runs_and_prints_ratios(tmp_path):
    """20,000 expired e-mails and notifications among 2,000 kept rows, on PostgreSQL: the
    retention engine against two plain DELETEs; about 20 s (mostly seeding and migrations)."""
    retention = run_file_benchmark("retention", tmp_path / "bench.json")

    assert retention["summary"]["ratio"] > 0
    assert retention["summary"]["engine"]["median_s"] > 0


# --- no orphans ---------------------------------------------------------------------------------

SPAWNER = """
import subprocess, sys, time
# A "server" in a session of its own, as the upload benchmark starts granian.
server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"],
                          start_new_session=True)
open(sys.argv[1], "w").write(str(server.pid))
time.sleep(3600)
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in {"Z", "X"}
    except OSError:
        return False


def test_a_stopped_run_takes_its_servers_with_it(tmp_path):
    """What a timed-out or failed smoke test does to its run: the run and the server it started
    in another session are both stopped."""
    from bench.measure import stop_process_tree

    marker = tmp_path / "server.pid"
    run = subprocess.Popen([sys.executable, "-c", SPAWNER, str(marker)], start_new_session=True)
    try:
        deadline = time.monotonic() + 120  # a ceiling for a busy machine to start two interpreters
        while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
            assert run.poll() is None, "the run ended before starting its server"
            time.sleep(0.1)
        server = int(marker.read_text())
        assert alive(server)
    finally:
        stop_process_tree(run, grace=10)
    assert run.returncode is not None
    assert not alive(server)


def test_a_run_past_its_ceiling_is_stopped_and_reported():
    command = [sys.executable, "-c", "import time; print('started', flush=True); time.sleep(3600)"]
    with pytest.raises(subprocess.TimeoutExpired) as hung:
        run_bounded(command, cwd=REPO, env=dict(os.environ), timeout=1)
    assert hung.value.timeout == 1
