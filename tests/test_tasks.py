"""Background work goes through the real database queue and a real worker (DESIGN.md §3)."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.tasks import task_backends
from django_tasks_db.models import DBTaskResult

from dentalbridge.messaging.tasks import deliver_email


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}
    }
    _forget_backends()
    yield
    _forget_backends()


def _forget_backends():
    """Django has no settings-changed hook for TASKS: drop the cached settings and backends."""
    from asgiref.local import Local

    task_backends.__dict__.pop("settings", None)
    task_backends._settings = None
    task_backends._connections = Local(task_backends.thread_critical)


@pytest.mark.django_db(transaction=True)
def test_email_is_queued_then_delivered_by_the_worker(database_queue):
    result = deliver_email.enqueue(
        to=["queue.check@x.example"], subject="Hello", text="Body", html="<p>Body</p>"
    )
    assert DBTaskResult.objects.get(id=result.id).status == "READY"
    assert mail.outbox == []
    call_command("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", verbosity=0)
    assert DBTaskResult.objects.get(id=result.id).status == "SUCCESSFUL"
    assert [m.to for m in mail.outbox] == [["queue.check@x.example"]]
    assert mail.outbox[0].subject.endswith("Hello")
