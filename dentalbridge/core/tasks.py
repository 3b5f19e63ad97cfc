"""Scheduled upkeep of the task queue itself (run by ``manage.py crontask``)."""

from datetime import timedelta

from crontask import cron
from django.tasks import task
from django.tasks.base import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

# No task of the platform runs this long (the intake's checks are limited to minutes; its work
# files are swept after the same time): a row still RUNNING then lost its worker — killed, or
# its machine gone — and would otherwise say RUNNING forever.
LOST_AFTER = timedelta(hours=2)


class WorkerLost(RuntimeError):
    """The worker running the task stopped without finishing it (SIGKILL, a crash, a reboot)."""


def tasks_lost(now=None) -> int:
    """Mark the database queue's tasks whose worker is gone as failed, saying why; returns how
    many. Work that must still happen is picked up by its own sweep (a stalled file's intake
    is started again by ``files.tasks.resume_stalled_assets``)."""
    now = now or timezone.now()
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - LOST_AFTER
    ).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
        traceback=f"WorkerLost: still running {LOST_AFTER} after it started; its worker stopped.",
    )


@cron("*/10 * * * *")
@task()
def recover_lost_tasks() -> dict:
    """Every ten minutes: tasks whose worker died are marked failed instead of RUNNING forever."""
    return {"failed": tasks_lost()}
