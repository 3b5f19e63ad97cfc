"""/healthz reports database, storage and task queue (NFR-5), against the real parts."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_with_local_files():
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "storage", "tasks"}
    assert all(check["ok"] for check in body["checks"].values())


def test_healthz_checks_s3_storage_for_real(s3_storage):
    body = Client().get("/healthz").json()
    assert body["checks"]["storage"] == {**body["checks"]["storage"], "ok": True, "backend": "s3"}
    # And files really land in the bucket.
    name = default_storage.save("probe/hello.txt", ContentFile(b"hello"))
    assert default_storage.open(name).read() == b"hello"
    default_storage.delete(name)


def test_healthz_answers_503_when_storage_is_broken(settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the media folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": blocker},
        },
    }
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["storage"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_healthz_reports_the_database_task_queue(settings):
    settings.TASKS_BACKEND = "database"
    body = Client().get("/healthz").json()
    assert body["checks"]["tasks"]["ok"] is True
    assert body["checks"]["tasks"]["waiting"] == 0
