"""The base every domain model stands on: a public UUID and timestamps (STYLE.md §7)."""

import uuid

from django.db import models


class BaseModel(models.Model):
    """Integer primary key inside the database; a random UUID wherever a URL or the API shows it,
    so ids cannot be enumerated."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class WorkerBeat(models.Model):
    """A task worker that is running, as it last said so (``core.workers``): every worker writes
    its row when it starts and refreshes it every ``WORKER_BEAT_SECONDS``; a clean stop deletes
    it. A row gone silent is a worker that was killed or lost its machine — its tasks are
    failed and its files' intake picked up again within minutes instead of hours."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.host}:{self.pid})"
