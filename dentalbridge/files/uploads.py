"""Resumable uploads (FIL-1): the service behind the tus 1.0 endpoints.

An upload is created with its length and metadata (which patient, which record item, the file's
name and, ideally, its SHA-256), refused up front when the name, declared size, type, quota or
data region says no. Each PATCH streams its body through the checksum and the encryptor into a
new part in the region's storage; only when the part is complete (and its tus checksum matches)
does the offset advance, so a dropped connection loses nothing that was acknowledged and leaves
nothing half-written. The first bytes decide the file's type (by content) before anything is
stored. When the last byte is in, the parts become the original ``Asset`` of a new version of the
record item and the intake pipeline takes over.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dentalbridge.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from dentalbridge.files import access, blobs, formats, intake, keys
from dentalbridge.files.models import Asset, AssetRole, Jaw, Upload, UploadStatus
from dentalbridge.patients import access as patients_access
from dentalbridge.patients.models import RecordItem, RecordItemKind, RecordItemVersion
from dentalbridge.privacy.audit import AuditAction, AuditOutcome, record
from dentalbridge.privacy.principal import Principal, Purpose, SystemActor

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,checksum,expiration"
CHECKSUM_ALGORITHMS = ("sha256", "sha1", "md5")
SNIFF_BYTES = 64 * 1024


class QuotaExceeded(DomainError):
    code = "quota_exceeded"
    status = 413


class Gone(DomainError):
    code = "gone"
    status = 410


class ChecksumMismatch(DomainError):
    code = "checksum_mismatch"
    status = 460  # tus checksum extension


class IncompleteBody(DomainError):
    code = "incomplete_body"
    status = 400


def parse_metadata(header: str) -> dict[str, str]:
    """``Upload-Metadata: key base64,key base64`` (tus 1.0 §Creation)."""
    metadata: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in (header or "").split(","))):
        key, _sep, value = pair.partition(" ")
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", key) or key in metadata:
            raise ValidationFailed(_("The upload's metadata is not valid."))
        try:
            metadata[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ValidationFailed(
                _("The upload's metadata is not valid."),
                fields={key: [_("Not base64-encoded UTF-8.")]},
            ) from None
    return metadata


def _uuid(value: str | None, field: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationFailed(
            _("The upload's metadata is not valid."), fields={field: [_("Not an id.")]}
        ) from None


def guess_jaw(filename: str) -> str:
    """Scanner exports usually say which jaw in the name (3Shape: "UpperJaw", "LowerJaw")."""
    name = filename.lower()
    if re.search(r"upper|maxill|oberkiefer|superiore", name):
        return Jaw.UPPER
    if re.search(r"lower|mandib|unterkiefer|inferiore", name):
        return Jaw.LOWER
    if re.search(r"bite|occlus", name):
        return Jaw.BITE
    return Jaw.NONE


DESIGN_EXTENSIONS = (".stl", ".ply", ".obj", ".png", ".jpg", ".jpeg")


class OrderFiles(Protocol):
    """What an upload tied to an order (a lab's design, a file on the order's thread, ORD-3)
    asks of the orders app. Orders sits above files, so it registers itself here when it is ready
    (``order_files_register``) instead of files importing it."""

    def upload_target(self, actor: Principal, order_id, *, for_message: bool) -> tuple[Any, Any]:
        """(order, patient) the file goes to, for an actor allowed to send it now."""
        ...

    def upload_received(self, actor: Principal, order_id, item, *, title: str) -> None:
        """The file is stored as ``item`` of the patient's record: tell the order."""
        ...


_order_files_registered: list[OrderFiles] = []


def order_files_register(order_files: OrderFiles) -> None:
    _order_files_registered[:] = [order_files]


def _order_files() -> OrderFiles:
    if not _order_files_registered:  # no orders app installed: no order to send a file to
        raise NotFound()
    return _order_files_registered[0]


def quota_bytes(organization) -> int:
    return organization.storage_quota or settings.FILES_QUOTA_BYTES


def upload_create(*, actor: Principal, length: int, metadata: dict[str, str]) -> Upload:
    filename = intake.check_name(metadata.get("filename") or metadata.get("name") or "")
    intake.check_declared(filename, length, metadata.get("filetype") or None)
    order_id = _uuid(metadata.get("order"), "order")
    order = None
    if order_id is not None:
        # A lab's design for an order (ORD-3): a new design item in the patient's record.
        for_message = metadata.get("purpose") == "message"
        order, patient = _order_files().upload_target(actor, order_id, for_message=for_message)
        item = None
        if for_message:  # a file for the practice on the order's thread: kind by content
            metadata = {**metadata, "kind": ""}
        elif not filename.lower().endswith(DESIGN_EXTENSIONS):
            raise ValidationFailed(
                _("Upload the design as STL, PLY or OBJ, and screenshots as PNG or JPEG."),
                fields={"filename": [_("Not a design file.")]},
            )
        else:
            metadata = {**metadata, "kind": RecordItemKind.DESIGN}
    else:
        patient_id = _uuid(metadata.get("patient"), "patient")
        if patient_id is None:
            raise ValidationFailed(
                _("Say which patient the file belongs to."), fields={"patient": [_("Required.")]}
            )
        patient, item = access.upload_target(actor, patient_id, _uuid(metadata.get("item"), "item"))
    kind = metadata.get("kind", "")
    if item is not None:
        kind = item.kind
    elif kind and kind not in RecordItemKind.values:
        raise ValidationFailed(
            _("Choose one of the listed kinds."), fields={"kind": [_("Unknown kind.")]}
        )
    jaw = metadata.get("jaw", "")
    if jaw not in Jaw.values:
        raise ValidationFailed(
            _("The upload's metadata is not valid."), fields={"jaw": [_("Unknown jaw.")]}
        )
    expected = metadata.get("sha256", "").strip().lower()
    if expected and not re.fullmatch(r"[0-9a-f]{64}", expected):
        raise ValidationFailed(
            _("The upload's metadata is not valid."),
            fields={"sha256": [_("Give the SHA-256 as 64 hexadecimal digits.")]},
        )
    practice = patient.organization
    used = access.storage_used(practice)
    quota = quota_bytes(practice)
    if used + length > quota and order is not None:  # a lab: not its business how full
        raise QuotaExceeded(
            _("The practice's storage is full. Ask the practice to make room for this file.")
        )
    if used + length > quota:
        raise QuotaExceeded(
            _(
                "This file needs %(needed)s but only %(free)s of your organization's %(quota)s "
                "are free. Delete files you no longer need or ask the operator for more space."
            )
            % {
                "needed": _size(length),
                "free": _size(max(0, quota - used)),
                "quota": _size(quota),
            }
        )
    region = practice.data_region
    blobs.region_storage(region)  # refuses now if the region has no storage
    with transaction.atomic():
        key = access.patient_key_current(patient) or keys.new_patient_key(patient)
        upload = Upload(
            organization=practice,
            patient=patient,
            item=item,
            kind=kind,
            jaw=jaw or guess_jaw(filename),
            title=(metadata.get("title") or "").strip()[:200],
            created_by=actor.user,
            filename=filename,
            length=length,
            sha256_expected=expected,
            region=region,
            patient_key=key,
            expires_at=timezone.now() + timedelta(hours=settings.FILES_UPLOAD_EXPIRES_HOURS),
            acting_organization=actor.organization if order is not None else None,
            order_id=order.public_id if order is not None else None,
        )
        upload.save(force_insert=True)
        record(
            AuditAction.FILE_UPLOAD_STARTED,
            principal=actor,
            patient=patient,
            target=upload,
            data={"size": length, "item": str(item.public_id) if item else ""},
        )
    return upload


def _size(n: int) -> str:
    from django.template.defaultfilters import filesizeformat

    return str(filesizeformat(n))


def _live(upload: Upload) -> Upload:
    if upload.status == UploadStatus.CANCELLED:
        raise NotFound()
    if upload.status == UploadStatus.RECEIVING and upload.expires_at <= timezone.now():
        raise Gone(_("This upload expired; start it again."))
    return upload


def upload_state(*, actor: Principal, upload_id) -> Upload:
    return _live(access.upload_access(actor, upload_id))


@dataclass
class Checksum:
    algorithm: str
    expected: bytes

    @classmethod
    def parse(cls, header: str | None) -> Checksum | None:
        if not header:
            return None
        algorithm, _sep, value = header.strip().partition(" ")
        algorithm = algorithm.lower()
        if algorithm not in CHECKSUM_ALGORITHMS:
            raise DomainError(
                _("Checksum algorithm not supported; use one of %(list)s.")
                % {"list": ", ".join(CHECKSUM_ALGORITHMS)},
                code="checksum_algorithm",
            )
        try:
            expected = base64.b64decode(value.strip(), validate=True)
        except binascii.Error:
            raise ValidationFailed(_("Upload-Checksum is not base64.")) from None
        return cls(algorithm, expected)

    def hasher(self):
        return hashlib.new(self.algorithm)


class _Prefixed:
    """The bytes already read for sniffing, then the rest of the request body."""

    def __init__(self, head: bytes, rest):
        self.head = head
        self.rest = rest

    def read(self, size: int = -1) -> bytes:
        if self.head:
            if size is None or size < 0 or size >= len(self.head):
                data, self.head = self.head, b""
                if size is not None and size > len(data):
                    data += self.rest.read(size - len(data))
                return data
            data, self.head = self.head[:size], self.head[size:]
            return data
        return self.rest.read(size)


def _read_head(stream, wanted: int) -> bytes:
    chunks, got = [], 0
    while got < wanted:
        data = stream.read(wanted - got)
        if not data:
            break
        chunks.append(data)
        got += len(data)
    return b"".join(chunks)


def _stored_head(upload: Upload) -> bytes:
    """The bytes of an upload received so far (only ever used while they are under 64 KiB)."""
    if not upload.parts:
        return b""
    storage = blobs.region_storage(upload.region)
    identity = keys.identity_of(upload.patient_key)
    return b"".join(blobs.read_blob(storage, upload.parts, identity))


def _discard(upload: Upload) -> None:
    """Delete what arrived of an upload and mark it cancelled (call inside a transaction)."""
    blobs.delete_parts(blobs.region_storage(upload.region), upload.parts)
    upload.status = UploadStatus.CANCELLED
    upload.parts = []
    upload.save(update_fields=["status", "parts", "updated_at"])


def _refuse(actor: Principal, upload: Upload, error: DomainError) -> None:
    with transaction.atomic():
        _discard(upload)
        record(
            AuditAction.FILE_REFUSED,
            principal=actor,
            patient=upload.patient,
            target=upload,
            outcome=AuditOutcome.FAILURE,
            data={"code": error.code},
        )


def upload_receive(
    *,
    actor: Principal,
    upload_id,
    offset: int,
    content_length: int | None,
    body,
    checksum: str | None = None,
) -> Upload:
    """Append one PATCH body at ``offset``; returns the upload with its new offset."""
    upload = upload_state(actor=actor, upload_id=upload_id)
    if upload.status == UploadStatus.COMPLETE:
        raise Conflict(_("This upload is already complete."), code="upload_complete")
    if offset != upload.offset:
        raise Conflict(
            _("The upload is at byte %(at)d, not %(sent)d; ask for its offset and continue.")
            % {"at": upload.offset, "sent": offset},
            code="offset_mismatch",
        )
    remaining = upload.length - upload.offset
    if content_length is None:
        content_length = remaining
    if content_length > remaining:
        raise DomainError(
            _("The data goes past the upload's declared length."), code="exceeds_length"
        )
    verify = Checksum.parse(checksum)
    head = b""
    if not upload.format:
        # Type by content before anything more is stored: the first 64 KiB (or the whole file),
        # gathered across PATCHes if a client sends tiny ones.
        wanted = min(SNIFF_BYTES, upload.length)
        head = _read_head(body, min(wanted - upload.offset, content_length))
        if upload.offset + len(head) >= wanted:
            try:
                upload.format = intake.sniff(
                    _stored_head(upload) + head, upload.filename, size=upload.length
                )
            except intake.Refused as error:
                _refuse(actor, upload, error)
                raise
    storage = blobs.region_storage(upload.region)
    sink = blobs.Sink(
        _Prefixed(head, body), limit=content_length, checksum=verify.hasher() if verify else None
    )
    name = blobs.part_name(upload.organization.public_id, upload.public_id, len(upload.parts))
    part = blobs.write_part(storage, name, sink, keys.recipient_of(upload.patient_key))
    if part.length != content_length:
        storage.delete(name)
        raise IncompleteBody(_("The request ended before all its data arrived; send it again."))
    if verify and not hmac.compare_digest(sink.checksum.digest(), verify.expected):
        storage.delete(name)
        raise ChecksumMismatch(_("The data does not match its checksum; send it again."))
    validated = None
    if upload.offset + part.length == upload.length:
        validated = _check_small(actor, upload, part, storage, name)
    try:
        with transaction.atomic():
            current = access.upload_locked(upload)
            if current.offset != upload.offset or current.status != UploadStatus.RECEIVING:
                raise Conflict(
                    _("Another request changed this upload; ask for its offset and continue."),
                    code="offset_mismatch",
                )
            current.parts = [*current.parts, part.as_json(current.offset)]
            current.offset += part.length
            current.format = upload.format
            fields = ["parts", "offset", "format", "updated_at"]
            if current.offset == current.length:
                _finish(actor, current, validated)
                fields += ["status", "asset"]
            current.save(update_fields=fields)
    except BaseException:
        storage.delete(name)
        raise
    return current


def _generated_name(patient, kind: str, number: int, fmt: str) -> str:
    return f"{patient.pseudonym}-{kind}-v{number}{formats.extension_for(fmt)}"


def _check_small(actor: Principal, upload: Upload, part, storage, name: str) -> dict | None:
    """A complete upload up to ``FILES_SYNC_CHECK_BYTES`` is checked before its last PATCH is
    answered, so a refusal reaches the client as a 4xx and nothing is kept. Bigger files are
    checked by the intake task; their refusal shows on the file (UI and API)."""
    from dentalbridge.files import pipeline

    if upload.length > settings.FILES_SYNC_CHECK_BYTES:
        return None
    parts = [*upload.parts, part.as_json(upload.offset)]
    try:
        return pipeline.check_upload(upload, parts)
    except intake.Refused as error:
        storage.delete(name)
        _refuse(actor, upload, error)
        raise


def _finish(actor: Principal, upload: Upload, validated: dict | None = None) -> Asset:
    """The last byte is in: the upload becomes a new version of its record item (a new item if
    it named none) whose original file is this asset; intake starts after commit."""
    from dentalbridge.files import pipeline

    patient = upload.patient
    if upload.order_id is not None:
        # The order may have moved on since the upload began (uploads live for hours): a design
        # only while in design, a file for the thread only while the order is open.
        _order_files().upload_target(
            actor, upload.order_id, for_message=upload.kind != RecordItemKind.DESIGN
        )
    fmt = validated["format"] if validated else upload.format
    kind = upload.kind or (validated or {}).get("kind") or formats.kind_for(fmt)
    if kind not in RecordItemKind.values:
        kind = formats.kind_for(fmt)
    item = upload.item
    if item is None:
        item = RecordItem(patient=patient, kind=kind, created_by=actor.user)
        item.save(force_insert=True)
        number, title, text, taken_on = 1, upload.title, "", None
        record(
            AuditAction.RECORD_ITEM_CREATED,
            principal=actor,
            patient=patient,
            target=item,
            data={"kind": kind},
        )
    else:
        current = patients_access.record_item_current_version(item)
        number = current.number + 1
        title, text, taken_on = upload.title or current.title, current.text, current.taken_on
    if not title:
        title = _("%(kind)s of %(date)s") % {
            "kind": RecordItemKind(item.kind).label,
            "date": timezone.localdate().isoformat(),
        }
    version = RecordItemVersion(
        item=item, number=number, title=title[:200], text=text, taken_on=taken_on,
        author=actor.user,
    )  # fmt: skip
    version.save(force_insert=True)
    asset = Asset(
        organization=upload.organization,
        patient=patient,
        item=item,
        version=version,
        role=AssetRole.ORIGINAL,
        filename=_generated_name(patient, item.kind, number, fmt),
        original_name=upload.filename,
        format=fmt,
        jaw=upload.jaw,
        media_type=formats.media_type_for(fmt),
        size=upload.length,
        parts=upload.parts,
        region=upload.region,
        patient_key=upload.patient_key,
        step="queued",
        created_by=actor.user,
    )
    if validated:
        pipeline.apply_validation(asset, validated)
        asset.sha256 = validated["sha256"]
    asset.save(force_insert=True)
    upload.status = UploadStatus.COMPLETE
    upload.asset = asset
    record(
        AuditAction.FILE_UPLOADED,
        principal=actor,
        patient=patient,
        target=asset,
        data={"item": str(item.public_id), "version": number, "size": upload.length},
    )
    if upload.order_id is not None:
        _order_files().upload_received(actor, upload.order_id, item, title=upload.title)
    expected = upload.sha256_expected
    transaction.on_commit(lambda: pipeline.start(asset.pk, expected_sha256=expected))
    return asset


def upload_cancel(*, actor: Principal, upload_id) -> None:
    """tus termination: the parts are deleted and the upload is gone."""
    upload = access.upload_access(actor, upload_id)
    if upload.status != UploadStatus.RECEIVING:
        raise NotFound()
    with transaction.atomic():
        _discard(upload)
        record(
            AuditAction.FILE_UPLOAD_CANCELLED,
            principal=actor,
            patient=upload.patient,
            target=upload,
            data={"received": upload.offset},
        )


def uploads_expire() -> int:
    """Scheduled: unfinished uploads past their expiry lose their parts (FIL-1)."""
    count = 0
    for upload in access.uploads_expired(SystemActor(Purpose.UPLOAD_CLEANUP), timezone.now()):
        with transaction.atomic():
            _discard(upload)
            record(
                AuditAction.FILE_UPLOAD_CANCELLED,
                organization=upload.organization,
                patient=upload.patient,
                target=upload,
                reason="expired",
                data={"received": upload.offset},
            )
        count += 1
    return count
