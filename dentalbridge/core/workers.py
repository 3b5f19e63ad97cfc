"""Task workers that say they are alive, and the upkeep they do for the machine they run on.

``manage.py db_worker`` (our command, wrapping django-tasks-db's) registers the worker in
:class:`~dentalbridge.core.models.WorkerBeat` when it starts, refreshes the row every
``WORKER_BEAT_SECONDS`` from a background thread, and deletes it when it stops cleanly. A worker
killed with SIGKILL, or whose machine stopped, leaves a row that goes silent: after
``WORKER_SILENT_SECONDS`` its tasks still RUNNING are marked failed (:func:`tasks_lost`).

At start-up and at every beat, each worker sends :data:`worker_upkeep` so apps can clean up after
workers that died on the same machine (the files app removes the decrypted working copies of a
killed intake and takes over files whose intake stopped).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.dispatch import Signal
from django.tasks.base import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from dentalbridge.core.models import WorkerBeat

log = logging.getLogger(__name__)

# Sent by every worker when it starts (``starting=True``) and at every beat (``False``).
# Receivers must be quick and must not raise for long: a failure is logged and the beat goes on.
worker_upkeep = Signal()

# A row of a worker that stopped cleanly is deleted; one left silent this long belongs to a
# worker that is gone. Older rows are removed entirely.
FORGET_AFTER = timedelta(days=1)

# Tasks of workers that never registered (a worker of an older version, or another command)
# cannot be told from slow ones; no task of the platform runs this long.
LOST_AFTER = timedelta(hours=2)


class WorkerLost(RuntimeError):
    """The worker running the task stopped without finishing it (SIGKILL, a crash, a reboot)."""


def silent_after() -> timedelta:
    return timedelta(seconds=settings.WORKER_SILENT_SECONDS)


def worker_started(worker_id: str) -> None:
    now = timezone.now()
    WorkerBeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": now,
            "seen_at": now,
        },
    )


def worker_beat(worker_id: str) -> None:
    if not WorkerBeat.objects.filter(worker_id=worker_id).update(seen_at=timezone.now()):
        worker_started(worker_id)  # removed while we were silent (a long pause): say it again


def worker_stopped(worker_id: str) -> None:
    WorkerBeat.objects.filter(worker_id=worker_id).delete()


def upkeep(*, starting: bool) -> None:
    """What a worker does for its machine when it starts and at every beat."""
    for receiver, outcome in worker_upkeep.send_robust(sender=None, starting=starting):
        if isinstance(outcome, Exception):
            log.error("worker upkeep %r failed: %s", receiver, outcome, exc_info=outcome)


def tasks_lost(now=None) -> int:
    """Mark the database queue's tasks whose worker is gone as failed, saying why; returns how
    many. A worker is gone when its beat is older than ``WORKER_SILENT_SECONDS``, or (a worker
    that never registered) when the task started more than ``LOST_AFTER`` ago. Work that must
    still happen is picked up by its own sweep (a stalled file's intake by
    ``files.tasks.resume_stalled_assets``)."""
    now = now or timezone.now()
    WorkerBeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()
    beats = dict(WorkerBeat.objects.values_list("worker_id", "seen_at"))
    silent = now - silent_after()
    lost = []
    for pk, worker_ids, started_at in DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING
    ).values_list("pk", "worker_ids", "started_at"):
        seen = beats.get(worker_ids[-1]) if worker_ids else None
        if (seen is not None and seen < silent) or (
            seen is None and started_at is not None and started_at < now - LOST_AFTER
        ):
            lost.append(pk)
    if not lost:
        return 0
    return DBTaskResult.objects.filter(pk__in=lost, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
        traceback="WorkerLost: its worker stopped (killed, or its machine went) before the task "
        "finished.",
    )


class Heart:
    """The background thread that keeps a worker's beat and runs the upkeep."""

    def __init__(self, worker_id: str, every: float | None = None):
        self.worker_id = worker_id
        self.every = every if every is not None else settings.WORKER_BEAT_SECONDS
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="worker-beat", daemon=True)

    def start(self) -> None:
        worker_started(self.worker_id)
        tasks_lost()
        upkeep(starting=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(self.every + 5)
        try:
            worker_stopped(self.worker_id)
        except DatabaseError:  # the database went first: the row goes silent and is forgotten
            log.warning("worker %s could not remove its beat", self.worker_id)

    def _run(self) -> None:
        while not self.stopping.wait(self.every):
            try:
                worker_beat(self.worker_id)
                tasks_lost()
                upkeep(starting=False)
            except DatabaseError as error:  # busy or away for a moment: the next beat retries
                log.warning("worker beat failed: %s", error)
            finally:
                close_old_connections()
