"""Scheduled upkeep of the task queue itself (run by ``manage.py crontask``)."""

from crontask import cron
from django.tasks import task

from dentalbridge.core.workers import tasks_lost


@cron("*/2 * * * *")
@task()
def recover_lost_tasks() -> dict:
    """Every two minutes: tasks whose worker died are marked failed instead of RUNNING forever
    (every worker also does it when it starts and at each beat)."""
    return {"failed": tasks_lost()}
