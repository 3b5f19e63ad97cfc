"""Pages of the platform's data protection officer: audit trails by patient id across tenants,
and legal archives opened for a stated purpose."""

import uuid

from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from dentalbridge.organizations.views import domain_view
from dentalbridge.patients.forms import ArchivePurposeForm
from dentalbridge.privacy import access
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
