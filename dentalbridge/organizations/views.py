"""HTML pages for organizations, members, invitations, lab connections and the audit log.

Thin: parse input, call one service or access function, render. A domain error a page does not
show itself (on its form, or as a message where the action was) is answered by
``core.middleware.DomainErrorMiddleware``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dentalbridge.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from dentalbridge.core.http import domain_view
from dentalbridge.core.pages import page_context
from dentalbridge.organizations import access, selectors, services
from dentalbridge.organizations.forms import (
    ConnectionRequestForm,
    InvitationForm,
    OrganizationCreateForm,
    OrganizationForm,
    RoleForm,
    apply_errors,
)
from dentalbridge.organizations.models import ConnectionStatus, OrganizationKind
from dentalbridge.organizations.selectors import audit_events_for_organization
from dentalbridge.privacy.policy import Perm


def _back_with(request, error: DomainError, to: str, **kwargs):
    messages.error(request, error.message)
    return redirect(to, **kwargs)


@domain_view
@require_http_methods(["GET", "POST"])
def organization_create(request):
    form = OrganizationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        kind = data.pop("kind")
        try:
            organization = services.organization_create(actor=request.principal, kind=kind, **data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            membership = organization.memberships.get(user=request.user)
            ip, user_agent = request.principal.ip, request.principal.user_agent
            services.active_membership_switch(
                user=request.user,
                membership_id=membership.public_id,
                session=request.session,
                ip=ip,
                user_agent=user_agent,
            )
            messages.success(request, _("%(name)s is ready.") % {"name": organization.name})
            return redirect("organization_detail", organization_id=organization.public_id)
    return render(request, "organizations/create.html", {"form": form})


@domain_view
@require_POST
def organization_switch(request):
    try:
        membership = services.active_membership_switch(
            user=request.user,
            membership_id=request.POST.get("membership", ""),
            session=request.session,
            ip=request.principal.ip,
            user_agent=request.principal.user_agent,
        )
    except ValueError as exc:  # not an id at all: as unknown as another person's membership
        raise NotFound() from exc
    messages.success(
        request, _("You are now acting for %(name)s.") % {"name": membership.organization.name}
    )
    return redirect("organization_detail", organization_id=membership.organization.public_id)


@domain_view
@require_GET
def organization_detail(request, organization_id):
    organization = access.organization_access(
        request.principal, organization_id, Perm.ORGANIZATION_VIEW
    )
    context = {"organization": organization}
    # The storage used is the files app's section (core.pages).
    context.update(page_context("organizations.detail", request, organization=organization))
    return render(request, "organizations/detail.html", context)


@domain_view
@require_http_methods(["GET", "POST"])
def organization_edit(request, organization_id):
    organization = access.organization_access(
        request.principal, organization_id, Perm.ORGANIZATION_EDIT
    )
    form = OrganizationForm(request.POST or None, instance=organization)
    if request.method == "POST" and form.is_valid():
        # The form validated a copy; the service re-reads and applies the changes.
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.organization_update(
                actor=request.principal, organization_id=organization_id, **fields
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Organization details saved."))
            return redirect("organization_detail", organization_id=organization_id)
    return render(request, "organizations/edit.html", {"form": form, "organization": organization})


@domain_view
@require_GET
def members(request, organization_id):
    principal = request.principal
    memberships = access.members_query(principal, organization_id)
    organization = principal.organization
    can_manage = principal.may(Perm.MEMBER_MANAGE)
    invitations = []
    if principal.may(Perm.INVITATION_MANAGE):
        invitations = list(access.invitations_query(principal, organization_id)[:50])
    return render(
        request,
        "organizations/members.html",
        {
            "organization": organization,
            "memberships": memberships,
            "can_manage": can_manage,
            "invitations": invitations,
            "invite_form": InvitationForm(organization=organization),
            "role_form_for": RoleForm,
        },
    )


@domain_view
@require_POST
def member_update(request, organization_id, membership_id):
    organization = access.organization_access(request.principal, organization_id, Perm.MEMBER_VIEW)
    form = RoleForm(request.POST, organization=organization)
    if not form.is_valid():
        messages.error(request, _("Choose a role of this organization."))
        return redirect("members", organization_id=organization_id)
    try:
        membership = services.membership_change_role(
            actor=request.principal,
            organization_id=organization_id,
            membership_id=membership_id,
            role=form.cleaned_data["role"],
        )
    except (Conflict, ValidationFailed) as exc:
        return _back_with(request, exc, "members", organization_id=organization_id)
    messages.success(
        request,
        _("%(person)s is now %(role)s.")
        % {"person": membership.user.display_name, "role": membership.get_role_display()},
    )
    return redirect("members", organization_id=organization_id)


@domain_view
@require_POST
def member_remove(request, organization_id, membership_id):
    try:
        services.membership_remove(
            actor=request.principal, organization_id=organization_id, membership_id=membership_id
        )
    except Conflict as exc:
        return _back_with(request, exc, "members", organization_id=organization_id)
    messages.success(request, _("The member was removed."))
    return redirect("members", organization_id=organization_id)


@domain_view
@require_POST
def invitation_create(request, organization_id):
    organization = access.organization_access(
        request.principal, organization_id, Perm.INVITATION_MANAGE
    )
    form = InvitationForm(request.POST, organization=organization)
    if form.is_valid():
        try:
            services.invitation_create(
                actor=request.principal,
                organization_id=organization_id,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except (Conflict, ValidationFailed) as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]},
            )
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("members", organization_id=organization_id)


@domain_view
@require_POST
def invitation_revoke(request, organization_id, invitation_id):
    try:
        services.invitation_revoke(
            actor=request.principal, organization_id=organization_id, invitation_id=invitation_id
        )
    except Conflict as exc:
        return _back_with(request, exc, "members", organization_id=organization_id)
    messages.success(request, _("The invitation was withdrawn."))
    return redirect("members", organization_id=organization_id)


@login_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    """The link from the invitation e-mail. Shows what is offered; joining is a POST."""
    try:
        invitation = services.invitation_lookup(token)
    except NotFound:
        return render(
            request,
            "organizations/invitation_invalid.html",
            {"reason": _("This invitation link is not valid.")},
            status=404,
        )
    if request.method == "POST":
        try:
            membership = services.invitation_accept(actor=request.principal, token=token)
        except (services.InvitationUnusable, Conflict) as exc:
            return render(
                request,
                "organizations/invitation_invalid.html",
                {"reason": exc.message},
                status=exc.status,
            )
        services.active_membership_switch(
            user=request.user,
            membership_id=membership.public_id,
            session=request.session,
            ip=request.principal.ip,
            user_agent=request.principal.user_agent,
        )
        messages.success(
            request, _("Welcome to %(name)s.") % {"name": membership.organization.name}
        )
        return redirect("organization_detail", organization_id=membership.organization.public_id)
    return render(request, "organizations/invitation_accept.html", {"invitation": invitation})


@domain_view
@require_http_methods(["GET", "POST"])
def connections(request, organization_id):
    principal = request.principal
    links = access.connections_query(principal, organization_id)
    organization = principal.organization
    form = ConnectionRequestForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.lab_connection_request(
                    actor=principal,
                    organization_id=organization_id,
                    lab_id=form.cleaned_data["lab"],
                    message=form.cleaned_data["message"],
                )
            except (Conflict, NotFound) as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Request sent. The lab will confirm it."))
                return redirect("connections", organization_id=organization_id)
        else:
            messages.error(request, _("Choose a lab from the list."))
    search = request.GET.get("q", "").strip()[:100]
    labs = []
    if organization.kind == OrganizationKind.PRACTICE and principal.may(Perm.CONNECTION_REQUEST):
        labs = list(selectors.lab_directory(search=search, exclude_connected_to=organization)[:25])
    return render(
        request,
        "organizations/connections.html",
        {
            "organization": organization,
            "links": links,
            "labs": labs,
            "search": search,
            "form": form,
            "Status": ConnectionStatus,
        },
    )


@domain_view
@require_POST
def connection_update(request, organization_id, connection_id):
    decision = request.POST.get("decision")
    try:
        if decision in ("accept", "decline"):
            services.lab_connection_respond(
                actor=request.principal,
                organization_id=organization_id,
                connection_id=connection_id,
                accept=decision == "accept",
            )
        elif decision == "end":
            services.lab_connection_end(
                actor=request.principal,
                organization_id=organization_id,
                connection_id=connection_id,
            )
        else:
            raise ValidationFailed(_("Unknown decision."))
    except (Conflict, ValidationFailed) as exc:
        return _back_with(request, exc, "connections", organization_id=organization_id)
    messages.success(request, _("Connection updated."))
    return redirect("connections", organization_id=organization_id)


@domain_view
@require_GET
def audit_log(request, organization_id):
    events = audit_events_for_organization(
        request.principal, organization_id, action=request.GET.get("action", "")
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "organizations/audit.html",
        {"organization": request.principal.organization, "page": page},
    )
