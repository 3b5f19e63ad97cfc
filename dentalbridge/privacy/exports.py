"""Audit events as CSV and JSON for the DPO and the practice owner (PRV-6, issue item 7)."""

import json
from collections.abc import Iterable
from typing import Any

from dentalbridge.core.spreadsheet import csv_text
from dentalbridge.privacy.models import AuditEvent

COLUMNS = (
    "seq",
    "created_at",
    "action",
    "outcome",
    "actor_id",
    "actor_email",
    "organization_id",
    "patient_id",
    "target_type",
    "target_id",
    "reason",
    "via",
    "ip",
    "user_agent",
    "data",
    "prev_hash",
    "hash",
)


def _row(event: AuditEvent) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column in COLUMNS:
        value: Any = getattr(event, column, None)
        if column == "created_at":
            value = value.isoformat()
        elif column == "data":
            value = json.dumps(value, sort_keys=True)
        elif value is not None and not isinstance(value, int | str):
            value = str(value)
        row[column] = value
    return row


def events_csv(events: Iterable[AuditEvent]) -> str:
    """The events as CSV; the reason and the user agent are typed by others, so the one CSV
    helper keeps them from running as formulas when the DPO opens the file."""
    rows = (_row(event) for event in events)
    return csv_text(COLUMNS, ([row[column] for column in COLUMNS] for row in rows))


def events_json(events: Iterable[AuditEvent]) -> list[dict[str, Any]]:
    return [_row(event) for event in events]
