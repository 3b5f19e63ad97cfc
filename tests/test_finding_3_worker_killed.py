"""Issue 13, finding 3, end to end: a real worker killed with SIGKILL in the middle of a scan
check, on the database of the run (a fresh SQLite file in the SQLite run, a fresh database on
the PostgreSQL server in the PostgreSQL run).

What the review saw: the sandboxed checker ran on, orphaned; the file stayed "processing" for 29
minutes; the decrypted plaintext stayed in ``work/`` for up to two hours; the task rows stayed
RUNNING forever. What must hold now:

* no process the killed worker started is left a few seconds later (the checker dies with it);
* a new worker, starting once the dead run's lease ran out (seconds here, two minutes by
  default), removes the plaintext, fails the dead task (``WorkerLost``) and finishes the file;
* the file finishes exactly once: one successful run, one copy of each derivative, no task left
  RUNNING, nothing in ``work/``.

The clock only bounds waiting (generous ceilings); the test never depends on how fast the
machine is: the kill waits for the check to be running, and the wait after it is longer than the
lease and the silence that mark the dead run, which cannot renew them.
"""

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from bench.measure import instance_environment, process_tree, stop_process_tree

ROOT = Path(__file__).resolve().parent.parent
CEILING = 600  # seconds: far above what any step takes on a busy machine
LEASE, BEAT, SILENT = 4, 1, 3  # seconds, for this test's workers

SETUP = """
import io, sys
import django
django.setup()
import numpy as np
from django.core.management import call_command

call_command("migrate", interactive=False, verbosity=0)
call_command("createcachetable", verbosity=0)
call_command("seed_demo", verbosity=0)

from dentalbridge.accounts.models import User
from dentalbridge.files import uploads
from dentalbridge.organizations.models import Membership
from dentalbridge.patients.access import patients_query
from dentalbridge.privacy.principal import Principal

# A closed torus of about 1 M triangles (50 MB of binary STL): its check runs for seconds.
nu, nv = 700, 700
u = np.linspace(0, 2 * np.pi, nu, endpoint=False)[:, None]
v = np.linspace(0, 2 * np.pi, nv, endpoint=False)[None, :]
def point(uu, vv):
    ring = 20 + 6 * np.cos(vv)
    return np.stack(np.broadcast_arrays(ring * np.cos(uu), ring * np.sin(uu), 6 * np.sin(vv)), -1)
a, b = point(u, v), point(np.roll(u, -1, 0), v)
c, d = point(np.roll(u, -1, 0), np.roll(v, -1, 1)), point(u, np.roll(v, -1, 1))
record = np.dtype([("normal", "<f4", 3), ("vertices", "<f4", (3, 3)), ("attr", "<u2")])
triangles = np.zeros(2 * nu * nv, dtype=record)
triangles["vertices"][0::2] = np.stack([a, b, c], -2).reshape(-1, 3, 3)
triangles["vertices"][1::2] = np.stack([a, c, d], -2).reshape(-1, 3, 3)
data = b"synthetic torus".ljust(80) + np.uint32(len(triangles)).tobytes() + triangles.tobytes()

membership = Membership.objects.get(user__email="owner@studio.demo.example")
dentist = Principal(user=membership.user, membership=membership)
patient = patients_query(dentist).first()
upload = uploads.upload_create(
    actor=dentist,
    length=len(data),
    metadata={"filename": "upper.stl", "patient": str(patient.public_id), "kind": "scan"},
)
done = uploads.upload_receive(
    actor=dentist, upload_id=upload.public_id, offset=0, content_length=len(data),
    body=io.BytesIO(data),
)
print(done.asset_id)
"""


class Database:
    """The run's kind of database, made fresh for this test, read with plain SQL."""

    def __init__(self, tmp_path: Path):
        suite = os.environ.get("DATABASE_URL", "")
        self.postgres = suite.startswith(("postgres://", "postgresql://"))
        if self.postgres:
            parts = urlsplit(suite)
            self.name = f"finding3_{uuid.uuid4().hex[:12]}"
            self.server = urlunsplit(parts._replace(path="/postgres"))
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
            self._admin(f'CREATE DATABASE "{self.name}"')
        else:
            self.path = tmp_path / "db.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.server, autocommit=True, connect_timeout=10) as db:
            db.execute(statement)

    def rows(self, sql: str, *params: object) -> list[tuple]:
        """The rows of ``sql`` with ``%s`` placeholders."""
        if self.postgres:
            import psycopg

            with psycopg.connect(self.url, connect_timeout=10) as db:
                return db.execute(sql, params).fetchall()
        with contextlib.closing(sqlite3.connect(self.path, timeout=30)) as db:
            return db.execute(sql.replace("%s", "?"), params).fetchall()

    def drop(self) -> None:
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture
def database(tmp_path):
    db = Database(tmp_path)
    yield db
    db.drop()


def _env(tmp_path: Path, database_url: str) -> dict:
    """A throwaway instance in ``tmp_path`` (data in ``tmp_path / "data"``) on the test's
    database, its queue in the database, with short lease, beat and silence."""
    return instance_environment(
        tmp_path,
        DATABASE_URL=database_url,
        TASKS_BACKEND="database",
        FILES_INTAKE_LEASE_SECONDS=str(LEASE),
        WORKER_BEAT_SECONDS=str(BEAT),
        WORKER_SILENT_SECONDS=str(SILENT),
        PYTHONPATH=str(ROOT),
    )


def _worker(env: dict, log: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "manage.py", "db_worker", "--queue-name", "*"]
    command += ["--no-startup-delay", "--interval", "0.2", *extra]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _until(condition, what: str, ceiling: float = CEILING):
    deadline = time.monotonic() + ceiling
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {ceiling} s: {what}")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in {"Z", "X"}


def _processes_of(data: Path) -> list[int]:
    """Every live process started with this test's data folder in its environment."""
    marker = f"DENTALBRIDGE_DATA_DIR={data}\0".encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                environ = Path(f"/proc/{entry}/environ").read_bytes()
            except OSError:
                continue
            if marker in environ + b"\0" and _alive(int(entry)):
                found.append(int(entry))
    return found


def test_finding_3_a_worker_killed_mid_check_leaves_nothing_and_the_file_finishes_once(
    tmp_path, database
):
    data = tmp_path / "data"
    env = _env(tmp_path, database.url)
    log = tmp_path / "worker.log"
    setup = subprocess.run(
        [sys.executable, "-c", SETUP],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=CEILING,
    )
    assert setup.returncode == 0, setup.stderr[-3000:]
    asset = int(setup.stdout.split()[-1])

    first = _worker(env, log)
    try:
        # Mid-check: the file is at its check step and the worker's sandboxed checker runs.
        def checking():
            [(step,)] = database.rows("SELECT step FROM files_asset WHERE id = %s", asset)
            tree = process_tree(first.pid)
            return step == "check" and len(tree) >= 2 and tree

        started = _until(checking, "the worker checking the scan")
        plaintext = list((data / "work").glob("intake-*/original"))
        assert plaintext, "the run keeps its decrypted copy in work/"
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        _until(
            lambda: not any(_alive(pid) for pid in started), "the killed worker's children gone", 30
        )
    finally:
        stop_process_tree(first, grace=5)
    _until(lambda: not _processes_of(data), "no process of the killed worker left", 30)
    [(status, run_holder)] = database.rows(
        "SELECT status, leased_by FROM files_asset WHERE id = %s", asset
    )
    assert status == "processing" and run_holder  # the dead run's lease is still on it

    # Longer than the lease and the silence that mark the run and its worker dead: they cannot
    # renew them, so this holds on any machine.
    time.sleep(max(LEASE, SILENT) + 2 * BEAT)
    second = _worker(env, log, "--batch")  # starts, recovers, runs what is queued, stops
    try:
        assert second.wait(CEILING) == 0, log.read_text()[-3000:]
    finally:
        stop_process_tree(second, grace=5)

    assert not list((data / "work").glob("intake-*")), "plaintext left in work/"
    # The fork server notices its worker's exit by a closed pipe: gone within seconds.
    _until(lambda: not _processes_of(data), "no process of the workers outliving them", 30)
    [(status, step, holder)] = database.rows(
        "SELECT status, step, leased_by FROM files_asset WHERE id = %s", asset
    )
    assert (status, step, holder) == ("ready", "done", "")
    roles = database.rows(
        "SELECT role, COUNT(*) FROM files_asset WHERE source_id = %s GROUP BY role", asset
    )
    assert sorted(roles) == [("preview", 1), ("shared", 1), ("thumbnail", 1)]
    runs = [
        (status, error)
        for status, error, arguments in database.rows(
            "SELECT status, exception_class_path, args_kwargs"
            " FROM django_tasks_database_dbtaskresult WHERE task_path = %s",
            "dentalbridge.files.pipeline.process_asset",
        )
        if _first_argument(arguments) == asset
    ]
    # The killed run, failed saying why, and the one that finished the file; nothing RUNNING.
    assert sorted(runs) == [
        ("FAILED", "dentalbridge.core.workers.WorkerLost"),
        ("SUCCESSFUL", ""),
    ]


def _first_argument(arguments) -> object:
    if isinstance(arguments, str):  # SQLite hands JSON back as text
        arguments = json.loads(arguments)
    return arguments["args"][0]
