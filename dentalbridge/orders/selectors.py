"""Reads for orders: the lab's calendar and catalogue, the implant library, return dates, the
inbox and list pages, an order's timeline. Patient-bearing rows come through the access layer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dentalbridge.accounts.models import User
from dentalbridge.core.errors import NotFound
from dentalbridge.files import access as files_access
from dentalbridge.files import delivery
from dentalbridge.orders import access, workflow
from dentalbridge.orders.access import SeenOrder
from dentalbridge.orders.calendar import Closure, WorkingCalendar
from dentalbridge.orders.models import (
    AssignmentKind,
    AttachmentKind,
    ImplantManufacturer,
    ImplantPlatform,
    ImplantSystem,
    LabClosure,
    LabProduct,
    LabSettings,
    Order,
    OrderItem,
)
from dentalbridge.orders.workflow import LAB_WORK_STATES, OPEN_STATES, OrderState, Transition
from dentalbridge.organizations.models import Membership, Organization, Role
from dentalbridge.patients import access as patients_access
from dentalbridge.patients.models import RecordItemKind
from dentalbridge.privacy.models import AuditEvent
from dentalbridge.privacy.policy import Perm

# --- The lab's settings, calendar and catalogue -----------------------------------------------


def lab_settings(lab: Organization) -> LabSettings:
    """The lab's settings; an unsaved default until the manager saves its own."""
    found = LabSettings.objects.filter(lab=lab).first()
    return found or LabSettings(lab=lab, weekdays=[0, 1, 2, 3, 4])


def lab_closures(lab: Organization, *, upcoming_only: bool = False) -> QuerySet[LabClosure]:
    closures = LabClosure.objects.filter(lab=lab)
    if upcoming_only:
        closures = closures.filter(last_day__gte=timezone.localdate())
    return closures


def lab_calendar(lab: Organization) -> WorkingCalendar:
    settings = lab_settings(lab)
    return WorkingCalendar(
        country=str(lab.country or ""),
        subdivision=settings.holiday_region,
        weekdays=frozenset(settings.weekdays or [0, 1, 2, 3, 4]),
        closures=tuple(
            Closure(c.first_day, c.last_day, c.reason)
            for c in lab_closures(lab).filter(last_day__gte=timezone.localdate() - timedelta(1))
        ),
    )


def lab_products(lab: Organization) -> QuerySet[LabProduct]:
    return LabProduct.objects.filter(lab=lab)


def lab_materials(lab: Organization, restoration_type: str) -> set[str] | None:
    """The materials the lab offers for a type, or None when it keeps no catalogue (any)."""
    products = list(
        lab_products(lab).filter(active=True).values_list("restoration_type", "material")
    )
    if not products:
        return None
    return {material for kind, material in products if kind == restoration_type}


def lead_days(lab: Organization, items: Iterable[OrderItem]) -> int:
    """Working days the lab needs for these items: the longest of their catalogue lead times."""
    settings = lab_settings(lab)
    products = {
        (p.restoration_type, p.material): p.lead_days for p in lab_products(lab).filter(active=True)
    }
    days = [
        products.get((item.restoration_type, item.material), settings.default_lead_days)
        for item in items
    ]
    return max(days, default=settings.default_lead_days)


def order_lab(order: SeenOrder) -> Organization:
    """The lab of an order past its draft: sending needs one (``prescription.order_missing``) and
    it does not change after, so the steps, the return date and the remake policy rely on it."""
    if order.lab is None:
        raise RuntimeError(f"order {order.reference} is past its draft without a lab")
    return order.lab


def propose_return_date(order: SeenOrder, *, today: date | None = None) -> date:
    """The first day the lab can promise (ORD-7): today plus the lead time in working days,
    moved on past days already full (orders due per day)."""
    today = today or timezone.localdate()
    lab = order_lab(order)
    calendar = lab_calendar(lab)
    day = calendar.add_working_days(today, lead_days(lab, access.order_items(order)))
    if order.due_date and order.due_date > day and calendar.is_open(order.due_date):
        day = order.due_date  # no need to promise earlier than the practice asked
    capacity = lab_settings(lab).daily_capacity
    if capacity:
        window = [day + timedelta(days=n) for n in range(60)]
        load = access.orders_due_in_lab(lab, window)
        while load.get(day, 0) >= capacity and day < window[-1]:
            day = calendar.next_open(day + timedelta(days=1))
    return day


def open_days(lab: Organization, start: date, days: int = 60) -> list[tuple[date, str | None]]:
    calendar = lab_calendar(lab)
    return [
        (start + timedelta(n), calendar.closed_because(start + timedelta(n))) for n in range(days)
    ]


# --- The implant library (ORD-5) ------------------------------------------------------------------


def _visible(lab: Organization | None) -> Q:
    """Shared rows, and a lab's own additions when a lab is given."""
    if lab is None:
        return Q(organization=None)
    return Q(organization=None) | Q(organization=lab)


def implant_library(lab: Organization | None = None) -> list[ImplantManufacturer]:
    """Manufacturers with their systems and platforms, as one lab sees them; three queries."""
    from django.db.models import Prefetch

    platforms = ImplantPlatform.objects.filter(_visible(lab)).order_by("diameter", "name")
    systems = (
        ImplantSystem.objects.filter(_visible(lab))
        .order_by("name")
        .prefetch_related(Prefetch("platforms", queryset=platforms))
    )
    return list(
        ImplantManufacturer.objects.filter(_visible(lab))
        .order_by("name")
        .prefetch_related(Prefetch("systems", queryset=systems))
    )


def implant_platform(value: object, *, lab: Organization | None = None) -> ImplantPlatform:
    import uuid

    try:
        public_id = uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None
    platform = (
        ImplantPlatform.objects.filter(_visible(lab), public_id=public_id)
        .select_related("system__manufacturer")
        .first()
    )
    if platform is None:
        raise NotFound()
    return platform


# --- Orders ---------------------------------------------------------------------------------


def design_files_ready(order: Order) -> bool:
    """Has the lab uploaded design files that finished processing? (For the services: the row.)"""
    design = [a.item for a in access.order_attachments(order) if a.kind == AttachmentKind.DESIGN]
    if not design:
        return False
    patient = access.order_audit_patient(order)
    if patient is None:
        return False
    return any(
        asset.status == "ready" and asset.role == "shared"
        for assets in files_access.design_assets(order, design).values()
        for asset in assets
    )


def delivered_on(order: SeenOrder) -> date | None:
    event = (
        AuditEvent.objects.filter(
            target_type="orders.order",
            target_id=str(order.public_id),
            action="order.state_changed",
            data__to=OrderState.DELIVERED,
        )
        .order_by("-seq")
        .first()
    )
    return timezone.localdate(event.created_at) if event else None


INBOX_VIEWS = ("new", "due_today", "overdue", "open", "done", "all")


def inbox(principal, *, view: str = "open", stage: str = "", search: str = ""):
    """The lab's (or practice's) orders for one view of the inbox, soonest due first."""
    orders, side = access.orders_query(principal)
    today = timezone.localdate()
    due = "confirmed_due_date" if side == "lab" else "due_date"
    if view == "new":
        orders = orders.filter(state=OrderState.SUBMITTED)
    elif view == "due_today":
        orders = orders.filter(state__in=LAB_WORK_STATES, **{due: today})
    elif view == "overdue":
        orders = orders.filter(state__in=LAB_WORK_STATES, **{f"{due}__lt": today})
    elif view == "open":
        orders = orders.filter(
            state__in=OPEN_STATES | ({OrderState.DRAFT} if side == "practice" else set())
        )
    elif view == "done":
        orders = orders.exclude(state__in=OPEN_STATES | {OrderState.DRAFT})
    if stage and stage in OrderState.values:
        orders = orders.filter(state=stage)
    orders = access.orders_search(orders, side, search)
    return orders.order_by(f"{due}", "created_at") if view != "done" else orders.order_by(
        "-state_changed_at"
    ), side


def inbox_counts(principal) -> dict[str, int]:
    """Counts for the inbox tabs: one query."""
    from django.db.models import Count

    # The page's listing is already audited; every count is about orders still open, which lets
    # the database use the inbox index instead of reading the lab's whole history.
    orders, side = access.orders_query(principal, audit=False)
    orders = orders.filter(state__in=OPEN_STATES)
    today = timezone.localdate()
    due = "confirmed_due_date" if side == "lab" else "due_date"
    return orders.aggregate(
        new=Count("pk", filter=Q(state=OrderState.SUBMITTED)),
        due_today=Count("pk", filter=Q(state__in=LAB_WORK_STATES, **{due: today})),
        overdue=Count("pk", filter=Q(state__in=LAB_WORK_STATES, **{f"{due}__lt": today})),
        open=Count("pk", filter=Q(state__in=OPEN_STATES)),
    )


def _event_text(action: str, data: dict) -> str:
    from django.utils.translation import gettext as _

    if action == "order.state_changed":
        try:
            step = Transition(data.get("transition", "")).label
        except ValueError:
            step = data.get("transition", "")
        try:
            state = OrderState(data.get("to", "")).label
        except ValueError:
            state = data.get("to", "")
        return _("%(step)s → %(state)s") % {"step": step, "state": state}
    texts = {
        "order.created": _("Order created"),
        "order.updated": _("Prescription edited"),
        "order.due_date_confirmed": _("Return date confirmed: %(date)s")
        % {"date": data.get("to", "")},
        "order.assigned": _("Assigned (%(kind)s)")
        % {
            "kind": AssignmentKind(data["kind"]).label.lower()
            if data.get("kind") in AssignmentKind.values
            else ""
        },
        "order.unassigned": _("Assignment ended"),
        "order.file_attached": _("File added"),
        "order.file_detached": _("File removed"),
        "order.message_posted": _("Message"),
        "order.remake_requested": _("Remake asked for: %(reference)s")
        % {"reference": data.get("remake", "")},
        "order.late_alerted": _("Late alert sent"),
    }
    return texts.get(action, action)


def timeline_for(order) -> list[dict]:
    """Every change of the order (its audit events), oldest first, in words. The lab sees the
    same events; they carry ids and codes, never the patient. One query for the people."""

    events = list(
        AuditEvent.objects.filter(target_type="orders.order", target_id=str(order.public_id))
        .exclude(action="order.viewed")
        .order_by("seq")
    )
    people = {
        u.public_id: u for u in User.objects.filter(public_id__in={e.actor_id for e in events})
    }
    return [
        {
            "at": e.created_at,
            "action": e.action,
            "text": _event_text(e.action, e.data),
            "actor": people.get(e.actor_id) if e.actor_id else None,
        }
        for e in events
    ]


def remake_rates(principal) -> list[dict]:
    """Remakes per counterpart (ORD-8): orders delivered, remakes asked, rate — per lab for a
    practice, per practice for a lab. Two grouped queries."""
    from django.db.models import Count

    orders, side = access.orders_counted(principal)
    other = "lab" if side == "practice" else "practice"
    totals = (
        orders.exclude(state__in=[OrderState.DRAFT, OrderState.CANCELLED, OrderState.DECLINED])
        .values(f"{other}__public_id", f"{other}__name")
        .annotate(orders=Count("pk"), remakes=Count("pk", filter=Q(remake_of__isnull=False)))
        .order_by(f"{other}__name")
    )
    return [
        {
            "name": row[f"{other}__name"],
            "orders": row["orders"],
            "remakes": row["remakes"],
            "rate": (row["remakes"] / row["orders"]) if row["orders"] else 0.0,
        }
        for row in totals
    ]


def order_files(principal, order, attachments, *, label: str) -> list[dict]:
    """Per attached item: its latest files as this side may have them (the practice its
    originals, the lab the anonymized copies), processing state, download and 3D preview."""

    outside = order.side == "lab"
    grouped = files_access.design_assets(order, [a.item for a in attachments])
    entries = []
    for n, attachment in enumerate(attachments, start=1):
        assets = grouped.get(attachment.item_id, [])
        if not assets:
            continue
        latest = max(a.version.number for a in assets if a.version_id)
        assets = [a for a in assets if a.version_id and a.version.number == latest]
        main = next((a for a in assets if a.role == ("shared" if outside else "original")), None)
        original = next((a for a in assets if a.role == "original"), None)
        if main is None:
            main = original  # still processing: only the original exists yet
        preview = next((a for a in assets if a.role == "preview" and a.status == "ready"), None)
        entry = {
            "attachment": attachment,
            "label": f"{label} {n}",
            "asset": main,
            "status": original.get_status_display() if original else "",
            "processing": original is not None and original.status == "processing",
            "problem": original.error_message if original else "",
            "preview": preview,
        }
        if (
            main is not None
            and main.status == "ready"
            and main.parts
            and (not outside or main.role == "shared")
        ):
            entry["download"] = delivery.link_for(principal, main)
            entry["name"] = main.filename if outside else (main.original_name or main.filename)
        entries.append(entry)
    return entries


# --- The order page (both sides) -----------------------------------------------------------------

# What of a patient's record a prescription may carry.
ATTACHABLE_KINDS = (
    RecordItemKind.SCAN,
    RecordItemKind.CBCT,
    RecordItemKind.PHOTO,
    RecordItemKind.RADIOGRAPH,
    RecordItemKind.DOCUMENT,
)


def _record_titles(patient) -> list:
    items = [item for item in patients_access.record_of(patient) if item.kind in ATTACHABLE_KINDS]
    titles = patients_access.record_item_titles(items)
    return [(item, titles.get(item.pk, "")) for item in items]


def order_page(principal, order) -> dict:
    """Everything the order page shows, for either side, with a constant number of queries
    whatever the numbers of items, files, messages and assignments (test_pages.py). It writes
    nothing: the page marks the thread read itself."""
    now = timezone.now()
    allowed = workflow.allowed(
        state=order.state, side=order.side, role=principal.role, assigned=order.assigned
    )
    assignments = access.order_assignments(order)
    attachments = access.order_attachments(order)
    design = [a for a in attachments if a.kind == AttachmentKind.DESIGN]
    designs = order_files(principal, order, design, label=_("Design"))
    scans = order_files(
        principal,
        order,
        [a for a in attachments if a.kind == AttachmentKind.PRESCRIPTION],
        label=_("File"),
    )
    thread = access.order_messages(order)
    shares = {a.item_id: a.share for a in attachments}
    for message in thread:
        message.file_link = None
        if message.attachment is None:  # loaded with the thread (select_related)
            continue
        share = shares.get(message.attachment.pk)
        if order.side == "practice" and order.patient is not None:
            message.file_link = reverse(
                "record_item_detail", args=[order.patient.public_id, message.attachment.public_id]
            )
        elif share is not None:
            message.file_link = reverse("lab_share_detail", args=[share.public_id])
    record_files = []
    if order.side == "practice" and order.patient is not None:
        record_files = [(item, title) for item, title in _record_titles(order.patient)]
    context = {
        "order": order,
        "side": order.side,
        "patient": access.order_patient(order),
        "items": access.order_items(order),
        "attachments": [a for a in attachments if a.kind == AttachmentKind.PRESCRIPTION],
        "design_attachments": design,
        "titles": patients_access.record_item_titles([a.item for a in attachments])
        if order.side == "practice"
        else {},
        "steps": [
            {
                "transition": t,
                "label": Transition(t).label,
                "reason": workflow.TRANSITIONS[t].needs_reason,
                "return_date": t == Transition.ACCEPT,
            }
            for t in allowed
        ],
        "assignments": [a for a in assignments if a.is_active_at(now)],
        "past_assignments": [a for a in assignments if not a.is_active_at(now)],
        "messages_": thread,
        "timeline": timeline_for(order),
        "designs": designs,
        "scans": scans,
        "viewer_models": delivery.viewer_models(principal, designs, scans)
        if any(d["preview"] for d in designs)
        else "",
        "may_upload_design": order.side == "lab"
        and order.state == OrderState.IN_DESIGN
        and principal.may(Perm.ORDER_WORK)
        and (principal.role != Role.DESIGNER or order.assigned),
        "record_files": record_files,
        "may_send_files": order.side == "lab"
        and order.state in workflow.OPEN_STATES
        and principal.may(Perm.ORDER_WORK)
        and (principal.role != Role.DESIGNER or order.assigned),
        "today": timezone.localdate(),
    }
    if order.side == "lab" and principal.may(Perm.ORDER_MANAGE):
        context["assignable"] = list(
            Membership.objects.filter(
                organization=order.lab, role__in=[Role.MANAGER, Role.TECHNICIAN, Role.DESIGNER]
            ).select_related("user")
        )
        context["may_manage"] = True
        context["may_change_return_date"] = order.state in (
            LAB_WORK_STATES | {OrderState.INFO_REQUESTED}
        )
    if Transition.ACCEPT in allowed:
        context["proposed"] = propose_return_date(order)
    context["may_remake"] = (
        order.side == "practice"
        and order.state in (OrderState.SHIPPED, OrderState.DELIVERED, OrderState.CLOSED)
        and principal.may(Perm.ORDER_PRESCRIBE)
    )
    if order.remake_of_id or order.side == "practice":
        context["remakes"] = access.order_remakes(order)
    return context
