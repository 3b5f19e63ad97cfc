"""Run a parser of untrusted bytes in a child process with a time and memory limit (ASVS V5).

A malformed STL, DICOM or image can make a parser loop or allocate without bound. Every parser of
uploaded content therefore runs through :func:`run_limited`: a fresh interpreter (``spawn``, so no
threads, locks or database connections are inherited), ``RLIMIT_AS`` for memory, ``RLIMIT_CPU`` and
a wall-clock timeout for time. The function must be importable at module level and its arguments
and result picklable (paths and plain data, never open files).
"""

from __future__ import annotations

import multiprocessing
import resource
import signal
import traceback
from collections.abc import Callable
from typing import Any

DEFAULT_TIMEOUT = 120  # seconds of wall-clock time
DEFAULT_MEMORY_MB = 3072


class SandboxError(Exception):
    """The parser did not finish: it failed, ran out of time or hit the memory limit."""

    def __init__(self, message: str, *, reason: str, detail: str = ""):
        super().__init__(message)
        self.reason = reason  # "timeout" | "memory" | "crashed" | "failed"
        self.detail = detail


def _child(conn, func, args, kwargs, memory_mb, cpu_seconds):
    limit = memory_mb * 1024 * 1024
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
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(
        target=_child,
        args=(child, func, args, kwargs, memory_mb, max(1, int(timeout))),
        daemon=True,
    )
    process.start()
    child.close()
    try:
        if not parent.poll(timeout):
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
    if status == "ok":
        return payload
    if status == "memory":
        raise SandboxError("The file needs too much memory to read.", reason="memory")
    raise SandboxError(
        "The file could not be read.", reason="failed", detail=f"{payload}\n{detail}"
    )
