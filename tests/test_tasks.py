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


@pytest.mark.django_db(transaction=True)
def test_an_upload_is_processed_by_a_worker_from_the_queue(world, settings, tmp_path):
    """The intake of an upload is queued on "files" when the upload completes; a db_worker
    takes it from the database queue and makes the anonymized copy."""
    from datetime import date

    from conftest import acting, client_for
    from dentalbridge.files.models import Asset
    from dentalbridge.files.tests import tus_client as tus
    from dentalbridge.patients.services import patient_create
    from dentalbridge.privacy.door import through_the_door

    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "email", "files"],
        }
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "files-eu": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    _forget_backends()
    try:
        patient = patient_create(
            actor=acting(world.owner, world.practice),
            given_name="Quinn",
            family_name="Queue",
            date_of_birth=date(1990, 1, 1),
        )
        scan = tus.cube_stl()
        client = client_for(world.dentist)
        created = tus.create(client, len(scan), patient=patient.public_id, filename="q.stl")
        assert tus.patch(client, created["Location"], 0, scan).status_code == 204
        with through_the_door():
            asset = Asset.objects.get(role="original")
        assert asset.status == "processing"
        queued = DBTaskResult.objects.get(task_path="dentalbridge.files.pipeline.process_asset")
        assert queued.status == "READY" and queued.queue_name == "files"
        call_command("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", verbosity=0)
        asset.refresh_from_db()
        assert asset.status == "ready"
        with through_the_door():
            assert Asset.objects.filter(source=asset, role="shared").exists()
    finally:
        _forget_backends()
