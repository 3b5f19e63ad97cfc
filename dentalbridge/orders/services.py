"""Writes on orders (ORD-1…ORD-8): drafting a prescription, sending it, every step of the lab's
workflow, assignments, the return date, the thread, remakes. Each takes the ``actor``, goes
through the access layer and records what it did in the audit log, in one transaction."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from uuid import UUID

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from dentalbridge.accounts.models import User
from dentalbridge.core.codes import random_code
from dentalbridge.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from dentalbridge.core.text import Text
from dentalbridge.messaging import notifications
from dentalbridge.messaging.models import NotificationEvent
from dentalbridge.orders import access, selectors, workflow
from dentalbridge.orders import teeth as fdi
from dentalbridge.orders.lab_view import OrderForLab
from dentalbridge.orders.models import (
    DEFAULT_REMAKE_POLICY,
    AssignmentKind,
    AttachmentKind,
    CostBearer,
    ImplantManufacturer,
    ImplantPlatform,
    ImplantSystem,
    LabClosure,
    LabProduct,
    LabSettings,
    MessageKind,
    Order,
    OrderAssignment,
    OrderAttachment,
    OrderItem,
    OrderMessage,
    RemakeReason,
)
from dentalbridge.orders.prescription import (
    SHADES,
    Arch,
    Material,
    RestorationType,
    needs_for,
    order_missing,
)
from dentalbridge.orders.workflow import OrderState, Transition
from dentalbridge.organizations import selectors as org_selectors
from dentalbridge.organizations.models import Membership, Organization, Role
from dentalbridge.patients import access as patients_access
from dentalbridge.patients.models import Patient, RecordItem
from dentalbridge.privacy.audit import AuditAction, PatientRef, record
from dentalbridge.privacy.policy import Perm
from dentalbridge.privacy.principal import Principal, Purpose, SystemActor

MAX_ITEMS = 32
TEXT_LIMITS = {"preparation_notes": 4000, "technical_notes": 4000}


def _new_reference() -> str:
    """e.g. ``O-7KX2-Q41M``: random, so it tells nothing about a practice's volume."""
    for _attempt in range(20):
        body = random_code(8)
        reference = f"O-{body[:4]}-{body[4:]}"
        if not access.order_reference_taken(reference):
            return reference
    raise RuntimeError("could not find a free order reference")


def _connected_lab(practice: Organization, lab_id: object) -> Organization | None:
    if lab_id in (None, ""):
        return None
    lab = org_selectors.connected_lab(practice, _uuid(lab_id, "lab"))
    if lab is None:
        raise ValidationFailed(
            _("Choose a lab your practice is connected with."),
            fields={"lab": [_("Not a connected lab.")]},
        )
    return lab


def _uuid(value: object, field: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise ValidationFailed(
            _("Please correct the highlighted fields."), fields={field: [_("Not an id.")]}
        ) from None


def _practice_order(
    actor: Principal, order_id: UUID | str, perm: Perm = Perm.ORDER_PRESCRIBE
) -> Order:
    """An order of the actor's practice (for the lab, the practice's pages do not exist)."""
    order = access.order_row(actor, order_id, Perm.ORDER_VIEW)
    if order.side != "practice":
        raise NotFound()
    if not actor.may(perm):
        raise Forbidden()
    return order


def practice_draft(*, actor: Principal, order_id: UUID | str) -> Order:
    """An order of the actor's practice, for the editor (which sends a sent order to its page)."""
    return _practice_order(actor, order_id)


# --- Drafting (ORD-1) ---------------------------------------------------------------------------


def order_create(
    *,
    actor: Principal,
    patient_id: UUID | str,
    lab_id: UUID | str | None = None,
    remake_of: Order | None = None,
) -> Order:
    """A new draft order for a patient of the practice (optionally for a lab already)."""
    patient = access.prescribing_patient(actor, patient_id)
    lab = _connected_lab(patient.organization, lab_id)
    with transaction.atomic():
        order = Order(
            reference=_new_reference(),
            practice=patient.organization,
            lab=lab,
            patient=patient,
            pseudonym=patient.pseudonym,
            created_by=actor.user,
            state_changed_at=timezone.now(),
        )
        order.save(force_insert=True)
        record(
            AuditAction.ORDER_CREATED,
            principal=actor,
            patient=patient,
            target=order,
            data={"lab": str(lab.public_id) if lab else ""},
        )
    return order


def _due_date(value: object) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value
    try:
        parsed = parse_date(str(value))
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            fields={"due_date": [_("Give a date as YYYY-MM-DD.")]},
        )
    return parsed


def _platform(
    value: object,
    system_value: object,
    errors: dict[str, list[str]],
    key: str,
    lab: Organization | None,
) -> ImplantPlatform | None:
    if value in (None, ""):
        if system_value not in (None, ""):
            errors[f"{key}.implant_platform"] = [_("Choose the platform of the implant system.")]
        return None
    try:
        platform = selectors.implant_platform(value, lab=lab)
    except (NotFound, ValidationFailed):
        errors[f"{key}.implant_platform"] = [_("Choose a platform from the implant library.")]
        return None
    if system_value not in (None, "") and str(platform.system.public_id) != str(system_value):
        errors[f"{key}.implant_platform"] = [
            _("The platform %(platform)s belongs to %(system)s, not to the system you chose.")
            % {"platform": platform.name, "system": platform.system}
        ]
        return None
    return platform


def _clean_items(
    raw_items: object, lab: Organization | None
) -> tuple[list[OrderItem], dict[str, list[str]]]:
    """Order items from input dicts: each value checked (FDI numbers, vocabularies, the implant
    library), but not yet for completeness — a draft may be half-filled."""
    if not isinstance(raw_items, list | tuple):
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            fields={"items": [_("Give the restorations as a list.")]},
        )
    if len(raw_items) > MAX_ITEMS:
        raise ValidationFailed(
            _("An order holds at most %(n)d restorations.") % {"n": MAX_ITEMS},
            fields={"items": [_("Too many restorations.")]},
        )
    errors: dict[str, list[str]] = {}
    items: list[OrderItem] = []
    for n, raw in enumerate(raw_items, start=1):
        key = f"items.{n}"
        if not isinstance(raw, dict):
            errors[key] = [_("Not a restoration.")]
            continue
        item = OrderItem(position=n)
        kind = str(raw.get("restoration_type") or "")
        if kind not in RestorationType.values:
            errors[f"{key}.restoration_type"] = [_("Choose a type from the list.")]
        item.restoration_type = kind
        for field in ("teeth", "pontics"):
            try:
                setattr(item, field, fdi.parse_teeth(raw.get(field) or [], field=f"{key}.{field}"))
            except ValidationFailed as error:
                errors.update(error.fields)
        if kind in RestorationType.values and not needs_for(kind).pontics:
            item.pontics = []  # a chart left filled while the type changed: not this item's
        if item.pontics and not set(item.pontics) <= set(item.teeth):
            errors[f"{key}.pontics"] = [_("A pontic must be one of the bridge's teeth.")]
        arch = str(raw.get("arch") or "")
        if arch not in Arch.values:
            errors[f"{key}.arch"] = [_("Choose upper, lower or both jaws.")]
        item.arch = arch
        material = str(raw.get("material") or "")
        if material and material not in Material.values:
            errors[f"{key}.material"] = [_("Choose a material from the list.")]
        elif material and lab is not None and kind in RestorationType.values:
            offered = selectors.lab_materials(lab, kind)
            if offered is not None and material not in offered:
                errors[f"{key}.material"] = [
                    _("%(lab)s does not offer %(type)s in %(material)s.")
                    % {
                        "lab": lab.name,
                        "type": RestorationType(kind).label.lower(),
                        "material": Material(material).label,
                    }
                ]
        item.material = material
        shade = str(raw.get("shade") or "").strip().upper().replace(",", ".")
        if shade and shade not in {s.upper() for s in SHADES}:
            errors[f"{key}.shade"] = [_("Not a VITA classical or 3D-Master shade.")]
        item.shade = next((s for s in SHADES if s.upper() == shade), "")
        item.implant_platform = _platform(
            raw.get("implant_platform"), raw.get("implant_system"), errors, key, lab
        )
        notes = str(raw.get("notes") or "").strip()
        if len(notes) > 1000:
            errors[f"{key}.notes"] = [_("At most %(limit)d characters.") % {"limit": 1000}]
        item.notes = notes
        items.append(item)
    return items, errors


def order_save_draft(
    *, actor: Principal, order_id: UUID | str, data: Mapping[str, object]
) -> Order:
    """Save what the prescription says so far (drafts are saved as one types). Every value is
    checked; nothing is saved unless all are valid. Completeness is checked on sending.

    The order's row is locked first: the page's autosave and a click on "Add a restoration" can
    arrive together, and two unlocked replacements of the items would both insert (PostgreSQL
    reads committed rows, so neither delete sees the other's insert) and leave the draft with
    both sets."""
    order = _practice_order(actor, order_id)
    with transaction.atomic():
        return _save_draft(actor, access.order_locked(order), data)


def _save_draft(actor: Principal, order: Order, data: Mapping[str, object]) -> Order:
    if order.state != OrderState.DRAFT:
        raise Conflict(_("Only a draft can be edited; this order was sent."), code="not_draft")
    errors: dict[str, list[str]] = {}
    changed: list[str] = []
    lab = order.lab
    if "lab" in data:
        try:
            lab = _connected_lab(order.practice, data.get("lab"))
        except ValidationFailed as error:
            errors.update(error.fields)
        if lab != order.lab:
            order.lab = lab
            changed.append("lab")
    if "due_date" in data:
        try:
            due = _due_date(data.get("due_date"))
        except ValidationFailed as error:
            errors.update(error.fields)
        else:
            if due is not None and due < timezone.localdate():
                errors["due_date"] = [_("Choose a date from today on.")]
            elif due != order.due_date:
                order.due_date = due
                changed.append("due_date")
    for field, limit in TEXT_LIMITS.items():
        if field in data:
            text = str(data.get(field) or "").strip()
            if len(text) > limit:
                errors[field] = [_("At most %(limit)d characters.") % {"limit": limit}]
            elif text != getattr(order, field):
                setattr(order, field, text)
                changed.append(field)
    if "requires_approval" in data:
        wanted = data.get("requires_approval") in (True, "true", "on", "1", 1)
        if wanted != order.requires_approval:
            order.requires_approval = wanted
            changed.append("requires_approval")
    items: list[OrderItem] | None = None
    if "items" in data:
        items, item_errors = _clean_items(data.get("items"), lab)
        errors.update(item_errors)
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=errors)
    if changed:
        order.save(update_fields=[*changed, "updated_at"])
    if items is not None:
        access.order_items_replace(order, items)
        changed.append("items")
    if changed:
        record(
            AuditAction.ORDER_UPDATED,
            principal=actor,
            patient=_patient_of(order),
            target=order,
            data={"fields": ",".join(changed)},
        )
    return order


@dataclass(frozen=True)
class DraftUpdate:
    """What ``order_draft_update`` did: the saved draft, whether it was sent, and if sending was
    asked for but refused (an incomplete prescription, a role that may not send), why."""

    order: Order
    sent: bool = False
    not_sent: DomainError | None = None


def order_draft_update(
    *,
    actor: Principal,
    order_id: UUID | str,
    data: Mapping[str, object],
    attachments: list[str] | None = None,
    submit: bool = False,
) -> DraftUpdate:
    """One edit of a prescription, as the page and the API make it: save what it says, make its
    attached record items exactly ``attachments`` (when given), and send it if asked — in one
    transaction under the order's row lock, so a failure saves nothing half (ORD-1, ORD-2).

    Sending that is refused (``ValidationFailed`` for what is missing, ``Forbidden`` for an
    assistant, who prepares an order a dentist sends) leaves the draft saved: it is answered in
    ``not_sent``, not raised. Anything else that fails — a value not valid, an order no longer a
    draft — raises and saves nothing."""
    with transaction.atomic():
        # The save is the autosave's own service, under the same row lock (taken here, kept to
        # the end of this transaction).
        order = order_save_draft(actor=actor, order_id=order_id, data=data)
        if attachments is not None:
            _attachments_set(actor, order, attachments)
        if not submit:
            return DraftUpdate(order=order)
        try:
            with transaction.atomic():  # a refused sending undoes only itself
                order_transition(
                    actor=actor, order_id=order.public_id, transition=Transition.SUBMIT
                )
        except (ValidationFailed, Forbidden) as refused:
            return DraftUpdate(order=order, not_sent=refused)
    return DraftUpdate(order=order, sent=True)


def _attachments_set(actor: Principal, order: Order, wanted: list[str]) -> None:
    """The draft's prescription attachments become the record items ``wanted`` (public ids)."""
    wanted_ids = {str(item_id) for item_id in wanted}
    for attachment in access.order_attachments(order):
        if attachment.kind != AttachmentKind.PRESCRIPTION:
            continue
        item_id = str(attachment.item.public_id)
        if item_id not in wanted_ids:
            order_detach(actor=actor, order_id=order.public_id, attachment_id=attachment.public_id)
        wanted_ids.discard(item_id)
    for item_id in sorted(wanted_ids):
        order_attach(actor=actor, order_id=order.public_id, item_id=item_id)


def order_attach(*, actor: Principal, order_id: UUID | str, item_id: UUID | str) -> OrderAttachment:
    """Send a record item's files with the order (the patient's scans, photos, CBCT)."""
    order = _practice_order(actor, order_id)
    if order.state not in (OrderState.DRAFT, OrderState.INFO_REQUESTED):
        raise Conflict(
            _("Files can be added while the order is a draft or the lab asks for information."),
            code="attachments_closed",
        )
    patient = access.order_patient(order)
    if patient is None:
        raise NotFound()
    try:
        item = patients_access.record_item_of(patient, item_id)
    except NotFound:
        raise ValidationFailed(
            _("That file is not in this patient's record."),
            fields={"item": [_("Choose a file of this patient.")]},
        ) from None
    existing = next((a for a in access.order_attachments(order) if a.item_id == item.pk), None)
    if existing is not None:
        return existing
    with transaction.atomic():
        attachment = OrderAttachment(
            order=order, item=item, kind=AttachmentKind.PRESCRIPTION, added_by=actor.user
        )
        attachment.save(force_insert=True)
        if order.state != OrderState.DRAFT:
            _share(actor, order, attachment, patient)
        record(
            AuditAction.ORDER_FILE_ATTACHED,
            principal=actor,
            patient=patient,
            target=order,
            data={"item": str(item.public_id)},
        )
    return attachment


def order_detach(*, actor: Principal, order_id: UUID | str, attachment_id: UUID | str) -> None:
    order = _practice_order(actor, order_id)
    if order.state != OrderState.DRAFT:
        raise Conflict(_("Files of a sent order stay with it."), code="attachments_closed")
    attachment = next(
        (a for a in access.order_attachments(order) if str(a.public_id) == str(attachment_id)),
        None,
    )
    if attachment is None or attachment.kind != AttachmentKind.PRESCRIPTION:
        raise NotFound()
    with transaction.atomic():
        access.order_attachment_delete(attachment)
        record(
            AuditAction.ORDER_FILE_DETACHED,
            principal=actor,
            patient=_patient_of(order),
            target=order,
            data={"item": str(attachment.item.public_id)},
        )


def _share(actor: Principal, order: Order, attachment: OrderAttachment, patient: Patient) -> None:
    """The lab receives the attachment's anonymized files through a share tied to the order."""
    from dentalbridge.files.models import Share

    lab = selectors.order_lab(order)
    if not org_selectors.is_connected(order.practice, lab):
        raise Conflict(
            _("Your practice is no longer connected with %(lab)s: no files go there.")
            % {"lab": lab.name},
            code="not_connected",
        )
    share = Share(
        item=attachment.item,
        patient=patient,
        practice=order.practice,
        lab=lab,
        note=_("Order %(reference)s") % {"reference": order.reference},
        shared_by=actor.user,
    )
    share.save(force_insert=True)
    attachment.share = share
    attachment.save(update_fields=["share", "updated_at"])
    record(
        AuditAction.FILES_SHARED,
        principal=actor,
        patient=patient,
        target=attachment.item,
        data={
            "lab": str(lab.public_id),
            "share": str(share.public_id),
            "order": order.reference,
        },
    )


def _record_patient(actor: Principal, order: Order) -> Patient:
    """The patient whose record a file on the order joins (a system read on the actor's behalf).
    None only if the patient was purged since the file was let in: then no record is left for
    it, which ``access.lab_upload_target`` answers with NotFound too."""
    patient = access.order_patient_for_lab_upload(SystemActor(Purpose.LAB_UPLOAD, actor), order)
    if patient is None:
        raise NotFound()
    return patient


def _attach_for_message(actor: Principal, order: Order, item: RecordItem) -> OrderAttachment:
    """The item goes with the order (once) and the lab receives it through a share."""
    existing = next((a for a in access.order_attachments(order) if a.item_id == item.pk), None)
    if existing is not None and existing.share is not None and existing.share.revoked_at is None:
        return existing
    patient = _record_patient(actor, order)
    attachment = existing or OrderAttachment(
        order=order, item=item, kind=AttachmentKind.MESSAGE, added_by=actor.user
    )
    if existing is None:
        attachment.save(force_insert=True)
    _share(actor, order, attachment, patient)
    record(
        AuditAction.ORDER_FILE_ATTACHED,
        principal=actor,
        patient=_patient_of(order),
        target=order,
        data={"item": str(item.public_id), "kind": attachment.kind},
    )
    return attachment


def order_file_received(
    *, actor: Principal, order_id: UUID | str, item: RecordItem, title: str = ""
) -> OrderMessage:
    """A file the lab uploaded for the practice (a photo of a try-in, a document): it joins the
    order and the thread says so."""
    order = access.order_row(actor, order_id, Perm.ORDER_WORK)
    patient = _record_patient(actor, order)
    attachment = OrderAttachment(
        order=order, item=item, kind=AttachmentKind.MESSAGE, added_by=actor.user
    )
    attachment.save(force_insert=True)
    _share(actor, order, attachment, patient)
    message = _post(actor, order, title or _("Sent a file."), attachment=item)
    _notify(actor, order, NotificationEvent.ORDER_MESSAGE, "practice")
    record(
        AuditAction.ORDER_FILE_ATTACHED,
        principal=actor,
        patient=_patient_of(order),
        target=order,
        data={"item": str(item.public_id), "kind": AttachmentKind.MESSAGE},
    )
    return message


def order_design_received(
    *, actor: Principal, order_id: UUID | str, item: RecordItem
) -> OrderAttachment:
    """A design file uploaded by the lab became a record item (files pipeline): it joins the
    order as a design and the lab keeps seeing its anonymized copy through a share (ORD-3)."""
    order = access.order_row(actor, order_id, Perm.ORDER_WORK)
    patient = _record_patient(actor, order)
    attachment = OrderAttachment(
        order=order, item=item, kind=AttachmentKind.DESIGN, added_by=actor.user
    )
    attachment.save(force_insert=True)
    _share(actor, order, attachment, patient)
    record(
        AuditAction.ORDER_FILE_ATTACHED,
        principal=actor,
        patient=_patient_of(order),
        target=order,
        data={"item": str(item.public_id), "kind": AttachmentKind.DESIGN},
    )
    return attachment


def _end_shares(order: Order) -> None:
    now = timezone.now()
    for attachment in access.order_attachments(order):
        share = attachment.share
        if share is not None and share.revoked_at is None:
            share.revoked_at = now
            share.save(update_fields=["revoked_at", "updated_at"])


def submit_problems(order: Order, items: list[OrderItem] | None = None) -> dict[str, str]:
    """What stops this draft from being sent: incomplete fields, a closed or past due date."""
    items = access.order_items(order) if items is None else items
    missing = order_missing(order, items)
    if order.due_date is not None and "due_date" not in missing:
        if order.due_date < timezone.localdate():
            missing["due_date"] = _("The date you need the work back has passed.")
        elif order.lab is not None:
            closed = selectors.lab_calendar(order.lab).closed_because(order.due_date)
            if closed:
                missing["due_date"] = _(
                    "%(lab)s is closed on %(date)s (%(why)s): choose another day."
                ) % {"lab": order.lab.name, "date": order.due_date.isoformat(), "why": closed}
    return missing


# --- The workflow (ORD-2, ORD-3) ------------------------------------------------------------------


def _check(actor: Principal, order: Order, transition: str) -> workflow.Rule:
    return workflow.check(
        transition,
        state=order.state,
        side=order.side,
        role=actor.role,
        assigned=order.assigned,
    )


def order_transition(
    *,
    actor: Principal,
    order_id: UUID | str,
    transition: str,
    reason: str = "",
    return_date: date | str | None = None,
) -> Order:
    """Move an order one step (the table in ``workflow.TRANSITIONS`` decides who may, from
    where). Steps that need a reason refuse without one; the reason goes to the order's thread."""
    order = access.order_row(actor, order_id, Perm.ORDER_VIEW)
    rule = _check(actor, order, transition)
    reason = (reason or "").strip()
    if rule.needs_reason and not reason:
        raise ValidationFailed(
            _("Please say why: the other side reads it on the order."),
            fields={"reason": [_("Required.")]},
        )
    if len(reason) > 4000:
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            fields={"reason": [_("At most %(limit)d characters.") % {"limit": 4000}]},
        )
    with transaction.atomic():
        order = access.order_locked(order)
        rule = _check(actor, order, transition)  # again, under the lock
        before = order.state
        fields = ["state", "state_changed_at", "updated_at"]
        _guard(actor, order, transition, return_date, fields)
        order.state = rule.target or order.resume_state or OrderState.SUBMITTED
        if transition == Transition.REQUEST_INFO:
            order.resume_state = before
            fields.append("resume_state")
        order.state_changed_at = timezone.now()
        if reason:
            order.status_note = reason[:1000]
            fields.append("status_note")
        order.save(update_fields=fields)
        if reason:
            _post(actor, order, reason, kind=MessageKind.STEP, transition=transition)
        _after(actor, order, transition)
        _notify_step(actor, order, transition)
        record(
            AuditAction.ORDER_STATE_CHANGED,
            principal=actor,
            patient=_patient_of(order),
            target=order,
            data={"transition": str(transition), "from": before, "to": order.state},
        )
    return order


def _patient_of(order: Order) -> PatientRef | None:
    """The patient reference the audit log keeps (a random id, never identity) — for the lab's
    actions too, so the DPO can answer "who touched this patient's data?"."""
    return access.order_audit_patient(order)


def _guard(
    actor: Principal,
    order: Order,
    transition: str,
    return_date: date | str | None,
    fields: list[str],
) -> None:
    """What a step needs besides the table: a complete prescription, a design to approve, the
    approval before manufacturing, a return date the lab can keep."""
    if transition == Transition.SUBMIT:
        missing = submit_problems(order)
        if missing:
            raise ValidationFailed(
                _("The prescription is not complete yet: %(what)s")
                % {"what": " ".join(missing.values())},
                code="prescription_incomplete",
                fields={field: [text] for field, text in missing.items()},
            )
        patient = access.order_patient(order)
        if patient is None:
            raise Conflict(_("This patient's record no longer exists."), code="patient_gone")
        if not patient.may_leave_the_practice:
            raise Conflict(
                _("This patient is a minor: record the guardian's consent before ordering."),
                code="guardian_consent_missing",
            )
        for attachment in access.order_attachments(order):
            _share(actor, order, attachment, patient)
        order.submitted_at = timezone.now()
        fields.append("submitted_at")
    elif transition == Transition.ACCEPT:
        day = _date_or_none(return_date, "return_date")
        if day is None:
            day = selectors.propose_return_date(order)
        _check_return_date(order, day)
        order.confirmed_due_date = day
        fields.append("confirmed_due_date")
    elif transition == Transition.SUBMIT_DESIGN:
        if not selectors.design_files_ready(order):
            raise Conflict(
                _("Upload the design files first; they must have finished processing."),
                code="no_design",
            )
        if not order.requires_approval:
            raise Conflict(
                _("This order does not need the practice's approval: start production."),
                code="approval_not_required",
            )
    elif transition == Transition.START_PRODUCTION and order.requires_approval:
        raise Conflict(
            _("The practice must approve the design before manufacturing starts."),
            code="approval_required",
        )


def _after(actor: Principal, order: Order, transition: str) -> None:
    """Consequences of a step: a designer's access ends with the design work; a declined or
    cancelled order takes its files back from the lab."""
    if order.state not in workflow.DESIGN_STATES | {OrderState.INFO_REQUESTED}:
        now = timezone.now()
        for assignment in access.order_assignments(order):
            if assignment.kind == AssignmentKind.DESIGNER and assignment.is_active_at(now):
                assignment.ended_at = now
                assignment.save(update_fields=["ended_at", "updated_at"])
                record(
                    AuditAction.ORDER_UNASSIGNED,
                    principal=actor,
                    patient=_patient_of(order),
                    target=order,
                    data={"assignment": str(assignment.public_id), "why": order.state},
                )
    if order.state in (OrderState.DECLINED, OrderState.CANCELLED):
        _end_shares(order)


def _date_or_none(value: object, field: str) -> date | None:
    try:
        return _due_date(value)
    except ValidationFailed:
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            fields={field: [_("Give a date as YYYY-MM-DD.")]},
        ) from None


def _check_return_date(order: Order, day: date) -> None:
    if day < timezone.localdate():
        raise ValidationFailed(
            _("The return date cannot be in the past."),
            fields={"return_date": [_("Choose a date from today on.")]},
        )
    closed = selectors.lab_calendar(selectors.order_lab(order)).closed_because(day)
    if closed:
        raise ValidationFailed(
            _("Your lab is closed on %(date)s (%(why)s).")
            % {"date": day.isoformat(), "why": closed},
            fields={"return_date": [_("Choose a working day.")]},
        )


def order_confirm_return_date(
    *, actor: Principal, order_id: UUID | str, return_date: date | str | None
) -> Order:
    """The lab (its manager) promises a return date from its calendar (ORD-7)."""
    order = access.order_row(actor, order_id, Perm.ORDER_MANAGE)
    if order.side != "lab":
        raise NotFound()
    if order.state not in workflow.LAB_WORK_STATES | {OrderState.INFO_REQUESTED}:
        raise Conflict(
            _("The return date can be set only while the lab works on the order."),
            code="not_in_work",
        )
    day = _date_or_none(return_date, "return_date")
    if day is None:
        raise ValidationFailed(
            _("Please correct the highlighted fields."), fields={"return_date": [_("Required.")]}
        )
    _check_return_date(order, day)
    with transaction.atomic():
        before = order.confirmed_due_date
        order.confirmed_due_date = day
        order.late_alert_sent_for = None
        order.save(update_fields=["confirmed_due_date", "late_alert_sent_for", "updated_at"])
        record(
            AuditAction.ORDER_DUE_DATE_CONFIRMED,
            principal=actor,
            patient=_patient_of(order),
            target=order,
            data={"from": before.isoformat() if before else "", "to": day.isoformat()},
        )
    return order


# --- Notifications (ORD-4) ---------------------------------------------------------------------


PRACTICE_RECIPIENTS = (Role.OWNER, Role.DENTIST, Role.ASSISTANT)
LAB_RECIPIENTS = (Role.MANAGER, Role.TECHNICIAN)


def recipients(order: Order, side: str) -> list[User]:
    """Who hears about an order on one side: the practice's team; the lab's manager and
    technicians, and whoever is assigned to it now (a freelance designer only then)."""
    organization = order.practice if side == "practice" else order.lab
    roles = PRACTICE_RECIPIENTS if side == "practice" else LAB_RECIPIENTS
    people = [
        m.user
        for m in Membership.objects.filter(
            organization=organization, role__in=roles
        ).select_related("user")
        if m.user.is_active
    ]
    if side == "lab":
        now = timezone.now()
        members = set(
            Membership.objects.filter(organization=order.lab).values_list("user_id", flat=True)
        )
        people += [
            a.assignee
            for a in access.order_assignments(order)
            if a.is_active_at(now) and a.assignee_id in members  # not someone who left the lab
        ]
    return people


def _notify(actor: Principal | None, order: Order, event: str, side: str) -> int:
    return notifications.notify(
        event=event,
        order=order,
        organization=order.practice if side == "practice" else order.lab,
        recipients=recipients(order, side),
        actor_user=actor.user if actor else None,
    )


def _notify_step(actor: Principal, order: Order, transition: str) -> None:
    found = notifications.STEP_EVENTS.get(str(transition))
    if found is None:
        return
    if transition == Transition.CANCEL and order.lab is None:
        return
    if transition == Transition.CANCEL and not order.submitted_at:
        return  # a draft the lab never saw
    event, side = found
    _notify(actor, order, event, side)


def orders_alert_late(*, today: date | None = None) -> int:
    """Alert both sides of orders that risk being late (ORD-7): the lab is still working on them
    and the promised date is within the lab's alert window (working days). Once per date."""
    today = today or timezone.localdate()
    alerted = 0
    for order in access.orders_in_lab_work(SystemActor(Purpose.ORDER_ALERTS)):
        day = order.promised_date
        if day is None or order.late_alert_sent_for == day:
            continue
        lab = selectors.order_lab(order)
        settings = selectors.lab_settings(lab)
        calendar = selectors.lab_calendar(lab)
        if day > today and calendar.working_days_between(today, day) > settings.late_alert_days:
            continue
        with transaction.atomic():
            order.late_alert_sent_for = day
            order.save(update_fields=["late_alert_sent_for", "updated_at"])
            for side in ("practice", "lab"):
                _notify(None, order, NotificationEvent.ORDER_OVERDUE, side)
            record(
                AuditAction.ORDER_LATE_ALERTED,
                target=order,
                patient=access.order_audit_patient(order),
                data={"due": day.isoformat()},
            )
        alerted += 1
    return alerted


# --- Assignments (ORD-2) --------------------------------------------------------------------------


def order_assign(
    *,
    actor: Principal,
    order_id: UUID | str,
    member_id: UUID | str,
    ends_at: datetime | None = None,
) -> OrderAssignment:
    """Give the order to a technician or a freelance designer of the lab."""
    order = access.order_row(actor, order_id, Perm.ORDER_MANAGE)
    if order.side != "lab":
        raise NotFound()
    if order.state not in workflow.LAB_WORK_STATES | {OrderState.INFO_REQUESTED}:
        raise Conflict(_("Only an accepted order in work can be assigned."), code="not_in_work")
    membership = (
        Membership.objects.filter(organization=order.lab, public_id=_uuid(member_id, "member"))
        .select_related("user")
        .first()
    )
    if membership is None:
        raise ValidationFailed(
            _("Choose a member of your lab."), fields={"member": [_("Not a member of your lab.")]}
        )
    kind = (
        AssignmentKind.DESIGNER if membership.role == Role.DESIGNER else AssignmentKind.TECHNICIAN
    )
    if ends_at is not None and ends_at <= timezone.now():
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            fields={"ends_at": [_("Choose a moment in the future.")]},
        )
    now = timezone.now()
    if any(
        a.assignee_id == membership.user_id and a.is_active_at(now)
        for a in access.order_assignments(order)
    ):
        raise Conflict(_("This person is already assigned to the order."), code="already_assigned")
    with transaction.atomic():
        assignment = OrderAssignment(
            order=order,
            assignee=membership.user,
            kind=kind,
            assigned_by=actor.user,
            ends_at=ends_at,
        )
        assignment.save(force_insert=True)
        notifications.notify(
            event=NotificationEvent.ORDER_ASSIGNED,
            order=order,
            organization=order.lab,
            recipients=[membership.user],
            actor_user=actor.user,
        )
        record(
            AuditAction.ORDER_ASSIGNED,
            principal=actor,
            patient=_patient_of(order),
            target=order,
            data={"assignment": str(assignment.public_id), "kind": kind},
        )
    return assignment


def order_unassign(
    *, actor: Principal, order_id: UUID | str, assignment_id: UUID | str
) -> OrderAssignment:
    """End an assignment now: a designer loses the order, its files and its thread at once."""
    order = access.order_row(actor, order_id, Perm.ORDER_MANAGE)
    if order.side != "lab":
        raise NotFound()
    assignment = next(
        (a for a in access.order_assignments(order) if str(a.public_id) == str(assignment_id)),
        None,
    )
    if assignment is None:
        raise NotFound()
    if assignment.ended_at is None:
        with transaction.atomic():
            assignment.ended_at = timezone.now()
            assignment.save(update_fields=["ended_at", "updated_at"])
            record(
                AuditAction.ORDER_UNASSIGNED,
                principal=actor,
                patient=_patient_of(order),
                target=order,
                data={"assignment": str(assignment.public_id)},
            )
    return assignment


# --- The thread (ORD-4, COM-1) --------------------------------------------------------------------


def _post(
    actor: Principal,
    order: Order,
    body: str,
    *,
    kind: str = MessageKind.MESSAGE,
    transition: str = "",
    attachment: RecordItem | None = None,
) -> OrderMessage:
    message = OrderMessage(
        order=order,
        kind=kind,
        transition=str(transition),
        author=actor.user,
        side=order.side,
        body=body,
        attachment=attachment,
    )
    message.save(force_insert=True)
    return message


MENTION = re.compile(r"@([\w.+-]{2,64})")


def mentions_in(order: Order, body: str) -> list[User]:
    """The people of the order a message mentions: ``@`` and a first name, last name or the
    part of their e-mail address before the ``@`` (anyone of either side who follows it, an
    unassigned designer not)."""
    handles = {handle.lower().rstrip(".") for handle in MENTION.findall(body)}
    if not handles:
        return []
    found: dict[int, User] = {}
    for user in recipients(order, "practice") + recipients(order, "lab"):
        names = {user.email.split("@")[0].lower()}
        names |= {part.lower() for part in (user.full_name or "").split()}
        if names & handles:
            found[user.pk] = user
    return list(found.values())


def order_messages_read(
    *, actor: Principal, order: Order | OrderForLab, messages: Iterable[OrderMessage]
) -> int:
    """The actor has seen the thread (the order page shows it): read receipts."""
    if actor.user is None:  # no reader, no receipt (order_access lets no one in unsigned)
        return 0
    return access.order_messages_mark_read(order, actor.user, messages)


def order_message_post(
    *, actor: Principal, order_id: UUID | str, body: str, item_id: UUID | str | None = None
) -> OrderMessage:
    """A message on the order's thread; the practice may attach a file of the patient's record
    (the lab receives its anonymized copy through the order's share). The lab sends files with
    the order's uploader (``order_file_received``)."""
    order = access.order_row(actor, order_id, Perm.ORDER_VIEW)
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(_("Write a message first."), fields={"body": [_("Required.")]})
    if len(body) > 4000:
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            fields={"body": [_("At most %(limit)d characters.") % {"limit": 4000}]},
        )
    if order.state == OrderState.DRAFT:
        raise Conflict(_("Send the order before writing to the lab."), code="draft")
    item = None
    if item_id not in (None, ""):
        if order.side != "practice":
            raise ValidationFailed(
                _("Send files to the practice with the order's uploader."),
                fields={"item": [_("Not a file you can attach here.")]},
            )
        patient = access.order_patient(order)
        try:
            item = (
                patients_access.record_item_of(patient, _uuid(item_id, "item")) if patient else None
            )
        except NotFound:
            item = None
        if item is None:
            raise ValidationFailed(
                _("That file is not in this patient's record."),
                fields={"item": [_("Choose a file of this patient.")]},
            )
    with transaction.atomic():
        if item is not None:
            order = access.order_locked(order)
            if order.state not in workflow.OPEN_STATES:
                raise Conflict(_("This order is finished: no more files."), code="order_finished")
            _attach_for_message(actor, order, item)
        message = _post(actor, order, body, attachment=item)
        other = "lab" if order.side == "practice" else "practice"
        _notify(actor, order, NotificationEvent.ORDER_MESSAGE, other)
        mentioned = mentions_in(order, body)
        if mentioned:
            notifications.notify(
                event=NotificationEvent.ORDER_MENTION,
                order=order,
                organization=order.lab if order.side == "lab" else order.practice,
                recipients=mentioned,
                actor_user=actor.user,
            )
        record(
            AuditAction.ORDER_MESSAGE_POSTED,
            principal=actor,
            patient=_patient_of(order),
            target=order,
            data={"message": str(message.public_id)},
        )
    return message


# --- Remakes (ORD-3, ORD-8) -----------------------------------------------------------------------


def remake_cost_bearer(order: Order, reason: str) -> str:
    """Who pays for a remake, by the lab's policy: its table per reason, and the lab always
    within its warranty for its own faults; after the warranty, the practice."""
    settings = selectors.lab_settings(selectors.order_lab(order))
    policy: dict[str, str] = {**DEFAULT_REMAKE_POLICY, **(settings.remake_policy or {})}
    bearer = policy.get(reason, CostBearer.PRACTICE)
    delivered = selectors.delivered_on(order)
    warranty = timedelta(days=settings.remake_warranty_days)
    if delivered is not None and timezone.localdate() - delivered > warranty:
        bearer = CostBearer.PRACTICE
    return bearer


def order_remake(*, actor: Principal, order_id: UUID | str, reason: str, note: str) -> Order:
    """A new draft linked to a delivered order, with the same prescription and files, a
    structured reason and the cost bearer from the lab's policy."""
    original = _practice_order(actor, order_id)
    if original.state not in (OrderState.DELIVERED, OrderState.CLOSED, OrderState.SHIPPED):
        raise Conflict(
            _("A remake can be asked for work that was shipped or delivered."), code="not_delivered"
        )
    if reason not in RemakeReason.values:
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            fields={"reason": [_("Choose a reason from the list.")]},
        )
    note = (note or "").strip()
    if not note or len(note) > 4000:
        raise ValidationFailed(
            _("Describe what is wrong, so the lab can avoid it."),
            fields={"note": [_("Required, at most 4000 characters.")]},
        )
    patient = access.order_patient(original)
    if patient is None:
        raise Conflict(_("This patient's record no longer exists."), code="patient_gone")
    with transaction.atomic():
        remake = Order(
            reference=_new_reference(),
            practice=original.practice,
            lab=original.lab,
            patient=patient,
            pseudonym=original.pseudonym,
            requires_approval=original.requires_approval,
            preparation_notes=original.preparation_notes,
            technical_notes=original.technical_notes,
            remake_of=original,
            remake_reason=reason,
            remake_cost_bearer=remake_cost_bearer(original, reason),
            status_note=note[:1000],
            created_by=actor.user,
            state_changed_at=timezone.now(),
        )
        remake.save(force_insert=True)
        copies: list[OrderItem] = []
        for item in access.order_items(original):
            item.pk, item.id, item.order = None, None, remake
            item.public_id = OrderItem._meta.get_field("public_id").get_default()
            copies.append(item)
        access.order_items_replace(remake, copies)
        for attachment in access.order_attachments(original):
            if attachment.kind == AttachmentKind.PRESCRIPTION:
                OrderAttachment(
                    order=remake, item=attachment.item, kind=attachment.kind, added_by=actor.user
                ).save(force_insert=True)
        record(
            AuditAction.ORDER_REMAKE_REQUESTED,
            principal=actor,
            patient=patient,
            target=original,
            data={
                "remake": remake.reference,
                "reason": reason,
                "bearer": remake.remake_cost_bearer,
            },
        )
        record(
            AuditAction.ORDER_CREATED,
            principal=actor,
            patient=patient,
            target=remake,
            data={"remake_of": original.reference},
        )
    return remake


def explain(error: DomainError) -> Text:
    """One sentence for a refused step (the views' flash message)."""
    return error.message


# --- The lab's calendar, catalogue and remake policy (ORD-7, ORD-8) ---------------------------


def lab_for_settings(actor: Principal) -> Organization:
    organization = actor.organization
    if organization is None or organization.kind != "lab" or not actor.may(Perm.ORDER_VIEW):
        raise NotFound()
    if not actor.may(Perm.LAB_SETTINGS_EDIT):
        raise Forbidden()
    return organization


def _changed(actor: Principal, lab: Organization, what: str, **data: object) -> None:
    record(
        AuditAction.LAB_SETTINGS_CHANGED,
        principal=actor,
        organization=lab,
        data={"what": what, **data},
    )


def lab_settings_update(
    *,
    actor: Principal,
    weekdays: Iterable[int | str],
    holiday_region: str,
    default_lead_days: int,
    daily_capacity: int | None,
    late_alert_days: int,
    remake_warranty_days: int,
    remake_policy: Mapping[str, str],
) -> LabSettings:
    lab = lab_for_settings(actor)
    errors: dict[str, list[str]] = {}
    days = sorted({int(d) for d in weekdays if str(d).isdigit() and 0 <= int(d) <= 6})
    if not days:
        errors["weekdays"] = [_("Choose at least one working day.")]
    region = (holiday_region or "").strip().upper()
    if region and not _known_region(str(lab.country), region):
        errors["holiday_region"] = [
            _("%(region)s is not a region of %(country)s for public holidays.")
            % {"region": region, "country": lab.country.name}
        ]
    for name, value, low, high in (
        ("default_lead_days", default_lead_days, 0, 120),
        ("late_alert_days", late_alert_days, 0, 30),
        ("remake_warranty_days", remake_warranty_days, 0, 3650),
    ):
        if not isinstance(value, int) or not low <= value <= high:
            errors[name] = [
                _("A whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
            ]
    if daily_capacity is not None and (not isinstance(daily_capacity, int) or daily_capacity < 1):
        errors["daily_capacity"] = [_("At least 1, or empty for no limit.")]
    policy: dict[str, str] = {}
    for reason, bearer in (remake_policy or {}).items():
        if reason not in RemakeReason.values or bearer not in CostBearer.values:
            errors["remake_policy"] = [_("Choose who pays for each remake reason.")]
            break
        policy[reason] = bearer
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=errors)
    with transaction.atomic():
        settings = selectors.lab_settings(lab)
        settings.weekdays = days
        settings.holiday_region = region
        settings.default_lead_days = default_lead_days
        settings.daily_capacity = daily_capacity
        settings.late_alert_days = late_alert_days
        settings.remake_warranty_days = remake_warranty_days
        settings.remake_policy = policy
        settings.save()
        _changed(actor, lab, "settings")
    return settings


def _known_region(country: str, region: str) -> bool:
    import holidays

    return region in holidays.list_supported_countries().get(country, [])


def lab_closure_add(
    *,
    actor: Principal,
    first_day: date | str | None,
    last_day: date | str | None = None,
    reason: str = "",
) -> LabClosure:
    lab = lab_for_settings(actor)
    first = _date_or_none(first_day, "first_day")
    last = _date_or_none(last_day, "last_day") or first
    if first is None:
        raise ValidationFailed(
            _("Please correct the highlighted fields."), fields={"first_day": [_("Required.")]}
        )
    if last is None or last < first:  # last is None only without a first day
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            fields={"last_day": [_("The closure ends before it starts.")]},
        )
    if (last - first).days > 366:
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            fields={"last_day": [_("A closure lasts at most a year.")]},
        )
    reason = (reason or "").strip()[:120]
    with transaction.atomic():
        closure = LabClosure.objects.create(lab=lab, first_day=first, last_day=last, reason=reason)
        _changed(actor, lab, "closure_added", first=first.isoformat(), last=last.isoformat())
    return closure


def lab_closure_remove(*, actor: Principal, closure_id: UUID | str) -> None:
    lab = lab_for_settings(actor)
    closure = LabClosure.objects.filter(lab=lab, public_id=_uuid(closure_id, "closure")).first()
    if closure is None:
        raise NotFound()
    with transaction.atomic():
        closure.delete()
        _changed(actor, lab, "closure_removed")


def lab_product_save(
    *, actor: Principal, restoration_type: str, material: str, lead_days: int
) -> LabProduct:
    """Add a line to the lab's catalogue, or change its lead time."""
    lab = lab_for_settings(actor)
    errors: dict[str, list[str]] = {}
    if restoration_type not in RestorationType.values:
        errors["restoration_type"] = [_("Choose a type from the list.")]
    if material not in Material.values:
        errors["material"] = [_("Choose a material from the list.")]
    if not isinstance(lead_days, int) or not 0 <= lead_days <= 120:
        errors["lead_days"] = [
            _("A whole number from %(low)d to %(high)d.") % {"low": 0, "high": 120}
        ]
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=errors)
    with transaction.atomic():
        product, _created = LabProduct.objects.update_or_create(
            lab=lab,
            restoration_type=restoration_type,
            material=material,
            defaults={"lead_days": lead_days, "active": True},
        )
        _changed(actor, lab, "product_saved", type=restoration_type, material=material)
    return product


def lab_product_remove(*, actor: Principal, product_id: UUID | str) -> None:
    lab = lab_for_settings(actor)
    product = LabProduct.objects.filter(lab=lab, public_id=_uuid(product_id, "product")).first()
    if product is None:
        raise NotFound()
    with transaction.atomic():
        product.delete()
        _changed(actor, lab, "product_removed")


# --- The implant library (ORD-5): shared rows kept by the platform, each lab's own additions ---


def _library_scope(actor: Principal) -> Organization | None:
    """(organization or None for the shared library) the actor edits: a lab its own additions,
    the platform's staff the shared library."""
    organization = actor.organization
    if organization is None or not actor.may(Perm.IMPLANT_LIBRARY_EDIT):
        raise Forbidden()
    if organization.kind == "lab":
        return organization
    if organization.kind == "platform":
        return None
    raise Forbidden()


def implant_add(
    *,
    actor: Principal,
    manufacturer: str,
    system: str,
    platform: str,
    diameter: Decimal | str | None = None,
) -> ImplantPlatform:
    """Add a platform (and its system and manufacturer, if new) to the library: a lab adds to
    its own list (it may extend a shared system), the platform to the shared one."""
    scope = _library_scope(actor)
    names = {"manufacturer": manufacturer, "system": system, "platform": platform}
    errors: dict[str, list[str]] = {}
    for field, value in names.items():
        value = " ".join(str(value or "").split())
        if not value or len(value) > 80:
            errors[field] = [_("Give a name of at most 80 characters.")]
        names[field] = value
    size: Decimal | None = None
    if diameter not in (None, ""):
        try:
            size = Decimal(str(diameter).replace(",", "."))
        except InvalidOperation:
            size = None
        if size is None or not Decimal("1.5") <= size <= Decimal("12"):
            errors["diameter"] = [_("A diameter in mm from 1.5 to 12, or empty.")]
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=errors)

    with transaction.atomic():
        maker, _new = _find_or_create(ImplantManufacturer, scope, name=names["manufacturer"])
        line, _new = _find_or_create(ImplantSystem, scope, manufacturer=maker, name=names["system"])
        item, created = _find_or_create(ImplantPlatform, scope, system=line, name=names["platform"])
        if not created:
            raise ValidationFailed(
                _("%(system)s already has the platform %(platform)s.")
                % {"system": line, "platform": item.name},
                fields={"platform": [_("Already in the library.")]},
            )
        item.diameter = size
        item.save(update_fields=["diameter", "updated_at"])
        record(
            AuditAction.IMPLANT_LIBRARY_CHANGED,
            principal=actor,
            data={"added": str(item.public_id), "shared": scope is None},
        )
    return item


def _find_or_create[R: (ImplantManufacturer, ImplantSystem, ImplantPlatform)](
    model: type[R], scope: Organization | None, *, name: str, **fields: Model
) -> tuple[R, bool]:
    """A row of the library with these fields, shared or the scope's own (shared first; names
    compared case-folded in Python, as SQLite folds only ASCII); else a new one in the scope."""
    from django.db.models import Q

    rows = [
        row
        for row in model.objects.filter(Q(organization=None) | Q(organization=scope), **fields)
        if row.name.casefold() == name.casefold()
    ]
    rows.sort(key=lambda row: row.organization_id is not None)  # the shared one first
    if rows:
        return rows[0], False
    return model.objects.create(organization=scope, name=name, **fields), True


def implant_platform_remove(*, actor: Principal, platform_id: UUID | str) -> None:
    """Remove a platform from the library (one's own, or the shared one for the platform), if
    no order uses it."""
    from django.db.models import ProtectedError

    scope = _library_scope(actor)
    platform = (
        ImplantPlatform.objects.filter(public_id=_uuid(platform_id, "platform"), organization=scope)
        .select_related("system__manufacturer")
        .first()
    )
    if platform is None:
        raise NotFound()
    try:
        with transaction.atomic():
            platform.delete()
            record(
                AuditAction.IMPLANT_LIBRARY_CHANGED,
                principal=actor,
                data={"removed": str(platform_id), "shared": scope is None},
            )
    except ProtectedError:
        raise Conflict(
            _("Orders use this platform; it stays in the library."), code="in_use"
        ) from None
