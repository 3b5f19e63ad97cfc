"""The upload benchmark still runs end to end: ``bench/upload_bench.py --quick`` in a subprocess
(its own data dir, SQLite file and granian servers; one round with a 50 MB file).

This checks that the script works and prints its headline lines, not how fast anything is: the
timeout is a ceiling for a hung run on a busy machine, and a run that times out or fails is
stopped with its granian servers (``bench.measure.run_bounded``). ``standalone``: it brings its own
database and servers, so ``make test`` runs it once, in the SQLite run.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.measure import run_bounded

REPO = Path(__file__).resolve().parent.parent
CEILING = 900  # seconds: a hung run, far above the ~20 s it takes on a busy 2-core machine

pytestmark = pytest.mark.standalone

HEADLINES = (
    r"^upload\s+50 MB  copy \d+ MB/s \(baseline a\)  bare view \d+ MB/s \(baseline b\)  "
    r"tus \d+ MB/s = [\d.]+x copy, [\d.]+x bare$",
    r"^rss\s+50 MB  before \d+ MB  peak \d+ MB  growth -?\d+ MB \(chunk 8 MiB",
    r"^rss\s+50 MB  before \d+ MB  peak \d+ MB  growth -?\d+ MB \(chunk 64 MiB",
    r"^encrypt\s+50 MB  plain [\d.]+ s \(baseline\)  encrypted [\d.]+ s = [\d.]+x$",
    r"load average \(1 min\) [\d.]+ before",
)


def test_quick_upload_benchmark_runs_and_prints_its_headlines(tmp_path):
    """About 20 s on a busy 2-core machine (set-up, two granian servers, 50 MB four ways)."""
    results = tmp_path / "upload.json"
    # Without PYTEST_VERSION and DATABASE_URL the benchmark's servers and children configure the
    # embedded profile on their own data instead of inheriting the test suite's.
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DATABASE_URL"}}
    command = [sys.executable, "bench/upload_bench.py", "--quick", "--output", str(results)]
    try:
        completed = run_bounded(command, cwd=REPO, env=env, timeout=CEILING)
    except subprocess.TimeoutExpired as hung:
        output = str(hung.stdout) + str(hung.stderr)
        pytest.fail(f"upload_bench.py did not finish in {CEILING} s:\n{output}")

    assert completed.returncode == 0, completed.stdout + completed.stderr
    for headline in HEADLINES:
        assert re.search(headline, completed.stdout, re.MULTILINE), completed.stdout
    result = json.loads(results.read_text(encoding="utf-8"))
    upload = result["upload"]["50"]
    assert upload["tus"]["median_mb_per_s"] > 0
    assert upload["tus_per_bare"] > 0
    assert [run["chunk_mib"] for run in result["rss"]["50"]] == [8, 64]
    assert result["encrypt"]["ratio"] > 0
    # Nothing secret reaches the output.
    assert "Bearer" not in completed.stdout + completed.stderr
