"""Outgoing e-mail (COM-1): rendered now, delivered by the task queue.

Messages are rendered in the request (so the language and links are the sender's context) and only
strings are queued, which keeps tasks JSON-serializable and idempotent.
"""

from typing import Any

from django.db import transaction
from django.template.loader import render_to_string

from dentalbridge.messaging.tasks import deliver_email


def email_send(*, to: list[str], template: str, context: dict[str, Any]) -> None:
    """Queue ``<template>_subject.txt`` / ``.txt`` / ``.html`` for delivery after the current
    transaction commits (nothing is sent for a change that rolls back)."""
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    transaction.on_commit(
        lambda: deliver_email.enqueue(to=list(to), subject=subject, text=text, html=html)
    )
