"""Order pages (ORD-1…ORD-8): the practice's prescription editor and order list, the lab's
inbox, and the order page both sides share (each sees what is theirs to see and do)."""

from datetime import datetime, time

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dentalbridge.core.errors import Conflict, DomainError, ValidationFailed
from dentalbridge.core.http import domain_view
from dentalbridge.core.text import search_text
from dentalbridge.files.models import Jaw
from dentalbridge.orders import access, forms, selectors, services
from dentalbridge.orders import teeth as fdi
from dentalbridge.orders.lab_view import OrderForLab
from dentalbridge.orders.prescription import (
    NEEDS,
    Arch,
    Material,
    RestorationType,
    shade_choices,
)
from dentalbridge.orders.workflow import OrderState
from dentalbridge.organizations import selectors as org_selectors
from dentalbridge.organizations.forms import apply_errors
from dentalbridge.organizations.models import Membership
from dentalbridge.patients import access as patients_access
from dentalbridge.patients.models import RecordItemKind
from dentalbridge.privacy.policy import Perm

PAGE_SIZE = 50


# --- Lists ----------------------------------------------------------------------------------------


@domain_view
@require_GET
def order_list(request):
    """The practice's orders, or the lab's inbox: tabs (new, due today, overdue, open, done),
    a stage filter and a search by reference or pseudonym."""
    default = "open"
    view = request.GET.get("view", default)
    if view not in selectors.INBOX_VIEWS:
        view = default
    stage = request.GET.get("stage", "")
    search = search_text(request.GET.get("q"), limit=40)
    orders, side = selectors.inbox(request.principal, view=view, stage=stage, search=search)
    page = Paginator(
        orders.prefetch_related(
            Prefetch("items", queryset=access.order_items_queryset()),
            Prefetch("assignments", queryset=access.order_assignments_queryset()),
        ),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = []
    for order in page:
        summary = _summary(order.items.all())
        assignees = [a.assignee for a in order.assignments.all() if a.is_active_at(now)]
        if side == "lab":  # the lab's rows show the pseudonym, with no way to the patient
            order = OrderForLab.of(order, summary=summary, assignees=assignees)
        else:
            order.summary, order.assignees = summary, assignees
        rows.append(order)
    page.object_list = rows
    return render(
        request,
        "orders/list.html",
        {
            "page": page,
            "side": side,
            "view": view,
            "stage": stage,
            "q": search,
            "counts": selectors.inbox_counts(request.principal),
            "stages": [
                s for s in OrderState.choices if s[0] != OrderState.DRAFT or side == "practice"
            ],
            "today": timezone.localdate(),
            "remake_rates": selectors.remake_rates(request.principal) if view == "done" else None,
        },
    )


def _summary(items) -> str:
    parts = []
    for item in items:
        text = RestorationType(item.restoration_type).label if item.restoration_type else "?"
        teeth = fdi.label(item.teeth)
        parts.append(f"{text} {teeth}".strip())
    return "; ".join(parts)


# --- The prescription (practice) --------------------------------------------------------------


@domain_view
@require_POST
def patient_order_create(request, patient_id):
    try:
        order = services.order_create(actor=request.principal, patient_id=patient_id)
    except ValidationFailed as error:
        messages.error(request, error.message)
        return redirect("patient_detail", patient_id=patient_id)
    return redirect("order_edit", order_id=order.public_id)


QUADRANTS = {  # (dentition, jaw): the quadrants left to right on screen
    ("permanent", "upper"): (1, 2),
    ("permanent", "lower"): (4, 3),
    ("primary", "upper"): (5, 6),
    ("primary", "lower"): (8, 7),
}


def _rows(dentition: str) -> list[dict]:
    labels = {
        ("permanent", "upper"): _("Upper jaw"),
        ("permanent", "lower"): _("Lower jaw"),
        ("primary", "upper"): _("Upper jaw, primary teeth"),
        ("primary", "lower"): _("Lower jaw, primary teeth"),
    }
    rows = []
    for jaw in (fdi.UPPER, fdi.LOWER):
        arch = fdi.ARCHES[(dentition, jaw)]
        half = len(arch) // 2
        left, right = QUADRANTS[(dentition, jaw)]
        rows.append(
            {
                "jaw": jaw,
                "label": labels[(dentition, jaw)],
                "quadrants": [
                    {"n": left, "teeth": arch[:half]},
                    {"n": right, "teeth": arch[half:]},
                ],
            }
        )
    return rows


def _chart(name: str, chart_id: str, selected, *, pontics_for: str = "") -> dict:
    selected = {int(t) for t in selected or [] if str(t).isascii() and str(t).isdigit()}
    return {
        "name": name,
        "id": chart_id,
        "selected": selected,
        "pontics_for": pontics_for,
        "permanent": _rows("permanent"),
        "primary": _rows("primary"),
        "primary_open": any(t >= 51 for t in selected),
    }


def _item_rows(items, errors=None) -> list[dict]:
    errors = errors or {}
    rows = []
    for n, item in enumerate(items, start=1):
        get = (
            (lambda f, i=item: i.get(f, ""))
            if isinstance(item, dict)
            else (lambda f, i=item: getattr(i, f, ""))
        )
        platform = get("implant_platform")
        rows.append(
            {
                "n": n,
                "restoration_type": get("restoration_type"),
                "arch": get("arch"),
                "material": get("material"),
                "shade": get("shade"),
                "implant_platform": str(getattr(platform, "public_id", platform) or ""),
                "notes": get("notes"),
                "errors": {
                    key.split(".", 2)[2]: texts
                    for key, texts in errors.items()
                    if key.startswith(f"items.{n}.") and key.count(".") == 2
                },
                "teeth": _chart(f"items-{n}-teeth", f"items-{n}-teeth", get("teeth")),
                "pontics": _chart(
                    f"items-{n}-pontics",
                    f"items-{n}-pontics",
                    get("pontics"),
                    pontics_for=f"items-{n}-teeth",
                ),
            }
        )
    return rows


def _editor_context(request, order, *, form=None, items=None, errors=None) -> dict:
    patient = access.order_patient(order)
    labs = org_selectors.connected_labs(order.practice)
    saved_items = access.order_items(order)
    if form is None:
        form = forms.DraftForm(
            labs=labs,
            initial={
                "lab": str(order.lab.public_id) if order.lab else "",
                "due_date": order.due_date.isoformat() if order.due_date else "",
                "requires_approval": order.requires_approval,
                "preparation_notes": order.preparation_notes,
                "technical_notes": order.technical_notes,
            },
        )
    attachments = access.order_attachments(order)
    attached = {a.item_id for a in attachments}
    record = (
        [
            item
            for item in patients_access.record_of(patient)
            if item.kind in selectors.ATTACHABLE_KINDS
        ]
        if patient
        else []
    )
    titles = patients_access.record_item_titles(record)
    materials = None
    if order.lab is not None:
        offered = selectors.lab_products(order.lab).filter(active=True)
        materials = sorted({p.material for p in offered}) or None
    return {
        "order": order,
        "patient": patient,
        "form": form,
        # A new prescription starts with one restoration to fill in (saved when the form is).
        "items": _item_rows(
            items if items is not None else (saved_items or [{"restoration_type": "crown"}]),
            errors,
        ),
        "item_errors": errors or {},
        "missing": list(services.submit_problems(order, saved_items).values()),
        "types": RestorationType.choices,
        "needs": NEEDS,
        "show_teeth": " ".join(k for k, n in NEEDS.items() if n.teeth or n.pontics),
        "show_arch": " ".join(k for k, n in NEEDS.items() if n.arch),
        "show_material": " ".join(k for k, n in NEEDS.items() if n.material),
        "show_shade": " ".join(k for k, n in NEEDS.items() if n.shade),
        "show_implant": " ".join(k for k, n in NEEDS.items() if n.implant),
        "arches": Arch.choices,
        "materials": [
            (value, label)
            for value, label in Material.choices
            if materials is None or value in materials
        ],
        "shades": shade_choices(),
        "library": selectors.implant_library(order.lab),
        "record": [(item, titles.get(item.pk, ""), item.pk in attached) for item in record],
        "earliest": selectors.propose_return_date(order) if order.lab else None,
        "kinds": RecordItemKind.choices,
        "jaws": Jaw.choices,
        "uploader_id": "order",
    }


def _draft_data(request, form) -> dict:
    return {
        "lab": form.cleaned_data["lab"],
        "due_date": form.cleaned_data["due_date"],
        "requires_approval": form.cleaned_data["requires_approval"],
        "preparation_notes": form.cleaned_data["preparation_notes"],
        "technical_notes": form.cleaned_data["technical_notes"],
        "items": forms.items_from_post(request.POST),
    }


@domain_view
@require_http_methods(["GET", "POST"])
def order_edit(request, order_id):
    order = services.practice_draft(actor=request.principal, order_id=order_id)
    if order.state != OrderState.DRAFT:
        return redirect("order_detail", order_id=order.public_id)
    if request.method == "GET":
        return render(request, "orders/edit.html", _editor_context(request, order))
    action = request.POST.get("action", "save")
    labs = org_selectors.connected_labs(order.practice)
    form = forms.DraftForm(request.POST, labs=labs)
    if not form.is_valid():
        context = _editor_context(
            request, order, form=form, items=forms.items_from_post(request.POST)
        )
        return render(request, "orders/edit.html", context, status=400)
    data = _draft_data(request, form)
    if action == "add":
        data["items"].append({"restoration_type": RestorationType.CROWN})
    elif action.startswith("remove-"):
        number = action.removeprefix("remove-")
        data["items"] = [item for n, item in enumerate(data["items"], start=1) if str(n) != number]
    try:
        # Saved, attached and (if asked) sent in one transaction, as the API does.
        update = services.order_draft_update(
            actor=request.principal,
            order_id=order.public_id,
            data=data,
            attachments=request.POST.getlist("attach"),
            submit=action == "submit",
        )
    except ValidationFailed as error:
        apply_errors(form, error)
        order = services.practice_draft(actor=request.principal, order_id=order_id)
        context = _editor_context(
            request,
            order,
            form=form,
            items=data["items"] if action != "submit" else None,
            errors=error.fields,
        )
        return render(request, "orders/edit.html", context, status=400)
    if update.not_sent is not None:
        # The draft is saved; the page (after a redirect, so a reload cannot post the old form
        # again) lists what is still missing, or who may send it (an assistant prepares the
        # order, a dentist sends it).
        messages.error(request, update.not_sent.message)
        return redirect("order_edit", order_id=order.public_id)
    if update.sent:
        order = update.order
        messages.success(
            request,
            _("Order %(reference)s was sent to %(lab)s.")
            % {"reference": order.reference, "lab": order.lab.name if order.lab else ""},
        )
        return redirect("order_detail", order_id=order.public_id)
    if action == "save":
        messages.success(request, _("Draft saved."))
    return redirect("order_edit", order_id=order.public_id)


@domain_view
@require_POST
def order_autosave(request, order_id):
    """Drafts are saved as one types (htmx posts the form); the answer is a status line."""
    order = services.practice_draft(actor=request.principal, order_id=order_id)
    if order.state != OrderState.DRAFT:
        raise Conflict(_("This order was sent; it can no longer be edited."))
    form = forms.DraftForm(request.POST, labs=org_selectors.connected_labs(order.practice))
    problems: dict = {}
    if form.is_valid():
        try:
            services.order_save_draft(
                actor=request.principal, order_id=order.public_id, data=_draft_data(request, form)
            )
        except ValidationFailed as error:
            problems = error.fields
    else:
        problems = {k: list(v) for k, v in form.errors.items()}
    return render(
        request,
        "orders/_autosave.html",
        {"problems": problems, "saved_at": timezone.localtime() if not problems else None},
    )


# --- The order page (both sides) -----------------------------------------------------------------


def _detail_context(request, order) -> dict:
    """The order page: its one selector, the read receipts of the thread it shows (the one write
    of this page, named by test_pages.py), and the forms of what the principal may do."""
    principal = request.principal
    context = selectors.order_page(principal, order)
    services.order_messages_read(actor=principal, order=order, messages=context["messages_"])
    context["message_form"] = forms.MessageForm()
    if "assignable" in context:
        context["assign_form"] = forms.AssignForm(members=context.pop("assignable"))
        if context["may_change_return_date"]:
            context["return_form"] = forms.ReturnDateForm(
                initial={"return_date": order.confirmed_due_date}
            )
    if context["may_remake"]:
        context["remake_form"] = forms.RemakeForm()
    return context


@domain_view
@require_GET
def order_detail(request, order_id):
    order = access.order_access(request.principal, order_id)
    if order.side == "practice" and order.state == OrderState.DRAFT:
        return redirect("order_edit", order_id=order.public_id)
    return render(request, "orders/detail.html", _detail_context(request, order))


def _back(order_id):
    return redirect("order_detail", order_id=order_id)


@domain_view
@require_POST
def order_step(request, order_id):
    form = forms.StepForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That step could not be read; please try again."))
        return _back(order_id)
    try:
        order = services.order_transition(
            actor=request.principal,
            order_id=order_id,
            transition=form.cleaned_data["transition"],
            reason=form.cleaned_data["reason"],
            return_date=form.cleaned_data["return_date"] or None,
        )
    except ValidationFailed as error:
        details = " ".join(" ".join(v) for v in error.fields.values())
        messages.error(request, f"{error.message} {details}".strip() if details else error.message)
        return _back(order_id)
    messages.success(
        request,
        _("Order %(reference)s: %(state)s.")
        % {"reference": order.reference, "state": OrderState(order.state).label},
    )
    return _back(order_id)


def _until(day):
    if not day:
        return None
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


@domain_view
@require_POST
def order_assign(request, order_id):
    order = access.order_access(request.principal, order_id, Perm.ORDER_MANAGE, audit=False)
    members = Membership.objects.filter(organization=order.lab).select_related("user")
    form = forms.AssignForm(request.POST, members=members)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(v) for v in form.errors.values()))
        return _back(order_id)
    try:
        assignment = services.order_assign(
            actor=request.principal,
            order_id=order_id,
            member_id=form.cleaned_data["member"],
            ends_at=_until(form.cleaned_data["until"]),
        )
    except ValidationFailed as error:
        messages.error(request, _message(error))
        return _back(order_id)
    messages.success(
        request, _("%(name)s is assigned.") % {"name": assignment.assignee.display_name}
    )
    return _back(order_id)


def _message(error: DomainError) -> str:
    if isinstance(error, ValidationFailed) and error.fields:
        return " ".join(" ".join(v) for v in error.fields.values())
    return str(error.message)


@domain_view
@require_POST
def order_unassign(request, order_id, assignment_id):
    assignment = services.order_unassign(
        actor=request.principal, order_id=order_id, assignment_id=assignment_id
    )
    messages.success(
        request, _("%(name)s is no longer assigned.") % {"name": assignment.assignee.display_name}
    )
    return _back(order_id)


@domain_view
@require_POST
def order_return_date(request, order_id):
    form = forms.ReturnDateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the return date as a date."))
        return _back(order_id)
    try:
        services.order_confirm_return_date(
            actor=request.principal, order_id=order_id, return_date=form.cleaned_data["return_date"]
        )
    except ValidationFailed as error:
        messages.error(request, _message(error))
        return _back(order_id)
    messages.success(request, _("Return date confirmed."))
    return _back(order_id)


@domain_view
@require_POST
def order_message(request, order_id):
    form = forms.MessageForm(request.POST)
    body = form.data.get("body", "")
    try:
        services.order_message_post(
            actor=request.principal,
            order_id=order_id,
            body=body,
            item_id=request.POST.get("item") or None,
        )
    except ValidationFailed as error:
        messages.error(request, _message(error))
    return redirect(f"{_back(order_id).url}#thread")


@domain_view
@require_POST
def order_remake(request, order_id):
    form = forms.RemakeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(v) for v in form.errors.values()))
        return _back(order_id)
    try:
        remake = services.order_remake(
            actor=request.principal,
            order_id=order_id,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except ValidationFailed as error:
        messages.error(request, _message(error))
        return _back(order_id)
    messages.success(
        request,
        _("Remake %(reference)s drafted: check it and send it.") % {"reference": remake.reference},
    )
    return redirect("order_edit", order_id=remake.public_id)


@domain_view
@require_POST
def order_attach(request, order_id):
    """The practice adds a file while the lab asks for information."""
    try:
        services.order_attach(
            actor=request.principal, order_id=order_id, item_id=request.POST.get("item", "")
        )
    except ValidationFailed as error:
        messages.error(request, _message(error))
    else:
        messages.success(request, _("The file was added to the order."))
    return _back(order_id)
