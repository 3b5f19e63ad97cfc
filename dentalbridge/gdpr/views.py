"""Pages of the platform's data protection officer — audit trails by patient id across tenants,
legal archives opened for a stated purpose, the processing register — and the public privacy
notice and cookie policy generated from the register."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dentalbridge.core.errors import Conflict, ValidationFailed
from dentalbridge.core.http import client_of, domain_view
from dentalbridge.core.refusals import refusal_as_message
from dentalbridge.core.text import uuid_or_none
from dentalbridge.gdpr import access, breaches, consent, notice, purposes, services
from dentalbridge.gdpr.forms import (
    AuthorityNotifiedForm,
    BreachForm,
    OperatorDetailsForm,
    PolicyPublishForm,
    SubProcessorForm,
)
from dentalbridge.gdpr.models import Breach, ConsentMethod, ConsentRecord, PolicyVersion
from dentalbridge.gdpr.selectors import platform_audit_events_for_patient
from dentalbridge.organizations.models import Organization
from dentalbridge.patients import access as patients_access
from dentalbridge.patients.forms import ArchivePurposeForm
from dentalbridge.privacy import policy


@domain_view
@require_GET
def dpo_home(request):
    """The DPO's workspace: requests by deadline, breach clocks, consents, retention, the audit
    search and the Art. 30 record, on one page."""
    policy.platform_dpo_required(request.principal)
    patient_id = uuid_or_none(request.GET.get("patient", ""))
    if patient_id is not None:
        return redirect("dpo_patient_audit", patient_id=patient_id)
    from dentalbridge.gdpr import retention
    from dentalbridge.gdpr.models import RequestStatus, RetentionRun

    now = timezone.now()
    open_requests = list(
        access.data_requests_query(request.principal)
        .filter(status=RequestStatus.OPEN)
        .order_by("due_at")[:20]
    )
    return render(
        request,
        "privacy/dpo_home.html",
        {
            "invalid": bool(request.GET.get("patient")),
            "open_requests": open_requests,
            "soon": now + timedelta(days=7),
            "breaches": Breach.objects.filter(closed_at=None).order_by("-detected_at")[:10],
            "consents": consent.statistics(),
            "runs": RetentionRun.objects.all()[:5],
            "expired": retention.expired_counts(actor=request.principal),
            "now": now,
        },
    )


@domain_view
@require_POST
def dpo_retention_dry_run(request):
    policy.platform_dpo_required(request.principal)
    from dentalbridge.gdpr import retention

    run = retention.run(dry_run=True, actor=request.principal)
    found = sum(entry["found"] or 0 for entry in run.report)
    messages.success(request, _("Dry run: %(n)d rows would be deleted tonight.") % {"n": found})
    return redirect("dpo_home")


@domain_view
@require_GET
def dpo_patient_audit(request, patient_id):
    events = platform_audit_events_for_patient(request.principal, patient_id)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request, "privacy/dpo_patient_audit.html", {"page": page, "patient_id": patient_id}
    )


@domain_view
@require_http_methods(["GET", "POST"])
def dpo_archive(request, archive_id):
    policy.platform_dpo_required(request.principal)
    form = ArchivePurposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        archive = patients_access.archive_access(
            request.principal, archive_id, purpose=form.cleaned_data["purpose"]
        )
        return render(request, "patients/archive_detail.html", {"archive": archive})
    return render(request, "patients/archive_purpose.html", {"form": form})


# --- The processing register, generated (PRV-1, PRV-7, PRV-10) --------------------------------
def _reader_country(request) -> str:
    principal = getattr(request, "principal", None)
    membership = getattr(principal, "membership", None)
    return str(membership.organization.country) if membership is not None else ""


@require_GET
def privacy_notice(request):
    """The privacy notice (Arts. 13-14), public, in the reader's language."""
    context = notice.notice(country=_reader_country(request))
    context["version"] = consent.current_policy()
    return render(request, "privacy/notice.html", context)


@require_GET
def cookie_policy(request):
    return render(request, "privacy/cookies.html", {"cookies": purposes.COOKIES})


@domain_view
@require_GET
def dpo_record(request):
    """The record of processing activities (Art. 30) for the DPO and the regulator."""
    policy.platform_dpo_required(request.principal)
    return render(request, "privacy/dpo_record.html", {"record": notice.record_of_processing()})


@domain_view
@require_GET
def dpo_record_csv(request):
    policy.platform_dpo_required(request.principal)
    response = HttpResponse(
        notice.record_csv(notice.record_of_processing()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="record-of-processing.csv"'
    return response


@domain_view
@require_GET
def dpo_record_json(request):
    policy.platform_dpo_required(request.principal)
    response = JsonResponse(notice.record_of_processing(), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'attachment; filename="record-of-processing.json"'
    return response


@domain_view
@require_http_methods(["GET", "POST"])
def dpo_operator(request):
    policy.platform_dpo_required(request.principal)
    form = OperatorDetailsForm(request.POST or None, instance=notice.operator())
    if request.method == "POST" and form.is_valid():
        services.operator_details_save(actor=request.principal, **form.cleaned_data)
        messages.success(request, _("The operator's details are saved; the notice shows them."))
        return redirect("dpo_operator")
    return render(request, "privacy/dpo_operator.html", {"form": form})


@domain_view
@require_http_methods(["GET", "POST"])
def dpo_subprocessors(request):
    policy.platform_dpo_required(request.principal)
    form = SubProcessorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.subprocessor_add(actor=request.principal, **form.cleaned_data)
        messages.success(request, _("Sub-processor added."))
        return redirect("dpo_subprocessors")
    return render(
        request,
        "privacy/dpo_subprocessors.html",
        {"form": form, "subprocessors": notice.subprocessors()},
    )


@domain_view
@require_POST
def dpo_subprocessor_remove(request, subprocessor_id):
    services.subprocessor_remove(actor=request.principal, subprocessor_id=subprocessor_id)
    messages.success(request, _("Sub-processor removed."))
    return redirect("dpo_subprocessors")


def _next_url(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_http_methods(["GET", "POST"])
def cookie_settings(request):
    """Cookie consent by category (PRV-2), from the banner or the footer link, signed in or not.
    Refusing is one click, like accepting."""
    scripts = consent.configured_scripts()
    chosen = consent.cookie_choices(request)
    categories = [
        {
            "key": key,
            "text": consent.CATEGORY_TEXT[key],
            "configured": key in scripts,
            "checked": chosen[key],
        }
        for key in consent.COOKIE_CATEGORIES
    ]
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "accept_all":
            choices = {key: key in scripts for key in consent.COOKIE_CATEGORIES}
        elif action == "reject_all":
            choices = dict.fromkeys(consent.COOKIE_CATEGORIES, False)
        else:
            choices = {
                key: key in scripts and request.POST.get(key) == "on"
                for key in consent.COOKIE_CATEGORIES
            }
        shown = " ".join(
            [str(consent.BANNER_TEXT)]
            + [str(consent.CATEGORY_TEXT[key]) for key in consent.COOKIE_CATEGORIES]
        )
        method = ConsentMethod.COOKIE_BANNER if action != "save" else ConsentMethod.COOKIE_SETTINGS
        response = redirect(_next_url(request, reverse("cookie_settings")))
        consent.save_cookie_choice(request, response, choices, method=method, text=shown)
        messages.success(request, _("Your cookie choices are saved."))
        return response
    return render(
        request,
        "privacy/cookie_settings.html",
        {
            "categories": categories,
            "recorded": consent.read_cookie(request) is not None,
            "anything_to_choose": bool(scripts),
            "next": _next_url(request, ""),
        },
    )


# --- One's own privacy (self-service) ---------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def my_privacy(request):
    """A person's consents — given, withdrawn, asked again after a notice change — in one place."""
    from dentalbridge.messaging import newsletters

    user = request.user
    if request.method == "POST":
        wanted = request.POST.get("newsletter") == "on"
        if wanted != consent.has_consent(user, newsletters.PURPOSE):
            ip, user_agent = client_of(request)
            consent.record(
                purpose=newsletters.PURPOSE,
                given=wanted,
                method=ConsentMethod.FORM,
                text_shown=newsletters.CHECKBOX_TEXT,
                user=user,
                ip=ip,
                user_agent=user_agent,
            )
            messages.success(
                request,
                _("You will receive product news.")
                if wanted
                else _("You will receive no more product news. This counts from now on."),
            )
        return redirect("my_privacy")
    history = ConsentRecord.objects.filter(user=user).select_related("policy_version")
    return render(
        request,
        "privacy/my_privacy.html",
        {
            "newsletter": consent.has_consent(user, newsletters.PURPOSE),
            "newsletter_text": newsletters.CHECKBOX_TEXT,
            "reconsent": [purposes.purpose(key) for key in consent.needs_reconsent(user)],
            "history": history.order_by("-created_at", "-pk")[:50],
            "policy": consent.current_policy(),
        },
    )


@domain_view
@require_http_methods(["GET", "POST"])
def dpo_policy(request):
    """Publish a new version of the notice (PRV-9)."""
    policy.platform_dpo_required(request.principal)
    form = PolicyPublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.policy_publish(actor=request.principal, **form.cleaned_data)
        except ValidationFailed as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Version %(n)d is published; every account is told by e-mail.")
                % {"n": version.number},
            )
            return redirect("dpo_policy")
    return render(
        request,
        "privacy/dpo_policy.html",
        {"form": form, "versions": PolicyVersion.objects.all()[:50]},
    )


# --- Breaches (PRV-8, COM-5) ------------------------------------------------------------------
@domain_view
@require_http_methods(["GET", "POST"])
def dpo_breaches(request):
    policy.platform_dpo_required(request.principal)
    form = BreachForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            breach = breaches.breach_record(actor=request.principal, **form.cleaned_data)
        except ValidationFailed as error:
            form.add_error(None, error.message)
        else:
            return redirect("dpo_breach", breach_id=breach.public_id)
    return render(
        request,
        "privacy/dpo_breaches.html",
        {"form": form, "breaches": Breach.objects.all()[:100], "now": timezone.now()},
    )


@domain_view
@require_http_methods(["GET", "POST"])
def dpo_breach(request, breach_id):
    breach = breaches.breach_access(request.principal, breach_id)
    form = AuthorityNotifiedForm(request.POST or None)
    if request.method == "POST":
        with refusal_as_message(request, Conflict, ValidationFailed):
            if request.POST.get("action") == "people":
                count = breaches.people_notify(
                    actor=request.principal,
                    breach_id=breach_id,
                    organization_ids=[
                        value
                        for value in request.POST.getlist("organizations")
                        if uuid_or_none(value)
                    ],
                )
                messages.success(request, _("%(n)d people are told.") % {"n": count})
                return redirect("dpo_breach", breach_id=breach_id)
            if form.is_valid():
                breaches.authority_notified(
                    actor=request.principal, breach_id=breach_id, **form.cleaned_data
                )
                messages.success(request, _("The notification to the authority is recorded."))
                return redirect("dpo_breach", breach_id=breach_id)
    return render(
        request,
        "privacy/dpo_breach.html",
        {
            "breach": breach,
            "draft": breaches.authority_draft(breach),
            "form": form,
            "organizations": Organization.objects.exclude(kind="platform").order_by("name"),
            "now": timezone.now(),
        },
    )
