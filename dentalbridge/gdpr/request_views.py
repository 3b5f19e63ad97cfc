"""Pages for data-subject requests (PRV-3, PRV-4): the public form and its e-mail confirmation,
a person's own requests, the controller's queue, and a lab's forwarding of a patient's request."""

from typing import cast

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Field
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dentalbridge.core.downloads import personal_zip
from dentalbridge.core.errors import Conflict, Forbidden, NotFound, RateLimited, ValidationFailed
from dentalbridge.core.http import client_of, domain_view
from dentalbridge.core.refusals import refusal_as_message
from dentalbridge.core.text import uuid_or_none
from dentalbridge.gdpr import access, erasure, requests, rights
from dentalbridge.gdpr.forms import (
    AnswerForm,
    ExtendForm,
    ForwardForm,
    LegalHoldForm,
    LiftHoldForm,
    PublicRequestForm,
    SelfRequestForm,
)
from dentalbridge.gdpr.models import DeletionInstruction, RequestStatus
from dentalbridge.organizations.models import Organization
from dentalbridge.patients import access as patients_access
from dentalbridge.privacy.policy import Perm


def access_field_label(name: str) -> str:
    from dentalbridge.patients.models import Patient

    # The names asked for are the patient's own columns, never a reverse relation.
    field = cast(Field, Patient._meta.get_field(name))
    return str(field.verbose_name).capitalize()


def _kind_help():
    return {str(kind): str(text) for kind, text in requests.KIND_HELP.items()}


@require_http_methods(["GET", "POST"])
def data_request_public(request):
    """For people without an account: the request counts once the e-mail is confirmed."""
    form = PublicRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip, _agent = client_of(request)
        try:
            requests.request_create_public(ip=ip, **form.cleaned_data)
        except RateLimited as error:
            return render(
                request,
                "privacy/request_public.html",
                {"form": form, "error": error.message, "kind_help": _kind_help()},
                status=429,
            )
        return render(request, "privacy/request_sent.html", {"email": form.cleaned_data["email"]})
    return render(request, "privacy/request_public.html", {"form": form, "kind_help": _kind_help()})


@require_http_methods(["GET", "POST"])
def data_request_verify(request, token):
    """The link from the e-mail: a button, so a mail system's link scanner confirms nothing."""
    if request.method == "GET":
        return render(request, "privacy/request_verify.html", {"token": token})
    ip, _agent = client_of(request)
    try:
        done = requests.request_verify(token, ip=ip)
    except NotFound as error:
        return render(request, "privacy/request_verify.html", {"error": error.message}, status=404)
    except Conflict as error:
        return render(request, "privacy/request_verify.html", {"error": error.message}, status=409)
    return render(request, "privacy/request_verify.html", {"done": done})


@login_required
@require_http_methods(["GET", "POST"])
def my_data_requests(request):
    """A person's own requests, and a new one, about their account or (portal) their record."""
    patients = patients_access.portal_patients(request.principal)
    form = SelfRequestForm(request.POST or None, patients=patients)
    if request.method == "POST" and form.is_valid():
        about = form.cleaned_data["about"]
        try:
            made = requests.request_create(
                actor=request.principal,
                kind=form.cleaned_data["kind"],
                details=form.cleaned_data["details"],
                patient_id=None if about == "account" else about,
            )
        except RateLimited as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Request %(reference)s is received; the answer is due by %(date)s.")
                % {
                    "reference": made.reference,
                    "date": timezone.localdate(made.due_at).isoformat(),
                },
            )
            return redirect("my_data_requests")
    return render(
        request,
        "privacy/my_requests.html",
        {
            "form": form,
            "mine": access.data_requests_of_user(request.user),
            "kind_help": _kind_help(),
        },
    )


@domain_view
@require_GET
def data_request_list(request):
    """The controller's queue, soonest deadline first; answered ones below."""
    queue = access.data_requests_query(request.principal)
    open_requests = list(queue.filter(status=RequestStatus.OPEN).order_by("due_at"))
    closed = Paginator(
        queue.exclude(status__in=(RequestStatus.OPEN, RequestStatus.UNVERIFIED)).order_by(
            "-answered_at"
        ),
        50,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "privacy/request_list.html",
        {"open_requests": open_requests, "closed": closed, "now": timezone.now()},
    )


@domain_view
@require_GET
def data_request_detail(request, request_id):
    found = access.data_request_access(request.principal, request_id)
    copy = found.kind in requests.EXPORT_KINDS and found.status != RequestStatus.REFUSED
    erasable = found.kind == "erasure" and found.status == RequestStatus.OPEN and found.patient
    holds = access.legal_holds_of(request.principal, found.patient) if erasable else []
    return render(
        request,
        "privacy/request_detail.html",
        {
            "req": found,
            "extend_form": ExtendForm(),
            "answer_form": AnswerForm(portability=found.kind == "portability"),
            "copy_url": requests.export_url(found) if copy else "",
            "erasure_plan": erasure.plan(found.patient, holds) if erasable else None,
            "practices": Organization.objects.filter(kind="practice").order_by("name")
            if found.controller.kind == "platform" and found.status == RequestStatus.OPEN
            else [],
            "instructions": DeletionInstruction.objects.filter(
                practice=found.controller, request_reference=found.reference
            ).select_related("lab")
            if found.kind == "erasure"
            else [],
            "rectifiable": [
                (name, access_field_label(name), getattr(found.patient, name) or "")
                for name in rights.RECTIFIABLE
            ]
            if found.kind == "rectification" and found.patient and found.status == "open"
            else [],
        },
    )


@domain_view
@require_POST
def data_request_extend(request, request_id):
    form = ExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why more time is needed: the requester is told."))
        return redirect("data_request_detail", request_id=request_id)
    with refusal_as_message(request, Conflict, ValidationFailed):
        requests.request_extend(
            actor=request.principal, request_id=request_id, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("The deadline is extended by two months."))
    return redirect("data_request_detail", request_id=request_id)


@domain_view
@require_POST
def data_request_answer(request, request_id):
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the answer letter: the requester receives it."))
        return redirect("data_request_detail", request_id=request_id)
    with refusal_as_message(request, Conflict, ValidationFailed):
        requests.request_answer(
            actor=request.principal,
            request_id=request_id,
            answer=form.cleaned_data["answer"],
            refused=form.cleaned_data["refused"],
            send_copy_to=form.cleaned_data.get("send_copy_to") or "",
        )
        messages.success(request, _("The answer is sent."))
    return redirect("data_request_detail", request_id=request_id)


def _forwarding_lab(principal):
    """The acting lab, if the principal may pass on requests for it: only a lab has these pages
    (404 elsewhere), and only a role that may forward uses them (403)."""
    organization = principal.organization
    if organization is None or organization.kind != "lab":
        raise NotFound()
    if not principal.may(Perm.DATA_REQUEST_FORWARD):
        raise Forbidden()
    return organization


@domain_view
@require_http_methods(["GET", "POST"])
def data_request_forward(request):
    """A lab passes on a patient's request to the practice that controls the data (PRV-4)."""
    _forwarding_lab(request.principal)
    form = ForwardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = requests.request_forward(actor=request.principal, **form.cleaned_data)
        except NotFound:
            form.add_error("order_reference", _("No order of this lab has this reference."))
        else:
            messages.success(
                request,
                _(
                    "Forwarded to %(practice)s as request %(reference)s; the practice answers "
                    "the person within the deadline."
                )
                % {"practice": made.controller.name, "reference": made.reference},
            )
            return redirect("data_request_forward")
    return render(request, "privacy/request_forward.html", {"form": form})


@require_GET
def data_request_download(request, token):
    """The copy (access, portability): streamed, decrypted on the way, audited per download."""
    ip, user_agent = client_of(request)
    try:
        name, stream = requests.export_open(token, ip=ip, user_agent=user_agent)
    except NotFound as error:
        return render(request, "privacy/request_verify.html", {"error": error.message}, status=404)
    return personal_zip(name, stream)


@domain_view
@require_POST
def data_request_erase(request, request_id):
    """Carry out an erasure request within legal limits; the receipt is the answer."""
    with refusal_as_message(request, Conflict):
        receipt = erasure.erase_for_request(actor=request.principal, request_id=request_id)
        messages.success(request, erasure.receipt_letter(receipt).splitlines()[0])
    return redirect("data_request_detail", request_id=request_id)


@domain_view
@require_POST
def legal_hold_place(request, patient_id):
    form = LegalHoldForm(request.POST)
    if form.is_valid():
        with refusal_as_message(request, ValidationFailed):
            erasure.hold_place(actor=request.principal, patient_id=patient_id, **form.cleaned_data)
            messages.success(request, _("The hold is placed: nothing of this record is erased."))
    else:
        messages.error(request, _("Choose the kind of hold and give the reason."))
    return redirect("patient_detail", patient_id=patient_id)


@domain_view
@require_POST
def legal_hold_lift(request, patient_id, hold_id):
    form = LiftHoldForm(request.POST)
    if form.is_valid():
        with refusal_as_message(request, Conflict, ValidationFailed):
            erasure.hold_lift(
                actor=request.principal,
                patient_id=patient_id,
                hold_id=hold_id,
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("The hold is lifted."))
    else:
        messages.error(request, _("Say why the hold ends."))
    return redirect("patient_detail", patient_id=patient_id)


@domain_view
@require_POST
def data_request_execute(request, request_id):
    """The buttons of the request page that carry out a right by code."""
    action = request.POST.get("action", "")
    with refusal_as_message(request, Conflict, ValidationFailed):
        if action == "restrict":
            rights.restrict(actor=request.principal, request_id=request_id)
            messages.success(request, _("The record is restricted: it is only stored now."))
        elif action == "lift_restriction":
            rights.lift_restriction(actor=request.principal, request_id=request_id)
            messages.success(request, _("The restriction is lifted."))
        elif action == "withdraw":
            withdrawn = rights.withdraw_all(actor=request.principal, request_id=request_id)
            messages.success(
                request,
                _("Withdrawn: %(list)s.") % {"list": ", ".join(withdrawn) or "—"},
            )
        elif action == "route":
            routed = requests.request_route(
                actor=request.principal,
                request_id=request_id,
                practice_id=uuid_or_none(request.POST.get("practice")),
            )
            messages.success(
                request,
                _("Sent to %(practice)s, which decides from now on.")
                % {"practice": routed.controller.name},
            )
            return redirect("data_request_list")
        elif action == "rectify":
            values = {
                name: request.POST.get(name, "").strip()
                for name in rights.RECTIFIABLE
                if name in request.POST
            }
            rights.rectify(actor=request.principal, request_id=request_id, **values)
            messages.success(request, _("Corrected; the original values stay on file."))
        else:
            messages.error(request, _("Unknown action."))
    return redirect("data_request_detail", request_id=request_id)


@login_required
@require_POST
def close_my_account(request):
    """ACC-6: the person closes their account; confirmed by typing their e-mail address."""
    typed = request.POST.get("confirm_email", "").strip().lower()
    if typed != request.user.email.lower():
        messages.error(request, _("Type your e-mail address to confirm."))
        return redirect("my_privacy")
    try:
        rights.close_account(actor=request.principal)
    except Conflict as error:
        messages.error(request, error.message)
        return redirect("my_privacy")
    logout(request)
    return render(request, "privacy/account_closed.html")


@domain_view
@require_http_methods(["GET", "POST"])
def deletion_instructions(request):
    """A lab's deletion instructions from its practices (PRV-4), soonest first; confirm each."""
    organization = _forwarding_lab(request.principal)
    if request.method == "POST":
        with refusal_as_message(request, Conflict, NotFound):
            erasure.instruction_done(
                actor=request.principal,
                instruction_id=request.POST.get("instruction", ""),
                note=request.POST.get("note", ""),
            )
            messages.success(request, _("Confirmed: the practice sees it done."))
        return redirect("deletion_instructions")
    instructions = DeletionInstruction.objects.filter(lab=organization).select_related("practice")
    return render(
        request,
        "privacy/deletion_instructions.html",
        {
            "open": list(instructions.filter(done_at=None).order_by("due_at")),
            "done": list(instructions.exclude(done_at=None).order_by("-done_at")[:50]),
        },
    )
