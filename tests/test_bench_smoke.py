"""The benchmarks still run end to end: ``bench/run.py --quick`` on SQLite, in a subprocess.

This checks that the script works and prints its ratios, not how fast anything is.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

HEADLINES = (
    r"^request\s+dashboard\s+median .+ = [\d.]+x bare \(median\), [\d.]+x bare \(p99\)$",
    r"^request\s+api-members\s+median .+ = [\d.]+x bare \(median\), [\d.]+x bare \(p99\)$",
    r"^write\s+audited\s+\d+ writes/s .+ = [\d.]+x plain throughput, [\d.]+x time per write$",
    r"^write\s+service\s+\d+ writes/s .+ = [\d.]+x plain throughput, [\d.]+x time per write$",
    r"^audit\s+chain verified: \d+ events, ok",
)


@pytest.mark.skipif(
    not (REPO / "frontend" / "dist" / "app.css").exists(),
    reason="the benchmark renders pages with the built front-end: run `make frontend`",
)
def test_quick_benchmark_runs_and_prints_ratios(tmp_path):
    # Without PYTEST_VERSION and DATABASE_URL the child sets up its own embedded profile and
    # database instead of inheriting the test suite's.
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DATABASE_URL"}}
    results = tmp_path / "bench.json"
    completed = subprocess.run(
        [sys.executable, "bench/run.py", "--quick", "--database", "sqlite", "--output", results],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    for headline in HEADLINES:
        assert re.search(headline, completed.stdout, re.MULTILINE), completed.stdout
    sqlite = json.loads(results.read_text(encoding="utf-8"))["databases"]["sqlite"]
    assert sqlite["audit_chain"]["ok"]
    assert sqlite["requests"]["dashboard"]["ratio_median"] > 0
