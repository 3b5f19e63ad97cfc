"""Erasure of a patient's data (PRV-3, PRV-5), within legal limits, with a receipt.

What the law makes the practice keep decides what goes:

* **A legal hold** (litigation, an authority, a tax audit) keeps everything until it is lifted.
* **The medical archive period** (the processing register's ``medical_archive`` rule for the
  practice's country, counted from the record's last change) keeps the medical record — notes,
  files, prescriptions — but only as a closed archive copy the owner opens for a stated purpose.
  Everything else goes now: the live record, previews, the copies labs received, portal access
  and the portal account, care-team access, unfinished uploads.
* **Nothing holding** — everything goes: rows, files (blobs deleted and the patient's keys
  destroyed, so no copy in any backup can be read), previews, lab copies, the portal account.
  What stays is what accountability and other laws need, and it names nobody: the orders as
  business records (ORD-6) without their free text, the audit log (random ids only), the
  request itself without the requester's name or address, and this erasure's record.

Every erasure is written to ``ErasureRecord`` and appended to the erasure log outside the
database (``ERASURE_LOG``): after restoring a backup taken before it, ``manage.py
replay_erasures`` erases again what the backup brought back.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dentalbridge.core.errors import Conflict, ValidationFailed
from dentalbridge.files import access as files_access
from dentalbridge.files import blobs
from dentalbridge.files.models import AssetRole, UploadStatus
from dentalbridge.gdpr import access, purposes
from dentalbridge.gdpr.models import ErasureRecord, HoldKind, LegalHold, RequestKind
from dentalbridge.orders import access as orders_access
from dentalbridge.patients import access as patients_access
from dentalbridge.privacy.audit import AuditAction, record
from dentalbridge.privacy.policy import Perm
from dentalbridge.privacy.principal import Purpose, SystemActor

log = logging.getLogger(__name__)

FULL = "erased"
ARCHIVED = "archived"
HELD = "held"


@dataclass
class Plan:
    mode: str
    holds: list = field(default_factory=list)
    archive_until: object = None  # a date, for ARCHIVED


def plan(patient, holds: list) -> Plan:
    """What an erasure of ``patient`` does, given its active legal ``holds`` (as the caller may
    read them: ``access.legal_holds_of`` for the person handling the request, or the erasure's
    own ``access.active_holds_of_patient``)."""
    if holds:
        return Plan(mode=HELD, holds=holds)
    period = purposes.retention_period("medical_archive", str(patient.organization.country))
    last_change = timezone.localdate(patients_access.patient_last_change(patient))
    until = period.after(last_change)
    if until > timezone.localdate():
        return Plan(mode=ARCHIVED, archive_until=until)
    return Plan(mode=FULL)


# --- Legal holds ------------------------------------------------------------------------------
def hold_place(*, actor, patient_id, kind: str, reason: str) -> LegalHold:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why the record must be kept."))
    patient = patients_access.patient_access(
        actor, patient_id, Perm.PATIENT_VIEW, reason="legal hold"
    )
    if not actor.may(Perm.DATA_REQUEST_HANDLE):
        from dentalbridge.core.errors import Forbidden

        raise Forbidden()
    with transaction.atomic():
        hold = LegalHold(
            organization=patient.organization,
            patient=patient,
            kind=HoldKind(kind),
            reason=reason[:500],
            placed_by=actor.user,
        )
        hold.save()
        record(
            AuditAction.LEGAL_HOLD_PLACED,
            principal=actor,
            patient=patient,
            target=hold,
            reason=hold.reason,
            data={"kind": hold.kind},
        )
    return hold


def hold_lift(*, actor, patient_id, hold_id, reason: str) -> LegalHold:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why the hold ends."))
    patient, hold = access.legal_hold_access(actor, patient_id, hold_id)
    if hold.lifted_at is not None:
        raise Conflict(_("This hold was lifted already."), code="lifted_already")
    with transaction.atomic():
        hold.lifted_at = timezone.now()
        hold.lifted_by = actor.user
        hold.lift_reason = reason[:500]
        hold.save(update_fields=["lifted_at", "lifted_by", "lift_reason", "updated_at"])
        record(
            AuditAction.LEGAL_HOLD_LIFTED,
            principal=actor,
            patient=patient,
            target=hold,
            reason=hold.lift_reason,
        )
    return hold


# --- Erasure ----------------------------------------------------------------------------------
def _blob_entries(assets) -> list[dict]:
    return [{"region": a.region, "parts": [p["name"] for p in a.parts]} for a in assets if a.parts]


def _delete_blobs(entries: list[dict]) -> int:
    """Delete stored objects; a failure is logged (the erasure log lets a replay finish it)."""
    deleted = 0
    for entry in entries:
        storage = blobs.region_storage(entry["region"])
        for name in entry["parts"]:
            try:
                storage.delete(name)
                deleted += 1
            except Exception:  # storage down: the record and the log still say what to delete
                log.exception("erasure: could not delete %s", name)
    return deleted


def _append_log(entry: dict) -> None:
    path = settings.ERASURE_LOG
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, sort_keys=True) + "\n")
        handle.flush()


def _emails_to_delete(addresses: set[str]) -> int:
    """E-mails stored for the person's addresses (sent or waiting): they name her."""
    from django.db.models import Q

    from dentalbridge.messaging.models import OutgoingEmail

    if not addresses:
        return 0
    match = Q()
    for address in addresses:
        match |= Q(to__iexact=address)
    deleted, _by_model = OutgoingEmail.objects.filter(match).delete()
    return deleted


def _erase_rest(system: SystemActor, patient) -> tuple[list, list[dict], list[str]]:
    """What goes even while the medical record must be kept: (deleted user ids, blob entries,
    what was erased in words)."""
    assets, uploads, _keys = files_access.files_of_patient(system, patient)
    derived = [a for a in assets if a.role in (AssetRole.PREVIEW, AssetRole.THUMBNAIL)]
    copies = files_access.shares_of_patient_delete(patient)
    files_access.assets_delete(derived)
    unfinished = [u for u in uploads if u.status == UploadStatus.RECEIVING]
    entries = _blob_entries(derived) + _blob_entries(copies) + _blob_entries(unfinished)
    users = patients_access.patient_portal_users(patient)
    addresses = {a.lower() for a in [patient.email, *(u.email for u in users)] if a}
    _emails_to_delete(addresses)
    patients_access.portal_links_delete(patient)
    deleted_users = []
    for user in users:
        if patients_access.user_is_only_a_patient_of(user, patient):
            deleted_users.append(str(user.public_id))
            user.delete()
    erased = [
        _("previews and thumbnails (%(n)d)") % {"n": len(derived)},
        _("copies sent to laboratories (%(n)d)") % {"n": len(copies)},
        _("unfinished uploads (%(n)d)") % {"n": len(unfinished)},
        _("portal access, invitations and care-team access"),
    ]
    if deleted_users:
        erased.append(_("the portal account"))
    return deleted_users, entries, erased


INSTRUCTION_DAYS = 30


def _instruct_labs(system: SystemActor, patient, request) -> list:
    """PRV-4: each lab that received the case deletes it from its own systems within 30 days."""
    from datetime import timedelta

    from dentalbridge.gdpr.models import DeletionInstruction

    due = timezone.now() + timedelta(days=INSTRUCTION_DAYS)
    instructing = SystemActor(Purpose.DELETION_INSTRUCTIONS, on_behalf_of=system.on_behalf_of)
    made = []
    for lab, references in access.labs_of_patient(instructing, patient).items():
        made.append(
            DeletionInstruction.objects.create(
                practice=patient.organization,
                lab=lab,
                pseudonym=patient.pseudonym,
                order_references=sorted(references),
                request_reference=request.reference if request else "",
                due_at=due,
            )
        )
    for instruction in made:
        _tell_lab(instruction)
    return made


def _tell_lab(instruction, stage: str = "") -> None:
    from django.urls import reverse

    from dentalbridge.gdpr.requests import handlers_of
    from dentalbridge.messaging.models import NotificationEvent
    from dentalbridge.messaging.notifications import notify_about

    managers = handlers_of(instruction.lab, Perm.DATA_REQUEST_FORWARD)

    def text():
        values = {
            "practice": instruction.practice.name,
            "pseudonym": instruction.pseudonym,
            "date": timezone.localdate(instruction.due_at).isoformat(),
        }
        if stage == "overdue":
            return _("Overdue: delete case %(pseudonym)s of %(practice)s (due %(date)s).") % values
        return _("%(practice)s asks you to delete case %(pseudonym)s by %(date)s.") % values

    notify_about(
        event=NotificationEvent.DATA_REQUEST,
        organization=instruction.lab,
        recipients=managers,
        text=text,
        link=reverse("deletion_instructions"),
    )


def instruction_done(*, actor, instruction_id, note: str = ""):
    """The lab confirms it deleted the case from its own systems."""
    from dentalbridge.core.errors import NotFound
    from dentalbridge.gdpr.models import DeletionInstruction

    organization = actor.organization
    if organization is None or not actor.may(Perm.DATA_REQUEST_FORWARD):
        raise NotFound()
    with transaction.atomic():
        instruction = (
            DeletionInstruction.objects.select_for_update()
            .filter(lab=organization, public_id=instruction_id)
            .first()
        )
        if instruction is None:
            raise NotFound()
        if instruction.done_at is not None:
            raise Conflict(_("Confirmed already."), code="done_already")
        instruction.done_at = timezone.now()
        instruction.done_by = actor.user
        instruction.note = (note or "").strip()[:500]
        instruction.save()
        record(
            AuditAction.DELETION_CONFIRMED,
            principal=actor,
            target=instruction,
            data={"practice": str(instruction.practice.public_id), "late": instruction.overdue},
        )
    return instruction


def instruction_reminders(now=None) -> int:
    """Remind labs of instructions due within a week, and once overdue."""
    from dentalbridge.gdpr.models import DeletionInstruction

    now = now or timezone.now()
    sent = 0
    from datetime import timedelta

    for instruction in DeletionInstruction.objects.filter(
        done_at=None, due_at__lte=now + timedelta(days=7)
    ).select_related("lab", "practice"):
        stage = "overdue" if instruction.due_at <= now else "week"
        if stage in instruction.reminders:
            continue
        instruction.reminders = [*instruction.reminders, stage]
        instruction.save(update_fields=["reminders", "updated_at"])
        _tell_lab(instruction, stage)
        sent += 1
    return sent


def _execute(system: SystemActor, patient, mode: str, *, archive_until=None, request=None) -> dict:
    """Erase by ``mode``; returns the receipt. Runs inside the caller's transaction; ``system``
    names the erasure and the person who carries it out (none for a replay)."""
    from dentalbridge.files import retention as file_retention
    from dentalbridge.patients.retention import archive_record

    country = str(patient.organization.country)
    receipt: dict = {"mode": mode, "erased": [], "kept": [], "blobs": []}
    instructions = _instruct_labs(system, patient, request)
    if instructions:
        receipt["erased"].append(
            _("instructions to %(n)d laboratories to delete the case from their own systems")
            % {"n": len(instructions)}
        )
    deleted_users, entries, erased = _erase_rest(system, patient)
    receipt["erased"] += erased
    receipt["users"] = deleted_users
    receipt["blobs"] += entries
    orders = orders_access.orders_of_patient_anonymize(patient)
    if orders:
        receipt["erased"].append(_("the free text of %(n)d orders") % {"n": orders})
        receipt["kept"].append(
            {
                "what": _("%(n)d orders, as business records (references, dates, technical data)")
                % {"n": orders},
                "why": str(purposes.RETENTION["orders"].reason),
                "until": str(purposes.retention_period("orders", country)),
            }
        )
    if mode == ARCHIVED:
        archive_record(patient, keep_until=archive_until, reason="erasure request", system=system)
        receipt["erased"].append(_("the record from the practice's daily use"))
        receipt["kept"].append(
            {
                "what": _("the medical record (notes, files, prescriptions) as a closed archive"),
                "why": str(purposes.RETENTION["medical_archive"].reason),
                "until": archive_until.isoformat(),
            }
        )
        return receipt
    assets, uploads, keys = files_access.files_of_patient(system, patient)
    receipt["blobs"] += _blob_entries(assets) + _blob_entries(
        [u for u in uploads if u.status == UploadStatus.RECEIVING]
    )
    for archive in patients_access.archives_of_patient(system, patient.public_id):
        file_retention.shred_archived_files(archive, system=system)
        archive.delete()
    # Earlier requests lose their contact details now; this one once its receipt is sent.
    access.data_requests_of_patient_anonymize(patient, except_request=request)
    patients_access.patient_erase_row(patient)
    files_access.patient_keys_delete(keys)
    receipt["erased"] += [
        _("identity and contact details"),
        _("the dental record: %(n)d files and every note, with their versions")
        % {"n": len(assets)},
        _("the encryption keys of the files (no copy, in any backup, can be read any more)"),
    ]
    receipt["kept"] += [
        {
            "what": _("the audit log of who accessed the record, naming nobody (a random id)"),
            "why": str(purposes.RETENTION["security_log"].reason),
            "until": str(purposes.retention_period("security_log", country)),
        },
        {
            "what": _("this request and its answer, without your name or address"),
            "why": str(purposes.RETENTION["request_records"].reason),
            "until": str(purposes.retention_period("request_records", country)),
        },
    ]
    return receipt


def _finish(patient_ref, organization, receipt: dict, *, actor=None, request=None) -> None:
    entry = ErasureRecord.objects.create(
        organization_id=organization.public_id, patient_ref=patient_ref, receipt=receipt
    )
    record(
        AuditAction.PATIENT_ERASED,
        principal=actor,
        organization=organization,
        target=entry,
        data={
            "patient": str(patient_ref),
            "mode": receipt["mode"],
            "request": request.reference if request else "",
            "blobs": sum(len(e["parts"]) for e in receipt["blobs"]),
        },
    )
    line = {
        "id": str(entry.public_id),
        "at": entry.executed_at.isoformat(),
        "organization": str(organization.public_id),
        "patient": str(patient_ref),
        "mode": receipt["mode"],
        "users": receipt.get("users", []),
        "blobs": receipt["blobs"],
    }

    def after_commit() -> None:
        _append_log(line)
        _delete_blobs(line["blobs"])

    transaction.on_commit(after_commit)


def erase_for_request(*, actor, request_id) -> dict:
    """Carry out an erasure request about a patient; answers it with the receipt."""
    from dentalbridge.gdpr import requests

    with transaction.atomic():
        request = access.data_request_access(actor, request_id, lock=True)
        if request.kind != RequestKind.ERASURE:
            raise Conflict(_("This is not an erasure request."), code="not_erasure")
        if request.status != "open":
            raise Conflict(_("This request is closed already."), code="not_open")
        patient = request.patient
        if patient is None:
            raise Conflict(
                _("This request names no patient record: answer it in words."), code="no_patient"
            )
        system = SystemActor(Purpose.ERASURE, on_behalf_of=actor)
        decided = plan(patient, access.active_holds_of_patient(system, patient))
        organization = patient.organization
        patient_ref = patient.public_id
        if decided.mode == HELD:
            receipt = {
                "mode": HELD,
                "erased": [],
                "kept": [
                    {"what": _("the whole record"), "why": f"{h.get_kind_display()}: {h.reason}"}
                    for h in decided.holds
                ],
                "blobs": [],
            }
        else:
            receipt = _execute(
                system,
                patient,
                decided.mode,
                archive_until=decided.archive_until,
                request=request,
            )
        _finish(patient_ref, organization, receipt, actor=actor, request=request)
        request.refresh_from_db()
        requests.request_answer(
            actor=actor,
            request_id=request.public_id,
            answer=receipt_letter(receipt),
            refused=decided.mode == HELD,
            outcome={"erasure": {k: receipt[k] for k in ("mode", "erased", "kept")}},
            erase_contact_after_sending=decided.mode == FULL,
        )
    return receipt


def receipt_letter(receipt: dict) -> str:
    lines = []
    if receipt["mode"] == HELD:
        lines.append(_("We cannot erase your data now: a legal hold requires us to keep it."))
    elif receipt["mode"] == ARCHIVED:
        lines.append(
            _(
                "We erased what the law lets us erase. The law requires the practice to keep "
                "your medical record for a period; it is now closed and kept apart."
            )
        )
    else:
        lines.append(_("We erased your data."))
    if receipt["erased"]:
        lines.append("")
        lines.append(_("Erased:"))
        lines += [f"- {what}" for what in receipt["erased"]]
    if receipt["kept"]:
        lines.append("")
        lines.append(_("Kept, and why:"))
        lines += [
            f"- {k['what']} — {k['why']}" + (f" ({k['until']})" if k.get("until") else "")
            for k in receipt["kept"]
        ]
    return "\n".join(lines)


# --- Replay after a restore -------------------------------------------------------------------
def replay(since=None) -> dict:
    """Erase again what a restored backup brought back, from the erasure log."""
    path = settings.ERASURE_LOG
    done = {"patients": 0, "users": 0, "blobs": 0, "lines": 0}
    if not path.exists():
        return done
    from django.contrib.auth import get_user_model

    system = SystemActor(Purpose.ERASURE)
    for text in path.read_text(encoding="utf-8").splitlines():
        if not text.strip():
            continue
        line = json.loads(text)
        done["lines"] += 1
        if since and line["at"] < since:
            continue
        with transaction.atomic():
            patient = (
                patients_access.patient_by_ref(system, line["patient"])
                if line.get("patient")
                else None
            )
            if patient is not None:
                mode = line["mode"]
                if mode == HELD:
                    continue
                until = None
                if mode == ARCHIVED:
                    decided = plan(patient, access.active_holds_of_patient(system, patient))
                    mode = decided.mode if decided.mode != HELD else ARCHIVED
                    until = decided.archive_until
                _execute(system, patient, mode, archive_until=until)
                record(
                    AuditAction.PATIENT_ERASED,
                    organization=patient.organization,
                    data={"patient": line["patient"], "mode": mode, "replay": line["id"]},
                )
                done["patients"] += 1
            for user_ref in line.get("users", []):
                gone, _by_model = get_user_model().objects.filter(public_id=user_ref).delete()
                done["users"] += bool(gone)
        done["blobs"] += _delete_blobs(line.get("blobs", []))
    return done
