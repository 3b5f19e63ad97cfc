"""Health of the parts the platform needs (NFR-5): database, file storage, task queue."""

import time
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        detail = check() or {}
        state = {"ok": True, **detail}
    except Exception as exc:  # a health check reports failures, it does not raise them
        state = {"ok": False, "error": exc.__class__.__name__}
    state["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return state


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _storage() -> dict:
    name = default_storage.save(f"healthz/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    try:
        with default_storage.open(name) as handle:
            if handle.read() != b"ok":
                raise OSError("read back differs")
    finally:
        default_storage.delete(name)
    return {"backend": settings.STORAGE_BACKEND}


def _tasks() -> dict:
    if settings.TASKS_BACKEND != "database":
        return {"backend": settings.TASKS_BACKEND}
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(status="READY")
    oldest = waiting.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    from django.utils import timezone

    return {
        "backend": "database",
        "waiting": waiting.count(),
        "oldest_waiting_s": round((timezone.now() - oldest).total_seconds()) if oldest else 0,
    }


def health() -> dict:
    checks = {"database": _timed(_database), "storage": _timed(_storage), "tasks": _timed(_tasks)}
    return {"status": "ok" if all(c["ok"] for c in checks.values()) else "error", "checks": checks}
