"""Finding 3 of the security review (issue 13): after a worker was killed, its task rows stayed
RUNNING forever. Workers now say they are alive (``core.workers``): the rows of one gone silent
are marked failed within minutes, saying why; those of a worker that never said anything after
the two hours no task runs."""

import os
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.tasks.base import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from dentalbridge.core import workers
from dentalbridge.core.models import WorkerBeat
from dentalbridge.core.tasks import recover_lost_tasks
from dentalbridge.core.workers import LOST_AFTER, Heart, tasks_lost, worker_upkeep

pytestmark = pytest.mark.django_db


def _claimed(when, worker="killed-worker") -> DBTaskResult:
    with time_machine.travel(when, tick=False):
        row = DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {}},
            task_path="dentalbridge.files.pipeline.process_asset",
            queue_name="files",
            backend_name="default",
            run_after=timezone.now(),
        )
        row.claim(worker)
    return row


def _beat(worker: str, seen):
    with time_machine.travel(seen, tick=False):
        workers.worker_started(worker)


def test_finding_3_a_killed_workers_task_rows_are_marked_failed_within_minutes(settings):
    now = timezone.now()
    silent = now - timedelta(seconds=settings.WORKER_SILENT_SECONDS + 1)
    _beat("killed-worker", silent)
    _beat("live-worker", now - timedelta(seconds=5))
    lost = _claimed(silent - timedelta(minutes=1))
    running = _claimed(now - timedelta(hours=1), worker="live-worker")  # a long task: alive
    assert tasks_lost(now) == 1
    lost.refresh_from_db()
    running.refresh_from_db()
    assert lost.status == TaskResultStatus.FAILED
    assert lost.exception_class_path == "dentalbridge.core.workers.WorkerLost"
    assert "worker stopped" in lost.traceback
    assert lost.finished_at == now
    assert running.status == TaskResultStatus.RUNNING


def test_a_task_of_an_unregistered_worker_is_failed_after_two_hours():
    now = timezone.now()
    lost = _claimed(now - LOST_AFTER - timedelta(minutes=1), worker="old-style")
    running = _claimed(now - timedelta(minutes=5), worker="old-style")
    assert tasks_lost(now) == 1
    lost.refresh_from_db()
    running.refresh_from_db()
    assert (lost.status, running.status) == (TaskResultStatus.FAILED, TaskResultStatus.RUNNING)


def test_the_recovery_is_scheduled():
    _claimed(timezone.now() - LOST_AFTER - timedelta(hours=1))
    assert recover_lost_tasks.call() == {"failed": 1}


def test_a_beat_refreshes_the_row_and_a_day_old_row_is_forgotten():
    now = timezone.now()
    _beat("w", now - timedelta(minutes=3))
    _beat("long-gone", now - timedelta(days=2))
    with time_machine.travel(now, tick=False):
        workers.worker_beat("w")
        tasks_lost(now)
    assert list(WorkerBeat.objects.values_list("worker_id", "seen_at")) == [("w", now)]
    workers.worker_beat("came-back")  # its row was forgotten: it registers again
    assert WorkerBeat.objects.filter(worker_id="came-back", pid=os.getpid()).exists()


def test_a_worker_registers_runs_the_upkeep_at_start_and_leaves_cleanly(settings):
    calls = []

    def receiver(sender, starting, **kwargs):
        calls.append(starting)

    worker_upkeep.connect(receiver, dispatch_uid="test")
    try:
        heart = Heart("w1", every=3600)
        heart.start()
        assert WorkerBeat.objects.filter(worker_id="w1").exists()
        assert calls == [True]
        heart.stop()
    finally:
        worker_upkeep.disconnect(dispatch_uid="test")
    assert not WorkerBeat.objects.exists()


def test_an_upkeep_that_fails_is_logged_and_the_others_still_run(caplog):
    calls = []

    def broken(sender, starting, **kwargs):
        raise RuntimeError("disk gone")

    def fine(sender, starting, **kwargs):
        calls.append(starting)

    worker_upkeep.connect(broken, dispatch_uid="broken")
    worker_upkeep.connect(fine, dispatch_uid="fine")
    try:
        workers.upkeep(starting=False)
    finally:
        worker_upkeep.disconnect(dispatch_uid="broken")
        worker_upkeep.disconnect(dispatch_uid="fine")
    assert calls == [False]
    assert "disk gone" in caplog.text


@pytest.mark.django_db(transaction=True)  # the worker closes and reopens its connection
def test_db_worker_is_ours_and_registers_while_it_runs(settings):
    """``manage.py db_worker`` (the operators' command, unchanged) is core's: a batch run with
    nothing to do registers, runs the upkeep and removes its row when it stops."""
    from django.core.management import get_commands

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert get_commands()["db_worker"] == "dentalbridge.core"
    seen = []
    worker_upkeep.connect(
        lambda sender, starting, **kw: seen.append(WorkerBeat.objects.count()),
        dispatch_uid="probe",
        weak=False,
    )
    try:
        call_command(
            "db_worker", "--batch", "--no-startup-delay", "--worker-id", "probe", verbosity=0
        )
    finally:
        worker_upkeep.disconnect(dispatch_uid="probe")
    assert seen == [1]  # registered when the upkeep ran
    assert not WorkerBeat.objects.exists()
