"""The orders' door keeper (ORD-1…ORD-8): the practice sees its orders; the lab sees what was
sent to it, under the pseudonym; a freelance designer sees an order only while assigned to it."""

from collections.abc import Iterable
from datetime import date
from uuid import UUID

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from dentalbridge.accounts.models import User
from dentalbridge.core.errors import Forbidden, NotFound
from dentalbridge.core.text import search_text
from dentalbridge.files import access as files_access
from dentalbridge.orders import models
from dentalbridge.orders.lab_view import OrderForLab
from dentalbridge.orders.workflow import LAB_WORK_STATES
from dentalbridge.organizations.models import Organization
from dentalbridge.patients.access import patient_and_grant
from dentalbridge.patients.models import Patient
from dentalbridge.privacy.audit import AuditAction, PatientRef, record, record_system_read
from dentalbridge.privacy.door import through_the_door
from dentalbridge.privacy.policy import Perm, may
from dentalbridge.privacy.principal import Principal, SystemActor, system_only

# The readers below take an order as either side holds it: the row, or an ``OrderForLab``.
type SeenOrder = models.Order | OrderForLab

# --- Orders (ORD-1…ORD-8): the practice sees its orders; the lab sees what was sent to it, under
# the pseudonym; a freelance designer sees an order only while assigned to it -----------------


def _active_assignments(user, now):
    with through_the_door():
        return models.OrderAssignment.objects.filter(assignee=user, ended_at=None).filter(
            Q(ends_at=None) | Q(ends_at__gt=now)
        )


def _orders_of(principal: Principal) -> tuple[QuerySet[models.Order], str]:
    """(orders the principal's organization may see, side). Not audited: callers audit."""
    organization = principal.organization
    if organization is None or principal.user is None or not may(principal, Perm.ORDER_VIEW):
        raise NotFound()
    with through_the_door():
        orders = models.Order.objects.all()
    if organization.is_practice:
        return orders.filter(practice=organization), "practice"
    if organization.kind != "lab":
        raise NotFound()
    orders = orders.filter(lab=organization).exclude(state="draft")
    if principal.role == "designer":
        assigned = _active_assignments(principal.user, timezone.now()).values("order_id")
        orders = orders.filter(pk__in=assigned)
    return orders, "lab"


def orders_query(principal: Principal, *, audit: bool = True):
    """(orders, side): the list pages' base query; listing is audited (without filters) — once
    per page: its counts ask with ``audit=False``."""
    orders, side = _orders_of(principal)
    if audit:
        record(AuditAction.ORDER_LISTED, principal=principal, data={"side": side})
    return orders.select_related("lab", "practice", "remake_of"), side


def orders_search(orders, side: str, text: str):
    """Orders whose reference or pseudonym holds ``text`` (any case: "r87w" finds O-R87W-PVGS);
    the practice also finds them by the patient's name. Never the lab: a name it typed must not
    tell it whose case an order is."""
    text = search_text(text, limit=40)
    if not text:
        return orders
    found = Q(reference__icontains=text) | Q(pseudonym__icontains=text)
    if side == "practice":
        found |= Q(patient__family_name__icontains=text) | Q(patient__given_name__icontains=text)
    return orders.filter(found)


def _order_row(principal: Principal, order_id: UUID | str, perm: Perm) -> models.Order:
    """The row of one order the principal's organization may see, with ``side`` (from which side)
    and ``assigned`` (whether the principal's user is assigned to it) set. Not audited."""
    orders, side = _orders_of(principal)
    related = ["lab", "practice", "remake_of", "created_by"]
    if side == "practice":
        related.append("patient")
    order = (
        orders.filter(public_id=order_id)
        .annotate(patient_uuid=F("patient__public_id"))
        .select_related(*related)
        .first()
    )
    if order is None:
        raise NotFound()
    if not may(principal, perm, principal.organization):
        raise Forbidden()
    order.side = side
    order.assigned = (
        side == "lab"
        and _active_assignments(principal.user, timezone.now()).filter(order=order).exists()
    )
    return order


def order_access(
    principal: Principal, order_id: UUID | str, perm: Perm = Perm.ORDER_VIEW, *, audit: bool = True
) -> models.Order | OrderForLab:
    """One order as the principal may see it: its practice gets the row (``side`` "practice"),
    its lab an ``OrderForLab`` — the prescription under the pseudonym, no way to the patient.
    For pages and the API; viewing is audited."""
    order = _order_row(principal, order_id, perm)
    if audit:
        record(
            AuditAction.ORDER_VIEWED,
            principal=principal,
            target=order,
            patient=order_audit_patient(order),
            data={"side": order.side},
        )
    if order.side == "lab":
        return OrderForLab.of(order, assigned=order.assigned)
    return order


def order_row(
    principal: Principal, order_id: UUID | str, perm: Perm = Perm.ORDER_VIEW
) -> models.Order:
    """The row of one order the principal may act on, for this app's services, which write it;
    not audited (the service audits what it does). Pages and the API never show it: they show
    what ``order_access`` returns."""
    return _order_row(principal, order_id, perm)


def order_audit_patient(order: models.Order) -> PatientRef | None:
    """What the audit log keeps of an order's patient: the random public id, for either side —
    no patient row is loaded, and the lab side, which may not hold the patient, never gets one."""
    uuid = getattr(order, "patient_uuid", None)
    return PatientRef(uuid) if uuid else None


def order_locked(order: models.Order) -> models.Order:
    """The order row again, locked for the rest of the transaction (concurrent steps)."""
    with through_the_door():
        locked = (
            models.Order.objects.select_for_update(of=("self",))
            .select_related("lab", "practice")
            .get(pk=order.pk)
        )
    locked.side, locked.assigned = order.side, order.assigned
    # The patient's public id that _order_row annotated (for the audit log) stays with the row.
    setattr(locked, "patient_uuid", getattr(order, "patient_uuid", None))  # noqa: B010
    return locked


def order_items_replace(order: models.Order, items: list[models.OrderItem]) -> None:
    """The order's items become ``items`` (a draft being edited); one delete, one insert."""
    for position, item in enumerate(items, start=1):
        item.order, item.position = order, position
    with through_the_door():
        models.OrderItem.objects.filter(order=order).delete()
        models.OrderItem.objects.bulk_create(items)


def order_attachment_delete(attachment: models.OrderAttachment) -> None:
    attachment.delete()


def order_patient(order: SeenOrder) -> Patient | None:
    """The patient of an order reached from the practice side (None for the lab)."""
    if not isinstance(order, models.Order) or order.side != "practice" or order.patient_id is None:
        return None
    with through_the_door():
        return Patient.objects.filter(pk=order.patient_id).first()


def order_items(order: SeenOrder) -> list[models.OrderItem]:
    with through_the_door():
        items = models.OrderItem.objects.filter(order_id=order.pk)
    return list(items.select_related("implant_platform__system__manufacturer"))


def order_attachments(order: SeenOrder) -> list[models.OrderAttachment]:
    with through_the_door():
        attachments = models.OrderAttachment.objects.filter(order_id=order.pk)
    return list(attachments.select_related("item", "share"))


def order_assignments(order: SeenOrder) -> list[models.OrderAssignment]:
    with through_the_door():
        assignments = models.OrderAssignment.objects.filter(order_id=order.pk)
    return list(assignments.select_related("assignee", "assigned_by"))


def order_messages(order: SeenOrder) -> list[models.OrderMessage]:
    """The thread, oldest first, each message with its read receipts; two queries."""
    with through_the_door():
        reads = models.OrderMessageRead.objects.select_related("reader").order_by("read_at")
        messages = models.OrderMessage.objects.filter(order_id=order.pk).prefetch_related(
            Prefetch("reads", queryset=reads)
        )
    return list(messages.select_related("author", "attachment"))


def order_messages_mark_read(
    order: SeenOrder, user: User, messages: Iterable[models.OrderMessage]
) -> int:
    """Receipts for the messages ``user`` has not written nor read yet; one insert."""
    unread = [
        m for m in messages
        if m.author_id != user.pk and all(r.reader_id != user.pk for r in m.reads.all())
    ]  # fmt: skip
    if not unread:
        return 0
    with through_the_door():
        models.OrderMessageRead.objects.bulk_create(
            [models.OrderMessageRead(message=m, reader=user) for m in unread],
            ignore_conflicts=True,
        )
    return len(unread)


def order_reference_taken(reference: str) -> bool:
    with through_the_door():
        return models.Order.objects.filter(reference=reference).exists()


def prescribing_patient(principal: Principal, patient_id: UUID | str) -> Patient:
    """A patient of the principal's own practice, for whom it may prescribe (a care-team grant
    does not let another practice order work for the patient)."""
    patient, grant = patient_and_grant(principal, patient_id, Perm.PATIENT_VIEW)
    if grant is not None:
        raise NotFound()
    if not may(principal, Perm.ORDER_PRESCRIBE, principal.organization):
        raise Forbidden()
    return patient


def orders_due_in_lab(lab: Organization, days: Iterable[date]) -> dict[date, int]:
    """{day: number of orders the lab works on that are due that day}: capacity planning."""
    with through_the_door():
        rows = (
            models.Order.objects.filter(
                lab=lab, state__in=LAB_WORK_STATES, confirmed_due_date__in=list(days)
            )
            .values("confirmed_due_date")
            .annotate(n=Count("pk"))
        )
        # ``__in`` leaves out orders without a date; the test below only says so to the type.
        return {day: row["n"] for row in rows if (day := row["confirmed_due_date"]) is not None}


def orders_counted(principal: Principal) -> tuple[QuerySet[models.Order], str]:
    """(orders, side): every order of the principal's organization from its side, for figures
    that show counts only, never an order or a patient (the remake rates, ORD-8). Not audited:
    nothing of a patient leaves it. The figures are the organization's, whatever the role."""
    organization = principal.organization
    if organization is None or not may(principal, Perm.ORDER_VIEW, organization):
        raise NotFound()
    with through_the_door():
        orders = models.Order.objects.all()
    if organization.is_practice:
        return orders.filter(practice=organization), "practice"
    return orders.filter(lab=organization).exclude(state="draft"), "lab"


def order_items_queryset():
    """For prefetching the items of orders already obtained through ``orders_query``."""
    with through_the_door():
        return models.OrderItem.objects.all()


def order_assignments_queryset():
    with through_the_door():
        return models.OrderAssignment.objects.select_related("assignee")


def order_remakes(order: SeenOrder) -> list:
    """Remakes of an order, seen from the same side (the lab does not see the practice's
    drafts)."""
    with through_the_door():
        remakes = models.Order.objects.filter(remake_of_id=order.pk).order_by("created_at")
    if order.side == "practice":
        return list(remakes)
    remakes = remakes.exclude(state="draft").select_related("practice", "lab", "remake_of")
    return [OrderForLab.of(remake) for remake in remakes]


def orders_of_patient(principal: Principal, patient) -> list:
    """The orders of a patient already obtained through ``patient_access``, for its practice."""
    organization = principal.organization
    if organization is None or organization.pk != patient.organization_id:
        return []
    if not may(principal, Perm.ORDER_VIEW, organization):
        return []
    with through_the_door():
        return list(
            models.Order.objects.filter(patient=patient, practice=organization)
            .select_related("lab")
            .order_by("-created_at")
        )


def lab_upload_target(principal: Principal, order_id) -> tuple[OrderForLab, Patient]:
    """(order, patient): the order a lab member sends a file for, and its patient's record at the
    practice, where the file goes. The lab's staff, or its designer while assigned; whether the
    order's state allows a file now is the orders app's rule (``file_uploads``), not the door's."""
    order = _order_row(principal, order_id, Perm.ORDER_VIEW)
    if order.side != "lab":
        raise NotFound()
    if not may(principal, Perm.ORDER_WORK, principal.organization):
        raise Forbidden()
    if principal.role == "designer" and not order.assigned:
        raise NotFound()
    patient_uuid = getattr(order, "patient_uuid", None)
    if patient_uuid is None:  # the patient was purged: no record left to send a file to
        raise NotFound()
    with through_the_door():
        patient = (
            Patient.objects.filter(public_id=patient_uuid, deleted_at=None)
            .select_related("organization")
            .first()
        )
    if patient is None:
        raise NotFound()
    return OrderForLab.of(order, assigned=order.assigned), patient


def order_patient_for_lab_upload(system: SystemActor, order: models.Order) -> Patient | None:
    """System use (``Purpose.LAB_UPLOAD``), inside a lab's upload already authorized by
    ``lab_upload_target``: the patient whose record the lab's file joins."""
    system_only(system)
    patient_uuid = getattr(order, "patient_uuid", None)  # annotated by _order_row
    if patient_uuid is None:  # purged: the order has no patient any more
        return None
    with through_the_door():
        patient = Patient.objects.filter(public_id=patient_uuid).first()
    record_system_read(system, "order_patient_for_lab_upload", target=order, patient=patient)
    return patient


def orders_in_lab_work(system: SystemActor) -> list[models.Order]:
    """System use (``Purpose.ORDER_ALERTS``, the late-order alert): orders a lab is working on,
    with both organizations."""
    system_only(system)
    with through_the_door():
        working = (
            models.Order.objects.filter(state__in=LAB_WORK_STATES)
            .annotate(patient_uuid=F("patient__public_id"))
            .select_related("lab", "practice")
        )
        orders: list[models.Order] = [order for order in working]
    record_system_read(system, "orders_in_lab_work", count=len(orders))
    return orders


def orders_of_patient_anonymize(patient: Patient) -> int:
    """Keep a patient's orders as business records (ORD-6) but without their free text, which
    may name the person: notes, status notes, messages."""
    with through_the_door():
        orders = models.Order.objects.filter(patient=patient)
        count = orders.update(preparation_notes="", technical_notes="", status_note="")
        models.OrderItem.objects.filter(order__patient=patient).update(notes="")
        models.OrderMessage.objects.filter(order__patient=patient).update(body="[erased]")
    return count


def orders_expired(cutoff_for, *, held):
    """Finished orders whose last change is before the cut-off of their practice's country."""
    finished = ("closed", "cancelled", "declined")
    countries = list(
        Organization.objects.filter(kind="practice").values_list("country", flat=True).distinct()
    )
    match = Q()
    for country in countries:
        match |= Q(practice__country=country, state_changed_at__lt=cutoff_for(country))
    with through_the_door():
        orders = models.Order.objects.filter(state__in=finished).filter(match)
        if held:
            orders = orders.exclude(patient_id__in=held)
        # A remake keeps its original: the original goes when its last remake goes.
        return orders.exclude(pk__in=models.Order.objects.filter(remake_of__isnull=False).values(
            "remake_of_id"
        ))  # fmt: skip


def request_forward_target(principal: Principal, reference: str):
    """For a lab forwarding a patient's request (PRV-4): (order, patient) of one of the lab's
    received orders by its reference. The patient goes to the practice's request, never back to
    the lab."""
    organization = principal.organization
    if organization is None or organization.kind != "lab":
        raise NotFound()
    if not may(principal, Perm.DATA_REQUEST_FORWARD, organization):
        raise Forbidden()
    with through_the_door():
        order = (
            models.Order.objects.filter(lab=organization, reference__iexact=reference.strip())
            .exclude(state="draft")
            .select_related("practice", "patient")
            .first()
        )
    if order is None:
        raise NotFound()
    return order, order.patient


def sent_orders_of_patient(system: SystemActor, patient: Patient) -> list[tuple[Organization, str]]:
    """System use (``Purpose.DELETION_INSTRUCTIONS``): (lab, reference) of each order sent for a
    patient."""
    system_only(system)
    with through_the_door():
        orders = (
            models.Order.objects.filter(patient=patient)
            .exclude(state="draft")
            .exclude(lab=None)
            .select_related("lab")
        )
        sent = [(order.lab, order.reference) for order in orders if order.lab is not None]
    record_system_read(system, "sent_orders_of_patient", patient=patient, count=len(sent))
    return sent


def export_rows(patient: Patient) -> dict[str, list]:
    """The orders app's rows of one patient, by section, for an access or portability request
    (``gdpr.access.patient_export_sections``)."""
    with through_the_door():
        return {
            "orders": list(
                models.Order.objects.filter(patient=patient).select_related("lab", "practice")
            ),
            "order_items": list(models.OrderItem.objects.filter(order__patient=patient)),
            "order_attachments": list(
                models.OrderAttachment.objects.filter(order__patient=patient)
            ),
            "order_assignments": list(
                models.OrderAssignment.objects.filter(order__patient=patient)
            ),
            "order_messages": list(models.OrderMessage.objects.filter(order__patient=patient)),
            "order_message_reads": list(
                models.OrderMessageRead.objects.filter(message__order__patient=patient)
            ),
        }


def _shares_on_assigned_orders(user, now):
    """The shares attached to the orders a designer is assigned to right now."""
    with through_the_door():
        orders = _active_assignments(user, now).values("order_id")
        return models.OrderAttachment.objects.filter(order__in=orders).values("share_id")


files_access.designer_share_source_register(_shares_on_assigned_orders)
