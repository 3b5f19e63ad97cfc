"""The benchmarks still run end to end: ``bench/run.py --quick`` on SQLite, in a subprocess, once
per scenario.

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
NEEDS_FRONTEND = pytest.mark.skipif(
    not (REPO / "frontend" / "dist" / "app.css").exists(),
    reason="the benchmark renders pages with the built front-end: run `make frontend`",
)


def run_quick(scenario: str, results: Path, timeout: int) -> subprocess.CompletedProcess:
    # Without PYTEST_VERSION and DATABASE_URL the child sets up its own embedded profile and
    # database instead of inheriting the test suite's.
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DATABASE_URL"}}
    command = [sys.executable, "bench/run.py", "--quick", "--scenario", scenario]
    return subprocess.run(
        [*command, "--database", "sqlite", "--output", results],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@NEEDS_FRONTEND
def test_quick_benchmark_runs_and_prints_ratios(tmp_path):
    results = tmp_path / "bench.json"
    completed = run_quick("core", results, timeout=120)

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
    completed = run_quick("patients", results, timeout=90)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    for headline in PATIENT_HEADLINES:
        assert re.search(headline, completed.stdout, re.MULTILINE), completed.stdout
    sqlite = json.loads(results.read_text(encoding="utf-8"))["patients"]["sqlite"]
    assert sqlite["audit_chain"]["ok"]
    assert sqlite["audit_chain"]["checked"] > 10_000
    queries = sqlite["checks"]["api_queries"]
    assert len(set(queries.values())) == 1, queries
    assert sqlite["requests"]["timeline"]["ratio_median"] > 0
