"""Finding 3 of the security review (issue 13): after a worker was killed, its task rows stayed
RUNNING forever. Now they are marked failed, saying why, once no task could still be running."""

from datetime import timedelta

import pytest
import time_machine
from django.tasks.base import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from dentalbridge.core.tasks import LOST_AFTER, recover_lost_tasks, tasks_lost

pytestmark = pytest.mark.django_db


def _claimed(when) -> DBTaskResult:
    with time_machine.travel(when, tick=False):
        row = DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {}},
            task_path="dentalbridge.files.pipeline.process_asset",
            queue_name="files",
            backend_name="default",
            run_after=timezone.now(),
        )
        row.claim("killed-worker")
    return row


def test_finding_3_a_killed_workers_task_rows_are_marked_failed():
    now = timezone.now()
    lost = _claimed(now - LOST_AFTER - timedelta(minutes=1))
    running = _claimed(now - timedelta(minutes=5))
    assert tasks_lost(now) == 1
    lost.refresh_from_db()
    running.refresh_from_db()
    assert lost.status == TaskResultStatus.FAILED
    assert lost.exception_class_path == "dentalbridge.core.tasks.WorkerLost"
    assert "worker stopped" in lost.traceback
    assert lost.finished_at == now
    assert running.status == TaskResultStatus.RUNNING  # may still be working


def test_the_recovery_is_scheduled():
    _claimed(timezone.now() - LOST_AFTER - timedelta(hours=1))
    assert recover_lost_tasks.call() == {"failed": 1}
