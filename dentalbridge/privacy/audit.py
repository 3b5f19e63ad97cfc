"""The tamper-evident audit log (PRV-6, DESIGN.md §3).

``record()`` appends one event in the caller's transaction: it takes the chain lock, reads the last
row, and inserts the new row with ``prev_hash`` = last row's hash and
``hash`` = HMAC-SHA256(key, prev_hash ‖ canonical JSON of the row), the key named by the row's
``key_id`` and held outside the database (``AUDIT_KEYS`` or the key file): whoever can write the
table cannot recompute a hash. ``write_checkpoint()`` appends the last seq and hash, signed with
the same key, to a file outside the database (on a schedule and at each verification).
``verify()`` recomputes the chain, compares it with every checkpoint and checks the append-only
guard, and names the first place that does not match: an edit, a deleted or reordered row, a cut
tail, an emptied table, a rewrite with recomputed hashes, a dropped trigger.

The chain lock is PostgreSQL's transaction-scoped advisory lock; on SQLite the database runs its
transactions in IMMEDIATE mode (settings), which already serializes writers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from uuid import UUID

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
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
    key_id = getattr(event, "key_id", "")
    if key_id:  # rows from before the keyed chain have none, and hash as they always did
        row["key_id"] = key_id
    return json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# --- The keys: outside the database, "id:key" pairs, newest first ---------------------------------


class AuditKeyUnavailable(ImproperlyConfigured):
    """A row or checkpoint names a key id that is not configured."""


_key_file_lock = threading.Lock()


def new_key_entry() -> str:
    """A fresh "id:key" line: 32 random bytes, urlsafe base64."""
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    return f"a{datetime.now(UTC):%Y%m%d}{secrets.token_hex(2)}:{key}"


@lru_cache(maxsize=8)
def _parse_ring(text: str) -> tuple[tuple[str, bytes], ...]:
    ring = []
    for entry in text.replace(",", "\n").splitlines():
        entry = entry.strip()
        if not entry:
            continue
        key_id, _sep, encoded = entry.partition(":")
        try:
            key = base64.urlsafe_b64decode(encoded.strip())
        except (binascii.Error, ValueError):
            key = b""
        if not key_id or len(key) < 32:
            raise ImproperlyConfigured(
                "AUDIT_KEYS: each entry is id:key, the key 32 random bytes in urlsafe base64 "
                "(manage.py audit_key prints a new one)."
            )
        ring.append((key_id.strip(), key))
    if not ring:
        raise ImproperlyConfigured("AUDIT_KEYS holds no key.")
    return tuple(ring)


def key_ring() -> tuple[tuple[str, bytes], ...]:
    """(id, key) pairs, the first signing new rows and checkpoints; every one verifies."""
    text = settings.AUDIT_KEYS
    if not text:
        path = Path(settings.AUDIT_KEY_FILE)
        with _key_file_lock:
            if not path.exists():
                _create_key_file(path)
        text = _read_key_file(str(path), path.stat().st_mtime_ns)
    return _parse_ring(text)


def _create_key_file(path: Path) -> None:
    """Write a new key file whole, then link it into place: the web server, the worker and the
    scheduler may all start at once, and none may read a half-written file or keep a key of its
    own (the link fails for all but the first)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    draft.write_text(new_key_entry() + "\n", encoding="utf-8")
    draft.chmod(0o600)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()


@lru_cache(maxsize=4)
def _read_key_file(path: str, mtime_ns: int) -> str:
    """The key file's text, read again only when the file changes (every audit line asks)."""
    return Path(path).read_text(encoding="utf-8")


def _key(key_id: str) -> bytes:
    for ring_id, key in key_ring():
        if ring_id == key_id:
            return key
    raise AuditKeyUnavailable(f"audit key {key_id!r} is not configured")


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    """The row's link: HMAC-SHA256 under its ``key_id``'s key; SHA-256 for a row without one."""
    message = prev_hash.encode() + b"\n" + _canonical(event)
    key_id = getattr(event, "key_id", "")
    if not key_id:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(_key(key_id), message, hashlib.sha256).hexdigest()


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
        event.key_id = key_ring()[0][0]
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
    """Where the log stops being what was written: a row (``seq``, ``pk``), or — ``seq`` 0 — the
    table itself (its guard, or rows a checkpoint saw that are gone)."""

    seq: int
    pk: int
    problem: str

    def __str__(self) -> str:
        if self.seq == 0:
            return f"the table: {self.problem}"
        return f"row seq={self.seq} (id={self.pk}): {self.problem}"


@dataclass(frozen=True)
class Checkpoint:
    """The log's last row at a moment, signed with an audit key, kept outside the database."""

    seq: int
    hash: str
    first: str  # the hash of row 1: which log this checkpoint is about
    at: str
    key_id: str
    line: int = 0  # where it stands in the checkpoint file (1-based)

    def body(self) -> bytes:
        fields = {"seq": self.seq, "hash": self.hash, "first": self.first, "at": self.at}
        return json.dumps({**fields, "key_id": self.key_id}, sort_keys=True).encode()

    def mac(self) -> str:
        return hmac.new(_key(self.key_id), self.body(), hashlib.sha256).hexdigest()

    def __str__(self) -> str:
        return f"checkpoint of {self.at} (seq {self.seq}, line {self.line})"


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    first_break: ChainBreak | None
    # The newest checkpoint the log still matches (None: no checkpoint yet, or none matched).
    checkpoint: Checkpoint | None = None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _rows() -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("seq").iterator(chunk_size=2000)


def _checkpoint_file() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_FILE)


def read_checkpoints() -> tuple[list[Checkpoint], ChainBreak | None]:
    """The checkpoints whose signature holds, oldest first, and the first line that does not (a
    forged or damaged checkpoint is itself a finding)."""
    path = _checkpoint_file()
    if not path.exists():
        return [], None
    found, problem = [], None
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            raw = json.loads(text)
            checkpoint = Checkpoint(
                seq=int(raw["seq"]),
                hash=str(raw["hash"]),
                first=str(raw["first"]),
                at=str(raw["at"]),
                key_id=str(raw["key_id"]),
                line=number,
            )
            signed = hmac.compare_digest(checkpoint.mac(), str(raw["mac"]))
        except (ValueError, KeyError, TypeError, AuditKeyUnavailable):
            signed = False
        if not signed:
            problem = problem or ChainBreak(
                0, 0, f"checkpoint line {number} of {path} is not signed by an audit key"
            )
            continue
        found.append(checkpoint)
    return found, problem


def write_checkpoint() -> Checkpoint | None:
    """Append the log's last seq and hash, signed, to the checkpoint file (nothing while the log
    is empty). Run on a schedule (``privacy.tasks``) and after each good verification."""
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    first = AuditEvent.objects.order_by("seq").values_list("hash", flat=True).first()
    if last is None or first is None:
        return None
    checkpoint = Checkpoint(
        seq=last[0],
        hash=last[1],
        first=first,
        at=timezone.now().astimezone(UTC).isoformat(timespec="seconds"),
        key_id=key_ring()[0][0],
    )
    line = json.loads(checkpoint.body())
    line["mac"] = checkpoint.mac()
    path = _checkpoint_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, sort_keys=True) + "\n")
        out.flush()
        os.fsync(out.fileno())
    return checkpoint


# --- The append-only guard -----------------------------------------------------------------------

# SQLite triggers (privacy/migrations/0011) ask this function, which the application registers on
# each of its SQLite connections; PostgreSQL's trigger (0002) refuses unconditionally.
SQLITE_GUARD = "dentalbridge_audit_locked"
GUARD_TRIGGERS = {
    "sqlite": {"privacy_auditevent_no_update", "privacy_auditevent_no_delete"},
    "postgresql": {"privacy_auditevent_append_only"},
}
_changes_allowed = threading.local()


def register_sqlite_guard(
    sender: object, connection: BaseDatabaseWrapper, **kwargs: object
) -> None:
    """``connection_created`` receiver: give a new SQLite connection the guard's function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            SQLITE_GUARD, 0, lambda: 0 if getattr(_changes_allowed, "on", False) else 1
        )


class changes_allowed:
    """Let the enclosed block delete audit rows on SQLite: only the test suite may (its flush
    between transactional tests empties every table). Refused anywhere else."""

    def __enter__(self) -> None:
        import sys

        from dentalbridge.privacy.door import _is_test_code

        if not _is_test_code(sys._getframe(1).f_code.co_filename):
            raise PermissionError("The audit log is append-only.")
        _changes_allowed.on = True

    def __exit__(self, *exc: object) -> None:
        _changes_allowed.on = False


def _guard_missing() -> set[str]:
    expected = GUARD_TRIGGERS.get(connection.vendor, set())
    if not expected:
        return set()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'privacy_auditevent'"
            )
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'privacy_auditevent'::regclass "
                "AND tgenabled <> 'D'"
            )
        present = {row[0] for row in cursor.fetchall()}
    return expected - present


# --- Verification ------------------------------------------------------------------------------


def verify(*, checkpoint: bool = True) -> VerifyResult:
    """Recompute the whole chain under the keys, compare it with every signed checkpoint, check
    the append-only guard; stop at the first place that does not match. A good verification
    writes a new checkpoint (unless ``checkpoint=False``)."""
    checkpoints, forged = read_checkpoints()
    at_seq: dict[int, list[Checkpoint]] = {}
    for saved in checkpoints:
        at_seq.setdefault(saved.seq, []).append(saved)
    matched: Checkpoint | None = None
    prev_hash, expected_seq, checked, keyed = GENESIS_HASH, 1, 0, False
    for event in _rows():
        problem = None
        if event.seq != expected_seq:
            problem = f"sequence gap: expected seq {expected_seq} (a row was removed or reordered)"
        elif event.prev_hash != prev_hash:
            problem = "prev_hash does not match the previous row's hash"
        elif event.key_id and event.key_id not in dict(key_ring()):
            problem = f"signed with key id {event.key_id!r}, which no configured key has"
        elif not event.key_id and (keyed or event.seq > settings.AUDIT_UNKEYED_ROWS):
            problem = "a row without a key id: written (or rewritten) without the audit key"
        elif compute_hash(prev_hash, event) != event.hash:
            problem = "content does not match its hash (the row was altered)"
        elif event.seq == 1 and any(c.first != event.hash for c in checkpoints):
            differs = next(c for c in checkpoints if c.first != event.hash)
            problem = f"the log is not the one the {differs} was written for (it was replaced)"
        else:
            for saved in at_seq.get(event.seq, []):
                if saved.hash != event.hash:
                    problem = f"differs from the {saved} (the log was rewritten)"
                    break
                matched = saved
        if problem:
            return VerifyResult(checked, ChainBreak(event.seq, event.pk, problem), matched)
        keyed = keyed or bool(event.key_id)
        prev_hash, expected_seq, checked = event.hash, event.seq + 1, checked + 1
    beyond = [c for c in checkpoints if c.seq >= expected_seq]
    if beyond:
        newest = max(beyond, key=lambda c: c.seq)
        problem = (
            f"rows {expected_seq} to {newest.seq} are missing: the {newest} saw them "
            f"(the log was cut short{' or emptied' if expected_seq == 1 else ''})"
        )
        return VerifyResult(checked, ChainBreak(0, 0, problem), matched)
    if forged is not None:
        return VerifyResult(checked, forged, matched)
    missing = _guard_missing()
    if missing:
        problem = f"the append-only trigger {', '.join(sorted(missing))} is missing or disabled"
        return VerifyResult(checked, ChainBreak(0, 0, problem), matched)
    if checkpoint:
        write_checkpoint()
    return VerifyResult(checked, None, matched)


def with_actor_names(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """Events with their actor's e-mail and name resolved in the same query (constant query count
    per page): the log keeps the actor's public id only, so it outlives the account."""
    users = get_user_model().objects.filter(public_id=OuterRef("actor_id"))
    return events.annotate(
        actor_email=Subquery(users.values("email")[:1]),
        actor_name=Subquery(users.values("full_name")[:1]),
    )
