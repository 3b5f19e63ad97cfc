"""Audit events as CSV and JSON for the DPO and the practice owner (PRV-6, issue item 7)."""

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

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
# A cell starting with one of these is a formula in spreadsheet software: the user agent and the
# reason are typed by others, so they must not run as formulas when the DPO opens the file.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def events_csv(events: Iterable[AuditEvent]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for event in events:
        row = _row(event)
        writer.writerow([_cell(row[column]) for column in COLUMNS])
    return out.getvalue()


def events_json(events: Iterable[AuditEvent]) -> list[dict[str, Any]]:
    return [_row(event) for event in events]
