"""The upload benchmark still runs end to end: ``bench/upload_bench.py --quick`` in a subprocess
(its own data dir, SQLite file and granian servers; one round with a 50 MB file).

This checks that the script works and prints its headline lines, not how fast anything is.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

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
    completed = subprocess.run(
        [sys.executable, "bench/upload_bench.py", "--quick", "--output", results],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )

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
