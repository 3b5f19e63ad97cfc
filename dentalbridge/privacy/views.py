"""Pages of the platform's data protection officer — audit trails by patient id across tenants,
legal archives opened for a stated purpose, the processing register — and the public privacy
notice and cookie policy generated from the register."""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dentalbridge.organizations.views import domain_view
from dentalbridge.patients.forms import ArchivePurposeForm
from dentalbridge.privacy import access, notice, purposes, services
from dentalbridge.privacy.forms import OperatorDetailsForm, SubProcessorForm
from dentalbridge.privacy.selectors import platform_audit_events_for_patient


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID((value or "").strip())
    except ValueError:
        return None


@domain_view
@require_GET
def dpo_home(request):
    access.platform_dpo_required(request.principal)
    patient_id = _uuid(request.GET.get("patient", ""))
    if patient_id is not None:
        return redirect("dpo_patient_audit", patient_id=patient_id)
    invalid = bool(request.GET.get("patient"))
    return render(request, "privacy/dpo_home.html", {"invalid": invalid})


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
    access.platform_dpo_required(request.principal)
    form = ArchivePurposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        archive = access.archive_access(
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
    return render(request, "privacy/notice.html", context)


@require_GET
def cookie_policy(request):
    return render(request, "privacy/cookies.html", {"cookies": purposes.COOKIES})


@domain_view
@require_GET
def dpo_record(request):
    """The record of processing activities (Art. 30) for the DPO and the regulator."""
    access.platform_dpo_required(request.principal)
    return render(request, "privacy/dpo_record.html", {"record": notice.record_of_processing()})


@domain_view
@require_GET
def dpo_record_csv(request):
    access.platform_dpo_required(request.principal)
    response = HttpResponse(
        notice.record_csv(notice.record_of_processing()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="record-of-processing.csv"'
    return response


@domain_view
@require_GET
def dpo_record_json(request):
    access.platform_dpo_required(request.principal)
    response = JsonResponse(notice.record_of_processing(), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'attachment; filename="record-of-processing.json"'
    return response


@domain_view
@require_http_methods(["GET", "POST"])
def dpo_operator(request):
    access.platform_dpo_required(request.principal)
    form = OperatorDetailsForm(request.POST or None, instance=notice.operator())
    if request.method == "POST" and form.is_valid():
        services.operator_details_save(actor=request.principal, **form.cleaned_data)
        messages.success(request, _("The operator's details are saved; the notice shows them."))
        return redirect("dpo_operator")
    return render(request, "privacy/dpo_operator.html", {"form": form})


@domain_view
@require_http_methods(["GET", "POST"])
def dpo_subprocessors(request):
    access.platform_dpo_required(request.principal)
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
