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
