"""Run a parser of untrusted bytes in a child process with a time and memory limit (ASVS V5).

A malformed STL, DICOM or image can make a parser loop or allocate without bound. Every parser of
uploaded content therefore runs through :func:`run_limited`: a fresh child process per call, with
``RLIMIT_AS`` for memory, ``RLIMIT_CPU`` and a wall-clock timeout for time. The function must be
importable at module level and its arguments and result picklable (paths and plain data, never
open files).

The children come from a multiprocessing *fork server*: one clean interpreter per process that
calls us (a web or task worker), started on the first call, which imports the parsers
(:data:`PRELOAD`: numpy, scipy, trimesh, pymeshlab, pydicom, Pillow and our parser modules) once
and then forks a child per call. A spawned interpreter per call paid ~1.5 s of start-up and
imports each time; a fork of the ready server costs milliseconds. What did not change:

* every call gets its own child, limits and timeout; a crash, memory blow-up or hang in one call
  cannot reach the next (the server only forks, it never runs a parser);
* the child inherits nothing of the caller: the server was started as a fresh interpreter
  (``fork`` + ``exec``), so the caller's threads, locks and database connections never reach it;
* the child is killed on timeout.

Neither the server nor a child outlives the caller: the server exits when the caller's end of its
"alive" pipe closes (also when the caller is killed), and each child drops its copy of that pipe
(which would keep the server alive) and asks the kernel for ``SIGKILL`` when the server goes
(``PR_SET_PDEATHSIG``). ``memory_mb`` is what the parser may map beyond what the child starts
with: the preloaded libraries' mappings are added to its ``RLIMIT_AS``, so preloading more parsers
does not shrink the budget of any one of them.
"""

from __future__ import annotations

import contextlib
import contextvars
import multiprocessing
import os
import resource
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

DEFAULT_TIMEOUT = 120  # seconds of wall-clock time
DEFAULT_MEMORY_MB = 3072

# Imported once by the fork server, so no call pays for them. The server imports them through
# this module (the one name multiprocessing preloads, see the end of the module) so that a parser
# that fails to import (a missing library, Django settings not configured) is only skipped, and
# the call imports it again and reports the error, as before: multiprocessing's own preload lets
# any error but ImportError stop the server.
PRELOAD = [
    "numpy",
    "scipy.sparse",
    "scipy.sparse.csgraph",
    "trimesh",
    "pymeshlab",
    "pydicom",
    "dicomanonymizer",
    "PIL.Image",
    "PIL.ImageOps",
    "PIL.ImageSequence",
    "dentalbridge.files.intake",
    "dentalbridge.files.mesh",
    "dentalbridge.files.anonymize",
    "dentalbridge.files.previews",
]

# How children start. "spawn" (a fresh interpreter per call, which imports the parsers itself) was
# the way before the fork server; bench/intake_bench.py sets it to measure against it.
START_METHOD = "forkserver"

# Where this module was imported: in a child of the fork server, the server's pid (its parent).
_IMPORTED_BY = os.getpid()
_PR_SET_PDEATHSIG = 1


# While a call waits for its child, the caller may have to show it is alive (the intake renews
# its lease on the file, so no other worker takes it over): ``while_waiting`` sets a callable
# that :func:`run_limited` calls every ``every`` seconds of waiting.
_waiting: contextvars.ContextVar[tuple[Callable[[], None], float] | None] = contextvars.ContextVar(
    "sandbox_waiting", default=None
)


@contextlib.contextmanager
def while_waiting(callback: Callable[[], None], *, every: float) -> Iterator[None]:
    """Call ``callback()`` every ``every`` seconds while a sandboxed call runs in this block."""
    token = _waiting.set((callback, every))
    try:
        yield
    finally:
        _waiting.reset(token)


def _wait(conn, timeout: float) -> bool:
    """``conn.poll(timeout)``, calling the block's ``while_waiting`` callback on the way."""
    waiting = _waiting.get()
    if waiting is None:
        return bool(conn.poll(timeout))
    callback, every = waiting
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return bool(conn.poll(0))
        if conn.poll(min(every, left)):
            return True
        callback()


class SandboxError(Exception):
    """The parser did not finish: it failed, ran out of time or hit the memory limit."""

    def __init__(self, message: str, *, reason: str, detail: str = ""):
        super().__init__(message)
        self.reason = reason  # "timeout" | "memory" | "crashed" | "failed"
        self.detail = detail


def _context():
    """The fork server's context, its preload set before it first starts (once per process)."""
    ctx = multiprocessing.get_context(START_METHOD)
    if START_METHOD == "forkserver":
        ctx.set_forkserver_preload([__name__])
    return ctx


def _die_with_parent() -> None:
    """Let the fork server go when the caller does, and have the kernel kill this child when the
    fork server goes."""
    from multiprocessing import forkserver

    server = forkserver._forkserver  # private: the fork server's state, in this child
    if server._forkserver_alive_fd is not None:
        # The write end of the caller's "alive" pipe, which multiprocessing passes to every child
        # (for children of their own): held here, it would keep the server, and so this child,
        # running after the caller died.
        os.close(server._forkserver_alive_fd)
        server._forkserver_alive_fd = None
    if sys.platform != "linux":
        return
    import ctypes

    # Preloaded, this module was imported by the fork server: the parent to watch. Otherwise (a
    # spawned child) it was imported here, and the parent is the process that started us.
    parent = os.getppid() if os.getpid() == _IMPORTED_BY else _IMPORTED_BY
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent went before the request took effect
        os._exit(1)


def _mapped_bytes() -> int:
    """The address space this process already maps (Linux: VmSize), 0 where it cannot be read."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _child(conn, func, args, kwargs, memory_mb, cpu_seconds):
    _die_with_parent()
    # The limit is what the parser may map on top of the preloaded libraries: a fork server's
    # child starts with every parser's libraries mapped (hundreds of MB of address space that a
    # spawned child importing one parser did not have), which must not eat a big scan's budget.
    limit = _mapped_bytes() + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    try:
        result = func(*args, **kwargs)
    except MemoryError:
        conn.send(("memory", "MemoryError", ""))
    except BaseException as exc:  # reported to the parent, which decides
        conn.send(("failed", f"{type(exc).__name__}: {exc}", traceback.format_exc(limit=5)))
    else:
        conn.send(("ok", result, ""))
    finally:
        conn.close()


def run_limited(
    func: Callable[..., Any],
    *args: Any,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: int = DEFAULT_MEMORY_MB,
    **kwargs: Any,
) -> Any:
    """Call ``func(*args, **kwargs)`` in a limited child process and return its result."""
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(
        target=_child,
        args=(child, func, args, kwargs, memory_mb, max(1, int(timeout))),
        daemon=True,
    )
    process.start()
    child.close()
    try:
        if not _wait(parent, timeout):
            raise SandboxError("The file took too long to read.", reason="timeout")
        try:
            status, payload, detail = parent.recv()
        except EOFError:
            process.join(5)
            # SIGXCPU: the CPU-time limit (the wall-clock one's twin) stopped it first.
            reason = {-signal.SIGXCPU: "timeout", -9: "memory", -6: "memory"}.get(
                process.exitcode, "crashed"
            )
            raise SandboxError(
                "The file could not be read.", reason=reason, detail=f"exit {process.exitcode}"
            ) from None
    finally:
        parent.close()
        if process.is_alive():
            process.kill()
        process.join(5)
        if process.exitcode is not None:
            process.close()  # its pipes now, not when the object is collected
    if status == "ok":
        return payload
    if status == "memory":
        raise SandboxError("The file needs too much memory to read.", reason="memory")
    raise SandboxError(
        "The file could not be read.", reason="failed", detail=f"{payload}\n{detail}"
    )


def _preloading_in_fork_server() -> bool:
    """Is this module being imported by the fork server's preload (``forkserver.main``)?"""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if (
            frame.f_code.co_name == "main"
            and frame.f_globals.get("__name__") == "multiprocessing.forkserver"
        ):
            return True
        frame = frame.f_back
    return False


if _preloading_in_fork_server():
    import importlib

    for _name in PRELOAD:
        with contextlib.suppress(Exception):  # the call imports it again and reports the error
            importlib.import_module(_name)
