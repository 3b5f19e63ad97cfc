"""Patient pages, usable on a tablet at the chair. Thin: parse, call one service or access
function, render."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dentalbridge.core.errors import Conflict, NotFound, ValidationFailed
from dentalbridge.core.http import domain_view
from dentalbridge.core.pages import page_context
from dentalbridge.organizations.forms import apply_errors
from dentalbridge.patients import access, selectors, services
from dentalbridge.patients.copies import record_copy
from dentalbridge.patients.forms import (
    ArchivePurposeForm,
    CareGrantForm,
    DeleteForm,
    PatientForm,
    PortalInviteForm,
    RecordItemEditForm,
    RecordItemForm,
)
from dentalbridge.patients.models import RecordItemKind
from dentalbridge.privacy.audit import AuditAction, record
from dentalbridge.privacy.exports import events_csv, events_json
from dentalbridge.privacy.policy import Perm

PAGE_SIZE = 25


def _fields(form: PatientForm) -> dict:
    return {name: form.cleaned_data.get(name) for name in form.Meta.fields}


@domain_view
@require_GET
def patient_list(request):
    search = request.GET.get("q", "").strip()[:100]
    patients = access.patients_query(request.principal, search=search)
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "patients/list.html", {"page": page, "search": search})


@domain_view
@require_GET
def patient_deleted_list(request):
    access.patients_practice(request.principal, Perm.PATIENT_DELETE)
    patients = access.patients_query(request.principal, deleted=True).order_by("-deleted_at")
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "patients/deleted.html", {"page": page})


@domain_view
@require_http_methods(["GET", "POST"])
def patient_create(request):
    practice = access.patients_practice(request.principal, Perm.PATIENT_EDIT)
    form = PatientForm(request.POST or None, practice=practice)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(actor=request.principal, **_fields(form))
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("Patient %(code)s registered.") % {"code": patient.pseudonym}
            )
            return redirect("patient_detail", patient_id=patient.public_id)
    return render(request, "patients/form.html", {"form": form, "patient": None})


def _detail(request, patient, grant_form=None, status=200):
    """The patient's page: its one selector, and the forms of what the principal may do."""
    context = selectors.patient_page(request, patient)
    context.update(
        delete_form=DeleteForm(),
        grant_form=(grant_form or CareGrantForm()) if context.pop("may_grant") else None,
        portal_form=PortalInviteForm(initial={"email": patient.email}),
    )
    return render(request, "patients/detail.html", context, status=status)


@domain_view
@require_GET
def patient_detail(request, patient_id):
    patient = access.patient_access(request.principal, patient_id, Perm.PATIENT_VIEW)
    return _detail(request, patient)


@domain_view
@require_GET
def patient_shared_list(request):
    patients = access.patients_shared_with(request.principal)
    return render(request, "patients/shared.html", {"patients": patients})


@domain_view
@require_POST
def care_grant_create(request, patient_id):
    form = CareGrantForm(request.POST)
    if form.is_valid():
        try:
            grant = services.care_grant_create(
                actor=request.principal,
                patient_id=patient_id,
                grantee_email=form.cleaned_data["grantee_email"],
                reason=form.cleaned_data["reason"],
                expires_at=form.expires_at(),
                may_grant_others=form.cleaned_data["may_grant_others"],
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("%(name)s now has access to this record.") % {"name": grant.grantee.display_name},
            )
            return redirect("patient_detail", patient_id=patient_id)
    patient = access.patient_access(request.principal, patient_id, Perm.PATIENT_VIEW)
    return _detail(request, patient, grant_form=form, status=400)


@domain_view
@require_POST
def care_grant_revoke(request, patient_id, grant_id):
    try:
        grant = services.care_grant_revoke(
            actor=request.principal, patient_id=patient_id, grant_id=grant_id
        )
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Access of %(name)s revoked, with every grant made from it.")
            % {"name": grant.grantee.display_name},
        )
    return redirect("patient_detail", patient_id=patient_id)


@domain_view
@require_http_methods(["GET", "POST"])
def patient_edit(request, patient_id):
    patient = access.patient_access(request.principal, patient_id, Perm.PATIENT_EDIT)
    form = PatientForm(request.POST or None, instance=patient, practice=patient.organization)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(actor=request.principal, patient_id=patient_id, **_fields(form))
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("patient_detail", patient_id=patient_id)
    return render(request, "patients/form.html", {"form": form, "patient": patient})


@domain_view
@require_POST
def patient_delete(request, patient_id):
    form = DeleteForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    patient = services.patient_delete(actor=request.principal, patient_id=patient_id, reason=reason)
    messages.success(
        request,
        _("Patient %(code)s deleted. It can be restored for 30 days under Recently deleted.")
        % {"code": patient.pseudonym},
    )
    return redirect("patient_list")


@domain_view
@require_POST
def patient_restore(request, patient_id):
    patient = services.patient_restore(actor=request.principal, patient_id=patient_id)
    messages.success(request, _("Patient %(code)s restored.") % {"code": patient.pseudonym})
    return redirect("patient_detail", patient_id=patient_id)


@domain_view
@require_POST
def guardian_consent(request, patient_id):
    try:
        services.guardian_consent_record(actor=request.principal, patient_id=patient_id)
    except (Conflict, ValidationFailed) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Guardian consent recorded."))
    return redirect("patient_detail", patient_id=patient_id)


@domain_view
@require_GET
def patient_audit(request, patient_id):
    patient, events = selectors.audit_events_for_patient(
        request.principal, patient_id, action=request.GET.get("action", "")
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "patients/audit.html", {"patient": patient, "page": page})


@domain_view
@require_GET
def patient_audit_export(request, patient_id, fmt):
    if fmt not in ("csv", "json"):
        raise NotFound()
    patient, events = selectors.audit_events_for_patient(
        request.principal, patient_id, action=request.GET.get("action", "")
    )
    events = list(events.order_by("seq"))
    record(
        AuditAction.AUDIT_EXPORTED,
        principal=request.principal,
        patient=patient,
        target=patient,
        data={"format": fmt, "events": len(events)},
    )
    # The file is named by pseudonym: file names never carry identifying values.
    filename = f"audit-{patient.pseudonym}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(events_csv(events), content_type="text/csv; charset=utf-8")
    else:
        body = json.dumps({"patient_id": str(patient.public_id), "events": events_json(events)})
        response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@domain_view
@require_http_methods(["GET", "POST"])
def record_item_create(request, patient_id):
    patient = access.patient_access(request.principal, patient_id, Perm.PATIENT_EDIT)
    form = RecordItemForm(request.POST or None, initial={"kind": request.GET.get("kind", "note")})
    if request.method == "POST" and form.is_valid():
        try:
            item = services.record_item_create(
                actor=request.principal, patient_id=patient_id, **form.cleaned_data
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Added to the record."))
            return redirect("record_item_detail", patient_id=patient_id, item_id=item.public_id)
    return render(request, "patients/record_form.html", {"form": form, "patient": patient})


@domain_view
@require_GET
def record_item_detail(request, patient_id, item_id):
    item = access.record_item_access(request.principal, patient_id, item_id, Perm.PATIENT_VIEW)
    versions = list(item.versions.all())
    shown = versions[-1]
    wanted = request.GET.get("version", "")
    if wanted.isdigit():
        shown = next((v for v in versions if v.number == int(wanted)), shown)
    context = {
        "patient": item.patient,
        "item": item,
        "versions": versions,
        "shown": shown,
        "latest": versions[-1],
        "in_practice": request.principal.organization.pk == item.patient.organization_id,
        "kinds": RecordItemKind.choices,
    }
    # The files of the item, its shares and the viewers are the files app's section (core.pages).
    context.update(
        page_context("patients.record_item", request, item=item, shown=shown, versions=versions)
    )
    return render(request, "patients/record_item.html", context)


@domain_view
@require_http_methods(["GET", "POST"])
def record_item_edit(request, patient_id, item_id):
    item = access.record_item_access(request.principal, patient_id, item_id, Perm.PATIENT_EDIT)
    current = item.current_version
    form = RecordItemEditForm(
        request.POST or None,
        initial={"title": current.title, "text": current.text, "taken_on": current.taken_on},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.record_item_update(
                actor=request.principal,
                patient_id=patient_id,
                item_id=item_id,
                **form.cleaned_data,
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Saved as a new version; the previous one is kept."))
            return redirect("record_item_detail", patient_id=patient_id, item_id=item_id)
    return render(
        request,
        "patients/record_form.html",
        {"form": form, "patient": item.patient, "item": item},
    )


# --- The patient portal (REC-4) ------------------------------------------------------------------


@domain_view
@require_POST
def portal_invite(request, patient_id):
    form = PortalInviteForm(request.POST)
    email = form.cleaned_data["email"] if form.is_valid() else ""
    try:
        invitation = services.patient_invitation_create(
            actor=request.principal, patient_id=patient_id, email=email
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Portal invitation sent to %(email)s.") % {"email": invitation.email}
        )
    return redirect("patient_detail", patient_id=patient_id)


@login_required
@require_http_methods(["GET", "POST"])
def portal_join(request, token):
    if request.method == "POST":
        try:
            patient = services.patient_invitation_accept(actor=request.principal, token=token)
        except (NotFound, Conflict) as exc:
            status = 404 if isinstance(exc, NotFound) else 410
            return render(
                request, "patients/portal_invalid.html", {"reason": exc.message}, status=status
            )
        messages.success(request, _("Welcome. This is your dental record."))
        return redirect("portal_record", patient_id=patient.public_id)
    return render(request, "patients/portal_join.html")


@domain_view
@require_GET
def portal_home(request):
    patients = access.portal_patients(request.principal)
    if len(patients) == 1:
        return redirect("portal_record", patient_id=patients[0].public_id)
    return render(request, "patients/portal_home.html", {"patients": patients})


@domain_view
@require_GET
def portal_record(request, patient_id):
    patient = access.portal_patient_access(request.principal, patient_id)
    return render(
        request,
        "patients/portal_record.html",
        {"patient": patient, "record": access.record_of(patient)},
    )


@domain_view
@require_GET
def portal_copy(request, patient_id):
    filename, stream = record_copy(actor=request.principal, patient_id=patient_id)
    response = StreamingHttpResponse(stream, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- The legal archive of purged records (REC-5) ----------------------------------------------


@domain_view
@require_GET
def archive_list(request):
    archives = access.archives_query(request.principal)
    page = Paginator(archives, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "patients/archive_list.html", {"page": page})


@domain_view
@require_http_methods(["GET", "POST"])
def archive_detail(request, archive_id):
    """The archived record opens only once the owner states the legal purpose."""
    form = ArchivePurposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        archive = access.archive_access(
            request.principal, archive_id, purpose=form.cleaned_data["purpose"]
        )
        return render(request, "patients/archive_detail.html", {"archive": archive})
    exists = access.archives_query(request.principal).filter(public_id=archive_id).exists()
    if not exists:
        raise NotFound()
    return render(request, "patients/archive_purpose.html", {"form": form})
