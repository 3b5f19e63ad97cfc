"""`make run` (the README's first command) serves the platform with its worker: the sign-in page
answers and /healthz is ok. Run in the background against a temporary data directory, and
stopped with all it started (granian, the worker) whatever happens. ``standalone``: it brings its
own database, so ``make test`` runs it once, in the SQLite run."""

import json
import os
import socket
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from bench.measure import stop_process_tree

ROOT = Path(__file__).resolve().parent.parent
# A ceiling for a server that never answers, far above the time it takes on a busy machine.
CEILING = 600

pytestmark = pytest.mark.standalone


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 — our own server
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_make_run_serves_sign_in_and_healthz(tmp_path):
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "DATABASE_URL", "DENTALBRIDGE_", "DJANGO_", "MAKE"))
    }
    env.update({"DENTALBRIDGE_DATA_DIR": str(tmp_path), "PORT": str(port)})
    log = (tmp_path / "make-run.log").open("w")
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + CEILING
        health = None
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "make-run.log").read_text()[-3000:]
            try:
                status, body = _get(base + "/healthz")
            except OSError:
                time.sleep(1)
                continue
            health = (status, json.loads(body))
            break
        assert health is not None, f"make run did not serve within {CEILING} s"
        assert health[0] == 200, health
        assert health[1]["checks"]["tasks"]["backend"] == "database"
        status, page = _get(base + "/accounts/login/")
        assert status == 200
        assert b"Sign In" in page
        # The demo data is loaded (idempotently) and printed for the visitor.
        output = (tmp_path / "make-run.log").read_text()
        assert "owner@studio.demo.example" in output
        # The embedded database is in WAL mode (a property stored in the database file).
        with sqlite3.connect(tmp_path / "dentalbridge.sqlite3") as database:
            assert database.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        stop_process_tree(process, grace=20)
