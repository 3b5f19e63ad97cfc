import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dentalbridge.files.sandbox import SandboxError, run_limited
from dentalbridge.files.tests import sandbox_targets as t

REPO = Path(__file__).resolve().parents[3]


def test_result_comes_back():
    assert run_limited(t.add, 2, 3) == 5


def test_a_parser_that_loops_is_stopped():
    with pytest.raises(SandboxError) as caught:
        run_limited(t.spin, timeout=1)
    assert caught.value.reason == "timeout"


def test_a_parser_that_allocates_without_bound_is_stopped():
    with pytest.raises(SandboxError) as caught:
        run_limited(t.allocate, 4096, memory_mb=512, timeout=30)
    assert caught.value.reason == "memory"


def test_a_parser_error_is_reported_with_its_message():
    with pytest.raises(SandboxError) as caught:
        run_limited(t.fail)
    assert caught.value.reason == "failed"
    assert "bad header" in caught.value.detail


# --- one fork server per process, a fresh child per call --------------------------------------

PARSERS = ["numpy", "scipy.sparse", "trimesh", "pymeshlab", "pydicom", "PIL.Image"]


def test_the_parsers_are_already_imported_when_a_call_starts():
    # A spawned interpreter per call imported them again each time (~1.5 s); the fork server
    # imports them once, and each call's child is a fork of it.
    for _call in range(2):
        assert run_limited(t.modules_loaded, PARSERS) == dict.fromkeys(PARSERS, True)


def test_every_call_runs_in_its_own_child_under_its_own_limits():
    first = run_limited(t.identity_and_limits, memory_mb=1024, timeout=7)
    second = run_limited(t.identity_and_limits, memory_mb=2048, timeout=30)
    assert first["pid"] != second["pid"]
    # The memory limit is the call's budget on top of what the child starts with mapped (the
    # preloaded parsers), the same base for every call.
    (soft, hard), (soft2, hard2) = first["memory"], second["memory"]
    assert soft == hard and soft2 == hard2
    base, base2 = soft - 1024 * 2**20, soft2 - 2048 * 2**20
    assert base >= 0 and abs(base - base2) < 64 * 2**20
    assert first["cpu"] == (7, 8)
    assert second["cpu"] == (30, 31)
    # Nothing a call leaves behind in its process reaches the next one.
    assert run_limited(t.remember, "first") == ["first"]
    assert run_limited(t.remember, "second") == ["second"]


def test_the_preloaded_parsers_leave_room_under_the_memory_limit():
    assert run_limited(t.allocate, 256, memory_mb=1536) == 256 * 2**20
    # Most of the budget is the parser's: the preloaded libraries do not eat it (a 200 MB scan
    # was refused for memory while the limit still counted them).
    assert run_limited(t.allocate, 768, memory_mb=1024) == 768 * 2**20


def test_a_call_that_crashed_or_blew_up_does_not_affect_the_next():
    with pytest.raises(SandboxError) as caught:
        run_limited(t.crash)
    assert caught.value.reason == "crashed"
    with pytest.raises(SandboxError) as caught:
        run_limited(t.allocate, 4096, memory_mb=1024)
    assert caught.value.reason == "memory"
    with pytest.raises(SandboxError) as caught:
        run_limited(t.spin, timeout=1)
    assert caught.value.reason == "timeout"
    assert run_limited(t.add, 2, 3) == 5


def running(pid: int) -> bool:
    """Is ``pid`` a live process (not gone, not a zombie waiting for its parent)?"""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in {"Z", "X"}


def wait_until(condition, seconds: float = 60) -> bool:
    """Poll ``condition`` for up to ``seconds`` (a ceiling for a busy machine, not a speed
    requirement: it returns as soon as the condition holds)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_the_child_is_gone_when_the_call_returns():
    pid = run_limited(t.identity_and_limits)["pid"]
    assert not running(pid)


def test_a_child_that_runs_out_of_time_is_killed(tmp_path):
    marker = tmp_path / "pid"
    with pytest.raises(SandboxError) as caught:
        run_limited(t.write_pid_and_spin, str(marker), timeout=1)
    assert caught.value.reason == "timeout"
    if marker.exists():  # on a busy machine the child may not have got that far
        pid = int(marker.read_text().split()[0])
        assert not running(pid)


def test_the_child_inherits_no_thread_and_no_socket_of_the_caller():
    # As a database connection or the S3 server's threads would be held by a worker.
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    mine, theirs = socket.socketpair()
    os.set_inheritable(mine.fileno(), True)  # even one that a fork or a spawn would pass on
    inodes = {os.fstat(mine.fileno()).st_ino, os.fstat(theirs.fileno()).st_ino}
    try:
        threads, sockets = run_limited(t.threads_and_sockets)
    finally:
        stop.set()
        thread.join()
        mine.close()
        theirs.close()
    assert threads == 1
    assert not inodes & sockets


CALLER = """
import sys
from dentalbridge.files.sandbox import run_limited
from dentalbridge.files.tests import sandbox_targets as t
run_limited(t.write_pid_and_sleep, sys.argv[1], timeout=3600)
"""


def test_neither_the_fork_server_nor_a_child_outlives_the_caller(tmp_path):
    """A worker killed mid-call (SIGKILL: no clean-up of its own) takes the fork server and the
    child with it; the child sleeps, so no CPU limit would ever end it."""
    marker = tmp_path / "pid"
    caller = subprocess.Popen(  # noqa: S603 — our own interpreter and script
        [sys.executable, "-c", CALLER, str(marker)], cwd=REPO, start_new_session=True
    )
    try:
        assert wait_until(lambda: marker.exists() and marker.read_text(), 120), "no child"
        child, server = map(int, marker.read_text().split())
        assert server != caller.pid  # the child's parent is the fork server
        assert running(child) and running(server)
        caller.kill()
        caller.wait()
        assert wait_until(lambda: not running(server)), "the fork server outlived the caller"
        assert wait_until(lambda: not running(child)), "the child outlived the caller"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(caller.pid, signal.SIGKILL)
        caller.wait()
