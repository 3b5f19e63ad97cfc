"""Pages and endpoints for the files of a record: the file panel of a record item (with its
viewer, reports and actions), downloads through signed links, "download all" as a ZIP, and the
3D view of a patient's scans together."""

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dentalbridge.core.errors import Conflict, ValidationFailed
from dentalbridge.core.http import client_of, domain_view
from dentalbridge.files import access, delivery, formats, services
from dentalbridge.files.forms import AssignForm, ShareForm
from dentalbridge.files.models import AssetRole, AssetStatus
from dentalbridge.patients import access as patients_access
from dentalbridge.patients.lab_view import PatientForLab
from dentalbridge.patients.models import RecordItem
from dentalbridge.privacy.policy import Perm


def _outside(principal, patient) -> bool:
    return principal.organization is None or principal.organization.pk != patient.organization_id


def panel_context(principal, item, shown, versions) -> dict:
    """What the file panel of a record item shows: per version, the files the principal may see;
    the viewer models (preview of the shown version, and the version to compare with)."""
    patient = item.patient
    outside = _outside(principal, patient)
    assets = access.files_of_items(patient, [item], outside=outside).get(item.pk, [])
    by_version: dict = {}
    for asset in assets:
        by_version.setdefault(asset.version_id, []).append(asset)
    shown_assets = by_version.get(shown.pk, [])
    main = [a for a in shown_assets if a.source_id is None]
    derived = {(a.source_id, a.role): a for a in shown_assets if a.source_id}
    files = []
    for asset in main:
        shared = derived.get((asset.pk, AssetRole.SHARED))
        files.append(
            {
                "asset": asset,
                "name": delivery.display_name(asset, outside),
                "shared": shared,
                "preview": derived.get((asset.pk, AssetRole.PREVIEW)),
                "thumbnail": derived.get((asset.pk, AssetRole.THUMBNAIL)),
                "check": asset.report.get("check"),
                "anonymization": asset.report.get("anonymization"),
            }
        )
    if outside:  # outside eyes: the anonymized copies are the files
        files = []
        for asset in shown_assets:
            if asset.role == AssetRole.SHARED:
                siblings = {a.role: a for a in shown_assets if a.source_id == asset.source_id}
                files.append(
                    {
                        "asset": asset,
                        "name": asset.filename,
                        "shared": None,
                        "preview": siblings.get(AssetRole.PREVIEW),
                        "thumbnail": siblings.get(AssetRole.THUMBNAIL),
                        "check": None,
                        "anonymization": None,
                    }
                )
    processing = any(f["asset"].status == AssetStatus.PROCESSING for f in files)
    return {
        "files": files,
        "outside": outside,
        "processing": processing,
        "versions_with_previews": [
            v for v in versions
            if v.pk != shown.pk
            and any(a.role == AssetRole.PREVIEW for a in by_version.get(v.pk, []))
        ],
        "principal": principal,
    }  # fmt: skip


@domain_view
@require_GET
def file_panel(request, patient_id, item_id):
    """The files of one version of a record item (htmx refreshes it while files are processed)."""
    item = patients_access.record_item_access(
        request.principal, patient_id, item_id, Perm.PATIENT_VIEW
    )
    versions = list(item.versions.all())
    shown = versions[-1]
    wanted = request.GET.get("version", "")
    if wanted.isdigit():
        shown = next((v for v in versions if v.number == int(wanted)), shown)
    context = panel_context(request.principal, item, shown, versions)
    context.update(item=item, patient=item.patient, shown=shown, versions=versions)
    add_viewers(request, context)
    return render(request, "files/_panel.html", context)


def add_viewers(request, context) -> None:
    """Signed links for the viewers of the shown version (and the version compared with)."""
    principal = request.principal
    item, shown = context["item"], context["shown"]
    for entry in context["files"]:
        entry["label"] = _("Version %(n)d") % {"n": shown.number}
    compare = []
    wanted = request.GET.get("compare", "")
    if wanted.isdigit():
        other = next((v for v in context["versions"] if v.number == int(wanted)), None)
        if other is not None and other.pk != shown.pk:
            other_context = panel_context(principal, item, other, context["versions"])
            compare = other_context["files"]
            for entry in compare:
                entry["label"] = _("Version %(n)d") % {"n": other.number}
            context["compare_version"] = other
    context["viewer_models"] = delivery.viewer_models(principal, context["files"], compare)
    context["has_preview"] = any(f.get("preview") for f in context["files"])
    organization = principal.organization
    outside = organization is None or organization.pk != item.patient.organization_id
    for entry in context["files"]:
        asset = entry["asset"]
        if delivery.fetchable(asset, outside=outside):
            entry["download"] = delivery.link_for(principal, asset)
            if asset.format in formats.DICOM:
                entry["dicom_url"] = delivery.link_for(principal, asset, inline=True)
            if asset.format in formats.PHOTOS:
                entry["full_url"] = delivery.link_for(principal, asset, inline=True)
        shared = entry.get("shared")
        if shared is not None and shared.parts and shared.status == AssetStatus.READY:
            # What anyone outside receives, for the practice to check or send on.
            entry["shared_download"] = delivery.link_for(principal, shared)
        if entry.get("thumbnail"):
            entry["thumbnail_url"] = delivery.link_for(principal, entry["thumbnail"], inline=True)


@require_GET
def file_download(request, token):
    """Follow a signed link: the bytes, decrypted as they are sent (one audit event each)."""
    ip, user_agent = client_of(request)
    asset, _principal, inline, outside, byte_range = delivery.open_link(
        token,
        user=request.user,
        ip=ip,
        user_agent=user_agent,
        range_header=request.headers.get("Range", ""),
        if_range=request.headers.get("If-Range", ""),
    )
    if byte_range == delivery.UNSATISFIABLE:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{asset.size}"
    elif byte_range is not None:
        # A download resumed, a video sought: the part asked for (RFC 9110 §14).
        start, stop = byte_range
        response = StreamingHttpResponse(
            delivery.plaintext(asset, byte_range), content_type=asset.media_type, status=206
        )
        response["Content-Length"] = str(stop - start)
        response["Content-Range"] = f"bytes {start}-{stop - 1}/{asset.size}"
    else:
        response = StreamingHttpResponse(delivery.plaintext(asset), content_type=asset.media_type)
        response["Content-Length"] = str(asset.size)
    response["Accept-Ranges"] = "bytes"
    if etag := delivery.etag_of(asset):
        response["ETag"] = etag
    name = delivery.display_name(asset, outside)
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = _disposition(disposition, name)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def _disposition(kind: str, name: str) -> str:
    from urllib.parse import quote

    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


@domain_view
@require_GET
def record_files_zip(request, patient_id):
    name, entries = delivery.record_zip_entries(request.principal, patient_id)
    if not entries:
        messages.info(request, _("There are no files to download in this record yet."))
        return redirect("patient_detail", patient_id=patient_id)
    response = StreamingHttpResponse(delivery.zip_stream(entries), content_type="application/zip")
    response.headers["Content-Disposition"] = _disposition("attachment", name)
    response["Cache-Control"] = "private, no-store"
    return response


@domain_view
@require_POST
def asset_release(request, patient_id, asset_id):
    try:
        shared = services.release_held(
            actor=request.principal, patient_id=patient_id, asset_id=asset_id
        )
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        if shared.report.get("anonymized") is False:  # a file we could not check or clean
            messages.success(
                request, _("The file, as it was uploaded, can now be shared outside the practice.")
            )
        else:
            messages.success(
                request, _("The anonymized copy can now be shared outside the practice.")
            )
    return _back(request, patient_id)


@domain_view
@require_POST
def asset_repair(request, patient_id, asset_id):
    try:
        services.repair_request(actor=request.principal, patient_id=patient_id, asset_id=asset_id)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The scan is being repaired; the repaired scan will appear as a new version."),
        )
    return _back(request, patient_id)


def _back(request, patient_id):
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("patient_detail", patient_id=patient_id)


@domain_view
@require_GET
def patient_scans(request, patient_id):
    """The latest version of each scan of a patient together in one 3D view (upper/lower)."""
    patient = patients_access.patient_access(
        request.principal, patient_id, Perm.PATIENT_VIEW, reason="3D view"
    )
    items = [i for i in patients_access.record_of(patient) if i.kind == "scan"]
    outside = _outside(request.principal, patient)
    grouped = access.files_of_items(patient, items, outside=outside)
    entries = []
    for item in items:
        latest = item.current_version
        previews = [
            a for a in grouped.get(item.pk, [])
            if a.role == AssetRole.PREVIEW and a.version_id == latest.pk
        ]  # fmt: skip
        for preview in previews[:1]:
            entries.append({"preview": preview, "label": latest.title})
    return render(
        request,
        "files/scans.html",
        {
            "patient": patient,
            "outside": outside,
            "viewer_models": delivery.viewer_models(request.principal, entries),
            "count": len(entries),
        },
    )


# --- Sharing with labs ------------------------------------------------------------------------


def share_context(principal, item) -> dict:
    """The practice's side of sharing on a record item page: its shares and the form."""
    from dentalbridge.organizations.selectors import connected_labs

    patient = item.patient
    if _outside(principal, patient) or not principal.may(Perm.PATIENT_EDIT):
        return {}
    labs = connected_labs(patient.organization)
    return {
        "shares": access.shares_of_item(item),
        "share_form": ShareForm(labs=labs) if labs else None,
        "now": timezone.now(),
    }


@domain_view
@require_POST
def share_create(request, patient_id, item_id):
    form = ShareForm(request.POST)
    # The service checks the lab is connected; the form only shapes the input.
    form.fields["lab"].choices = [(request.POST.get("lab", ""), "")]
    if form.is_valid():
        try:
            share = services.share_create(
                actor=request.principal,
                patient_id=patient_id,
                item_id=item_id,
                lab_id=form.cleaned_data["lab"],
                note=form.cleaned_data["note"],
                expires_at=form.expires_at(),
            )
        except (ValidationFailed, Conflict) as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(
                request,
                _("Shared with %(lab)s: the lab sees the anonymized files under the pseudonym.")
                % {"lab": share.lab.name},
            )
    else:
        messages.error(request, _("Please choose a lab and a date in the future."))
    return redirect("record_item_detail", patient_id=patient_id, item_id=item_id)


def _message(exc) -> str:
    fields = getattr(exc, "fields", {}) or {}
    details = " ".join(str(m) for messages_ in fields.values() for m in messages_)
    return f"{exc.message} {details}".strip()


@domain_view
@require_POST
def share_revoke(request, patient_id, item_id, share_id):
    share = services.share_revoke(
        actor=request.principal, patient_id=patient_id, item_id=item_id, share_id=share_id
    )
    # The lab may still reach the item through another share: an order's (its note names the
    # order) or one made by hand. Say so, instead of promising what did not happen. The service
    # has checked the item; its shares are read through the door by its id.
    now = timezone.now()
    others = [
        other
        for other in access.shares_of_item(RecordItem(pk=share.item_id))
        if other.pk != share.pk and other.lab_id == share.lab_id and other.is_active_at(now)
    ]
    if not others:
        messages.success(
            request, _("%(lab)s no longer sees these files.") % {"lab": share.lab.name}
        )
    else:
        messages.warning(
            request,
            _(
                "This share is stopped, but %(lab)s still sees these files through %(shares)s, "
                "until that share ends too (an order's share ends when the order is declined or "
                "cancelled; any share can be stopped below)."
            )
            % {"lab": share.lab.name, "shares": "; ".join(_share_label(o) for o in others)},
        )
    return redirect("record_item_detail", patient_id=patient_id, item_id=item_id)


def _share_label(share) -> str:
    """“Order ORD-12” (an order's share is noted with its order), or the practice's note, or the
    day it was made; and until when."""
    label = (
        _("“%(note)s”") % {"note": share.note}
        if share.note
        else _("the share of %(day)s") % {"day": date_format(share.created_at, "SHORT_DATE_FORMAT")}
    )
    if share.expires_at is not None:
        label += " " + _("(until %(day)s)") % {
            "day": date_format(share.expires_at, "SHORT_DATE_FORMAT")
        }
    return label


@domain_view
@require_GET
def lab_shares(request):
    shares = access.lab_shares(request.principal)
    rows = [{"share": s, "patient": PatientForLab.of(s.patient)} for s in shares]
    return render(request, "files/lab_shares.html", {"rows": rows})


@domain_view
@require_GET
def lab_share_detail(request, share_id):
    principal = request.principal
    share = access.lab_share_access(principal, share_id)
    assets = access.lab_share_files(share)
    by_version: dict = {}
    for asset in assets:
        by_version.setdefault(asset.version_id, []).append(asset)
    versions = []
    for version_assets in by_version.values():
        files = []
        for asset in version_assets:
            if asset.role != AssetRole.SHARED:
                continue
            siblings = {a.role: a for a in version_assets if a.source_id == asset.source_id}
            preview, thumbnail = siblings.get(AssetRole.PREVIEW), siblings.get(AssetRole.THUMBNAIL)
            entry = {
                "asset": asset,
                "name": asset.filename,
                "preview": preview,
                "download": delivery.link_for(principal, asset),
                "label": _("Version %(n)d") % {"n": asset.version.number},
            }
            if thumbnail:
                entry["thumbnail_url"] = delivery.link_for(principal, thumbnail, inline=True)
            if asset.format in formats.PHOTOS:
                entry["full_url"] = delivery.link_for(principal, asset, inline=True)
            if asset.format in formats.DICOM:
                entry["dicom_url"] = delivery.link_for(principal, asset, inline=True)
            files.append(entry)
        if files:
            versions.append({"number": files[0]["asset"].version.number, "files": files})
    versions.sort(key=lambda v: v["number"], reverse=True)
    latest = versions[0]["files"] if versions else []
    context = {
        "share": share,
        "patient": PatientForLab.of(share.patient),
        "kind": share.item.get_kind_display(),
        "versions": versions,
        "viewer_models": delivery.viewer_models(principal, latest),
        "has_preview": any(f["preview"] for f in latest),
    }
    if principal.may(Perm.DESIGNER_ASSIGN):
        from dentalbridge.organizations.models import Membership, Role

        designers = Membership.objects.filter(
            organization=principal.organization, role=Role.DESIGNER
        ).select_related("user")
        context["assignments"] = access.lab_share_assignments(share)
        context["assign_form"] = AssignForm(designers=[m.user for m in designers])
        context["now"] = timezone.now()
    return render(request, "files/lab_share.html", context)


@domain_view
@require_POST
def designer_assign(request, share_id):
    form = AssignForm(request.POST, designers=None)
    if form.is_valid():
        try:
            services.designer_assign(
                actor=request.principal,
                share_id=share_id,
                designer_id=form.cleaned_data["designer"],
                ends_at=form.ends_at(),
            )
        except ValidationFailed as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(request, _("The designer can now work on these files."))
    else:
        messages.error(request, _("Please choose a designer and a date in the future."))
    return redirect("lab_share_detail", share_id=share_id)


@domain_view
@require_POST
def designer_unassign(request, share_id, assignment_id):
    services.designer_unassign(
        actor=request.principal, share_id=share_id, assignment_id=assignment_id
    )
    messages.success(request, _("The designer no longer sees these files."))
    return redirect("lab_share_detail", share_id=share_id)
