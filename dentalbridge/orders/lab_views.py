"""The lab's own settings page (ORD-7, ORD-8): working days and public-holiday region, closures,
the catalogue with lead times, capacity, the late-order alert and the remake policy."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dentalbridge.core.errors import ValidationFailed
from dentalbridge.core.http import domain_view
from dentalbridge.orders import forms, selectors, services
from dentalbridge.orders.models import DEFAULT_REMAKE_POLICY, CostBearer, RemakeReason
from dentalbridge.organizations.forms import apply_errors


def _page(request, *, form=None, closure_form=None, product_form=None, status=200):
    lab = services.lab_for_settings(request.principal)
    settings = selectors.lab_settings(lab)
    if form is None:
        form = forms.LabSettingsForm(
            initial={
                "weekdays": settings.weekdays or [0, 1, 2, 3, 4],
                "holiday_region": settings.holiday_region,
                "default_lead_days": settings.default_lead_days,
                "daily_capacity": settings.daily_capacity,
                "late_alert_days": settings.late_alert_days,
                "remake_warranty_days": settings.remake_warranty_days,
            }
        )
    policy = {**DEFAULT_REMAKE_POLICY, **(settings.remake_policy or {})}
    from django.utils import timezone

    today = timezone.localdate()
    return render(
        request,
        "orders/lab_settings.html",
        {
            "lab": lab,
            "form": form,
            "closure_form": closure_form or forms.ClosureForm(),
            "product_form": product_form or forms.ProductForm(),
            "closures": selectors.lab_closures(lab, upcoming_only=True),
            "products": selectors.lab_products(lab),
            "policy": [
                (reason, label, policy.get(reason)) for reason, label in RemakeReason.choices
            ],
            "bearers": CostBearer.choices,
            # Holidays and closures on what would be working days (not every weekend).
            "closed_days": [
                (day, why)
                for day, why in selectors.open_days(lab, today, 42)
                if why and day.weekday() in (settings.weekdays or [0, 1, 2, 3, 4])
            ],
        },
        status=status,
    )


@domain_view
@require_http_methods(["GET", "POST"])
def lab_settings(request):
    if request.method == "GET":
        return _page(request)
    form = forms.LabSettingsForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    data = form.cleaned_data
    try:
        services.lab_settings_update(
            actor=request.principal,
            weekdays=data["weekdays"],
            holiday_region=data["holiday_region"],
            default_lead_days=data["default_lead_days"],
            daily_capacity=data["daily_capacity"],
            late_alert_days=data["late_alert_days"],
            remake_warranty_days=data["remake_warranty_days"],
            remake_policy={
                reason: request.POST[f"policy-{reason}"]
                for reason in RemakeReason.values
                if request.POST.get(f"policy-{reason}")
            },
        )
    except ValidationFailed as error:
        apply_errors(form, error)
        return _page(request, form=form, status=400)
    messages.success(request, _("The lab's settings are saved."))
    return redirect("lab_settings")


@domain_view
@require_POST
def lab_closure_add(request):
    form = forms.ClosureForm(request.POST)
    if form.is_valid():
        try:
            services.lab_closure_add(actor=request.principal, **form.cleaned_data)
        except ValidationFailed as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Closure added."))
            return redirect("lab_settings")
    return _page(request, closure_form=form, status=400)


@domain_view
@require_POST
def lab_closure_remove(request, closure_id):
    services.lab_closure_remove(actor=request.principal, closure_id=closure_id)
    messages.success(request, _("Closure removed."))
    return redirect("lab_settings")


@domain_view
@require_POST
def lab_product_add(request):
    form = forms.ProductForm(request.POST)
    if form.is_valid():
        try:
            services.lab_product_save(actor=request.principal, **form.cleaned_data)
        except ValidationFailed as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Catalogue updated."))
            return redirect("lab_settings")
    return _page(request, product_form=form, status=400)


@domain_view
@require_POST
def lab_product_remove(request, product_id):
    services.lab_product_remove(actor=request.principal, product_id=product_id)
    messages.success(request, _("Removed from the catalogue."))
    return redirect("lab_settings")


# --- The implant library (ORD-5) ----------------------------------------------------------------


def _library_page(request, form=None, status=200):
    from dentalbridge.core.errors import NotFound
    from dentalbridge.privacy.policy import Perm

    principal = request.principal
    organization = principal.organization
    may_view = principal.may(Perm.ORDER_VIEW) or principal.may(Perm.IMPLANT_LIBRARY_EDIT)
    if organization is None or not may_view:
        raise NotFound()
    editable = principal.may(Perm.IMPLANT_LIBRARY_EDIT) and organization.kind in ("lab", "platform")
    lab = organization if organization.kind == "lab" else None
    return render(
        request,
        "orders/implants.html",
        {
            "library": selectors.implant_library(lab),
            "form": (form or forms.ImplantForm()) if editable else None,
            "scope": organization.pk if organization.kind == "lab" else None,
            "editable": editable,
            "shared_editor": editable and organization.kind == "platform",
        },
        status=status,
    )


@domain_view
@require_http_methods(["GET", "POST"])
def implant_library(request):
    if request.method == "GET":
        return _library_page(request)
    form = forms.ImplantForm(request.POST)
    if form.is_valid():
        try:
            platform = services.implant_add(actor=request.principal, **form.cleaned_data)
        except ValidationFailed as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("%(platform)s added.") % {"platform": f"{platform.system} {platform.name}"},
            )
            return redirect("implant_library")
    return _library_page(request, form=form, status=400)


@domain_view
@require_POST
def implant_remove(request, platform_id):
    from dentalbridge.core.errors import Conflict

    try:
        services.implant_platform_remove(actor=request.principal, platform_id=platform_id)
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Removed from the library."))
    return redirect("implant_library")
