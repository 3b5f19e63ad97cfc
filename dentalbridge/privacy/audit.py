"""The tamper-evident audit log (PRV-6, DESIGN.md §3).

``record()`` appends one event in the caller's transaction: it takes the chain lock, reads the last
row, and inserts the new row with ``prev_hash`` = last row's hash and
``hash`` = SHA-256(prev_hash ‖ canonical JSON of the row). ``verify()`` recomputes the chain and
reports the first row that does not match, so a quiet edit, a deleted row or a reordering is found.

The chain lock is PostgreSQL's transaction-scoped advisory lock; on SQLite the database runs its
transactions in IMMEDIATE mode (settings), which already serializes writers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from dentalbridge.privacy.models import AuditEvent

if TYPE_CHECKING:
    from dentalbridge.privacy.principal import Principal, SystemActor

GENESIS_HASH = "0" * 64
# Any constant works; it names the lock in pg_locks.
_CHAIN_LOCK_KEY = 0x0DE7A1B1


class AuditAction(StrEnum):
    """Every auditable action; adding one is a one-line, reviewed diff (STYLE.md §3)."""

    SIGNED_IN = "account.signed_in"
    SIGN_IN_FAILED = "account.sign_in_failed"
    SIGNED_OUT = "account.signed_out"
    SIGNED_UP = "account.signed_up"
    EMAIL_CONFIRMED = "account.email_confirmed"
    PASSWORD_CHANGED = "account.password_changed"
    PASSWORD_RESET = "account.password_reset"
    MFA_ENABLED = "account.mfa_enabled"
    MFA_DISABLED = "account.mfa_disabled"
    SESSIONS_ENDED = "account.sessions_ended"
    PROFILE_UPDATED = "account.profile_updated"
    TOKEN_CREATED = "token.created"
    TOKEN_REVOKED = "token.revoked"
    ORGANIZATION_CREATED = "organization.created"
    ORGANIZATION_UPDATED = "organization.updated"
    ORGANIZATION_SWITCHED = "organization.switched"
    MEMBER_ROLE_CHANGED = "member.role_changed"
    MEMBER_REMOVED = "member.removed"
    INVITATION_SENT = "invitation.sent"
    INVITATION_REVOKED = "invitation.revoked"
    INVITATION_ACCEPTED = "invitation.accepted"
    INVITATION_REFUSED = "invitation.refused"
    CONNECTION_REQUESTED = "connection.requested"
    CONNECTION_ACCEPTED = "connection.accepted"
    CONNECTION_DECLINED = "connection.declined"
    CONNECTION_ENDED = "connection.ended"
    PATIENT_LISTED = "patient.listed"
    PATIENT_VIEWED = "patient.viewed"
    PATIENT_CREATED = "patient.created"
    PATIENT_UPDATED = "patient.updated"
    PATIENT_DELETED = "patient.deleted"
    PATIENT_RESTORED = "patient.restored"
    PATIENT_PURGED = "patient.purged"
    ARCHIVE_VIEWED = "archive.viewed"
    ARCHIVE_PURGED = "archive.purged"
    RECORD_ITEM_CREATED = "record.item_created"
    RECORD_ITEM_UPDATED = "record.item_updated"
    RECORD_ITEM_VIEWED = "record.item_viewed"
    PORTAL_INVITED = "portal.invited"
    PORTAL_JOINED = "portal.joined"
    PORTAL_REFUSED = "portal.refused"
    RECORD_COPY_DOWNLOADED = "record.copy_downloaded"
    CARE_GRANTED = "care_team.granted"
    CARE_REVOKED = "care_team.revoked"
    AUDIT_EXPORTED = "audit.exported"
    FILE_UPLOAD_STARTED = "file.upload_started"
    FILE_UPLOADED = "file.uploaded"
    FILE_UPLOAD_CANCELLED = "file.upload_cancelled"
    FILE_REFUSED = "file.refused"
    FILE_DOWNLOADED = "file.downloaded"
    FILE_RELEASED = "file.released"
    FILE_REPAIR_REQUESTED = "file.repair_requested"
    FILE_KEYS_DESTROYED = "file.keys_destroyed"
    FILES_SHARED = "file.shared"
    FILES_SHARE_REVOKED = "file.share_revoked"
    DESIGNER_ASSIGNED = "file.designer_assigned"
    DESIGNER_UNASSIGNED = "file.designer_unassigned"
    ORDER_LISTED = "order.listed"
    ORDER_VIEWED = "order.viewed"
    ORDER_CREATED = "order.created"
    ORDER_UPDATED = "order.updated"
    ORDER_STATE_CHANGED = "order.state_changed"
    ORDER_DUE_DATE_CONFIRMED = "order.due_date_confirmed"
    ORDER_ASSIGNED = "order.assigned"
    ORDER_UNASSIGNED = "order.unassigned"
    ORDER_FILE_ATTACHED = "order.file_attached"
    ORDER_FILE_DETACHED = "order.file_detached"
    ORDER_MESSAGE_POSTED = "order.message_posted"
    ORDER_REMAKE_REQUESTED = "order.remake_requested"
    ORDER_LATE_ALERTED = "order.late_alerted"
    IMPLANT_LIBRARY_CHANGED = "implant_library.changed"
    LAB_SETTINGS_CHANGED = "lab.settings_changed"
    REGISTER_CHANGED = "privacy.register_changed"
    POLICY_PUBLISHED = "privacy.policy_published"
    DATA_REQUEST_RECEIVED = "data_request.received"
    DATA_REQUEST_VERIFIED = "data_request.verified"
    DATA_REQUEST_FORWARDED = "data_request.forwarded"
    DATA_REQUESTS_LISTED = "data_request.listed"
    DATA_REQUEST_VIEWED = "data_request.viewed"
    DATA_REQUEST_EXTENDED = "data_request.extended"
    DATA_REQUEST_ANSWERED = "data_request.answered"
    DATA_REQUEST_REMINDED = "data_request.reminded"
    DATA_EXPORTED = "data_request.exported"
    LEGAL_HOLD_PLACED = "legal_hold.placed"
    LEGAL_HOLD_LIFTED = "legal_hold.lifted"
    PATIENT_ERASED = "patient.erased"
    PATIENT_RESTRICTED = "patient.restricted"
    PATIENT_RESTRICTION_LIFTED = "patient.restriction_lifted"
    ACCOUNT_CLOSED = "account.closed"
    RETENTION_RUN = "privacy.retention_run"
    DELETION_CONFIRMED = "privacy.deletion_confirmed"
    BREACH_RECORDED = "breach.recorded"
    BREACH_AUTHORITY_NOTIFIED = "breach.authority_notified"
    BREACH_PEOPLE_NOTIFIED = "breach.people_notified"
    SYSTEM_READ = "system.read"


class AuditOutcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


_HASHED_FIELDS = (
    "seq",
    "created_at",
    "action",
    "outcome",
    "actor_id",
    "organization_id",
    "target_type",
    "target_id",
    "patient_id",
    "reason",
    "via",
    "ip",
    "user_agent",
    "data",
)


def _canonical(event: AuditEvent) -> bytes:
    row = {}
    for name in _HASHED_FIELDS:
        value = getattr(event, name)
        if name == "created_at":
            value = value.astimezone(UTC).isoformat(timespec="microseconds")
        elif value is not None and name in {"actor_id", "organization_id", "patient_id"}:
            value = str(value)
        row[name] = value
    return json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + _canonical(event)).hexdigest()


def _take_chain_lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def _clean_data(data: Mapping[str, object] | None) -> dict[str, str | int | bool | None]:
    """Audit data holds ids, codes and counts — plain JSON scalars only, so the canonical form
    survives a round trip through either database unchanged."""
    clean: dict[str, str | int | bool | None] = {}
    for key, value in (data or {}).items():
        if not isinstance(value, str | int | bool | type(None)):
            value = str(value)
        clean[str(key)] = value
    return clean


class Identified(Protocol):
    """What the log keeps of a patient: the random public id (a ``Patient``, or a stand-in that
    holds only the id, such as ``PatientRef``, when the caller may not hold the patient)."""

    @property
    def public_id(self) -> UUID: ...


@dataclass(frozen=True)
class PatientRef:
    """A patient named by public id alone, for callers that must not load the patient."""

    public_id: UUID


def record(
    action: AuditAction,
    *,
    principal: Principal | None = None,
    actor: models.Model | None = None,
    organization: models.Model | None = None,
    target: models.Model | None = None,
    patient: Identified | None = None,
    reason: str = "",
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    data: Mapping[str, object] | None = None,
    ip: str | None = None,
    user_agent: str = "",
    via: str | None = None,
) -> AuditEvent:
    """Append one event. Call it inside the transaction of the action it records, so that the
    action and its audit line commit or roll back together.

    ``principal`` supplies actor, organization, channel and client; ``actor``/``organization``
    override or stand in for it (sign-in events have a user but no organization yet); ``via``
    overrides the channel (a system read started by a person is still the system's).
    """
    if principal is not None:
        actor = actor or principal.user
        if organization is None and principal.membership is not None:
            organization = principal.membership.organization
        ip = ip or principal.ip
        user_agent = user_agent or principal.user_agent
        via = via or principal.via
    else:
        via = via or ("system" if actor is None else "web")
    event = AuditEvent(
        action=str(AuditAction(action)),
        outcome=str(AuditOutcome(outcome)),
        actor_id=getattr(actor, "public_id", None),
        organization_id=getattr(organization, "public_id", None),
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(getattr(target, "public_id", None) or getattr(target, "pk", "") or ""),
        patient_id=getattr(patient, "public_id", None),
        reason=reason[:300],
        via=via,
        ip=ip or None,
        user_agent=(user_agent or "")[:300],
        data=_clean_data(data),
    )
    with transaction.atomic():
        _take_chain_lock()
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        event.seq, event.prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        event.created_at = timezone.now()
        event.hash = compute_hash(event.prev_hash, event)
        event.save(force_insert=True)
    return event


def record_system_read(
    system: SystemActor,
    what: str,
    *,
    target: models.Model | None = None,
    patient: Identified | None = None,
    count: int | None = None,
) -> AuditEvent:
    """Audit one read by the platform itself: which access function (``what``), for which
    purpose, of which object or how many rows. The person whose action started it, if any, is the
    actor; the channel is ``system`` either way."""
    data: dict[str, object] = {"purpose": str(system.purpose), "read": what}
    if count is not None:
        data["count"] = count
    behalf = system.on_behalf_of
    return record(
        AuditAction.SYSTEM_READ,
        actor=behalf.user if behalf is not None else None,
        organization=behalf.organization if behalf is not None else None,
        target=target,
        patient=patient,
        data=data,
        via=system.via,
    )


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    pk: int
    problem: str

    def __str__(self) -> str:
        return f"row seq={self.seq} (id={self.pk}): {self.problem}"


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _rows() -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("seq").iterator(chunk_size=2000)


def verify() -> VerifyResult:
    """Recompute the whole chain; stop at the first row that does not link or hash correctly."""
    prev_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    for event in _rows():
        problem = None
        if event.seq != expected_seq:
            problem = f"sequence gap: expected seq {expected_seq} (a row was removed or reordered)"
        elif event.prev_hash != prev_hash:
            problem = "prev_hash does not match the previous row's hash"
        elif compute_hash(prev_hash, event) != event.hash:
            problem = "content does not match its hash (the row was altered)"
        if problem:
            return VerifyResult(checked, ChainBreak(event.seq, event.pk, problem))
        prev_hash, expected_seq, checked = event.hash, event.seq + 1, checked + 1
    return VerifyResult(checked, None)


def with_actor_names(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """Events with their actor's e-mail and name resolved in the same query (constant query count
    per page): the log keeps the actor's public id only, so it outlives the account."""
    users = get_user_model().objects.filter(public_id=OuterRef("actor_id"))
    return events.annotate(
        actor_email=Subquery(users.values("email")[:1]),
        actor_name=Subquery(users.values("full_name")[:1]),
    )
