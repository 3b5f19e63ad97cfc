"""Writes on organizations, memberships, invitations and lab connections (ACC-2).

Every function takes the acting principal, checks it through the access layer, and writes its
audit event in the same transaction as the change.
"""

import hashlib
import secrets
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dentalbridge.core.emails import normalized_email
from dentalbridge.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from dentalbridge.messaging.services import email_send
from dentalbridge.organizations import access, validators
from dentalbridge.organizations.models import (
    FOUNDING_ROLE,
    ROLES_BY_KIND,
    ConnectionStatus,
    Invitation,
    InvitationStatus,
    LabConnection,
    Membership,
    Organization,
    OrganizationKind,
    Role,
)
from dentalbridge.organizations.selectors import SESSION_KEY
from dentalbridge.privacy.audit import AuditAction, AuditOutcome, record
from dentalbridge.privacy.policy import Perm
from dentalbridge.privacy.principal import Principal

if TYPE_CHECKING:
    from dentalbridge.accounts.models import User

EDITABLE_FIELDS = (
    "name",
    "country",
    "data_region",
    "salutation",
    "contact_person",
    "street",
    "postal_code",
    "city",
    "vat_number",
    "fiscal_code",
    "sdi_code",
    "pec",
    "registration_number",
    "billing_email",
)

_CLEANERS = {
    "vat_number": validators.clean_vat_number,
    "fiscal_code": validators.clean_fiscal_code,
    "sdi_code": validators.clean_sdi_code,
    "registration_number": validators.clean_registration_number,
}


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _validated(organization: Organization) -> None:
    """Normalize the legal identifiers and run model validation; collect every problem."""
    errors: dict[str, list[str]] = {}
    raw = organization.__dict__.get("country") or ""
    if not (isinstance(raw, str) and len(raw) == 2 and raw.isascii() and raw.isalpha()):
        # django-countries would try to read "³" as a numeric code and fail; say it plainly.
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            fields={"country": [_("Choose a country from the list (two letters, e.g. NL).")]},
        )
    country = str(organization.country)
    for name, clean in _CLEANERS.items():
        try:
            setattr(organization, name, clean(getattr(organization, name) or "", country))
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.messages)
    try:
        organization.full_clean(exclude=list(errors))
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=errors)


def organization_create(*, actor: Principal, kind: str, **fields: Any) -> Organization:
    """Any signed-in user may found a practice or a lab and becomes its owner / manager."""
    if not actor.is_authenticated:
        raise Forbidden()
    if kind not in (OrganizationKind.PRACTICE, OrganizationKind.LAB):
        raise ValidationFailed(_("Choose a practice or a lab."), fields={"kind": [_("Invalid.")]})
    organization = Organization(
        kind=kind, **{k: v for k, v in fields.items() if k in EDITABLE_FIELDS}
    )
    _validated(organization)
    with transaction.atomic():
        organization.save()
        membership = Membership.objects.create(  # type: ignore[misc]  # a member acts
            user=actor.user, organization=organization, role=FOUNDING_ROLE[kind]
        )
        record(
            AuditAction.ORGANIZATION_CREATED,
            principal=actor,
            organization=organization,
            target=organization,
            data={"kind": kind, "role": membership.role},
        )
    return organization


def organization_update(
    *, actor: Principal, organization_id: UUID | str, **fields: Any
) -> Organization:
    organization = access.organization_access(actor, organization_id, Perm.ORGANIZATION_EDIT)
    before = {name: str(getattr(organization, name)) for name in EDITABLE_FIELDS}
    for name, value in fields.items():
        if name in EDITABLE_FIELDS:
            setattr(organization, name, value)
    # Compare the normalized values: "004495445B01" and "NL004495445B01" are the same number.
    _validated(organization)
    changed = [name for name in EDITABLE_FIELDS if str(getattr(organization, name)) != before[name]]
    if not changed:
        return organization
    with transaction.atomic():
        organization.save(update_fields=[*changed, "updated_at"])
        record(
            AuditAction.ORGANIZATION_UPDATED,
            principal=actor,
            target=organization,
            data={"fields": ",".join(sorted(changed))},
        )
    return organization


def active_membership_switch(
    *,
    user: "User",
    membership_id: UUID | str,
    session: SessionBase,
    ip: str | None = None,
    user_agent: str = "",
) -> Membership:
    """Choose the organization a user acts for in this session."""
    membership = (
        Membership.objects.filter(user=user, public_id=membership_id)
        .select_related("organization")
        .first()
    )
    if membership is None:
        raise NotFound()
    session[SESSION_KEY] = str(membership.public_id)
    record(
        AuditAction.ORGANIZATION_SWITCHED,
        principal=Principal(user=user, membership=membership, ip=ip, user_agent=user_agent),
        target=membership.organization,
    )
    return membership


def _lock_admins(
    organization: Organization, membership: Membership, *, new_role: str | None = None
) -> Membership:
    """Lock the organization's owners (managers) and the membership being changed, and refuse to
    take away the last one. Two owners demoting each other at once: the second waits for the
    first, then sees it is alone (PostgreSQL re-checks locked rows; SQLite serializes writers).
    Returns the membership as it is now."""
    admin_role = FOUNDING_ROLE[organization.kind]
    admins = set(
        Membership.objects.select_for_update()
        .filter(organization=organization, role=admin_role)
        .values_list("pk", flat=True)
    )
    current = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "organization")
        .get(pk=membership.pk)
    )
    loses_admin = current.role == admin_role and new_role != admin_role
    if loses_admin and admins - {current.pk} == set():
        raise Conflict(
            _("The organization must keep at least one %(role)s.")
            % {"role": Role(admin_role).label.lower()},
            code="last_admin",
        )
    return current


def membership_change_role(
    *, actor: Principal, organization_id: UUID | str, membership_id: UUID | str, role: str
) -> Membership:
    membership = access.membership_access(actor, organization_id, membership_id, Perm.MEMBER_MANAGE)
    organization = membership.organization
    if role not in ROLES_BY_KIND[organization.kind]:
        raise ValidationFailed(
            _("This role does not exist in a %(kind)s.")
            % {"kind": organization.get_kind_display()},
            fields={"role": [_("Choose a role of this organization.")]},
        )
    with transaction.atomic():
        membership = _lock_admins(organization, membership, new_role=role)
        if membership.role == role:
            return membership
        previous = membership.role
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
        record(
            AuditAction.MEMBER_ROLE_CHANGED,
            principal=actor,
            target=membership,
            data={"from": previous, "to": role, "user": str(membership.user.public_id)},
        )
    return membership


def membership_remove(
    *, actor: Principal, organization_id: UUID | str, membership_id: UUID | str
) -> None:
    membership = access.membership_access(actor, organization_id, membership_id, Perm.MEMBER_MANAGE)
    organization = membership.organization
    with transaction.atomic():
        membership = _lock_admins(organization, membership)
        # The user's tokens for this organization die with the membership.
        membership.user.api_tokens.filter(organization=organization, revoked_at=None).update(
            revoked_at=timezone.now()
        )
        record(
            AuditAction.MEMBER_REMOVED,
            principal=actor,
            target=membership,
            data={"user": str(membership.user.public_id), "role": membership.role},
        )
        membership.delete()


def invitation_create(
    *, actor: Principal, organization_id: UUID | str, email: str, role: str
) -> Invitation:
    organization = access.organization_access(actor, organization_id, Perm.INVITATION_MANAGE)
    try:
        if not (email or "").strip():
            raise ValidationError(_("Enter an e-mail address."))
        # The one form of an address; refused if it hides characters or names an IP address, so
        # no invitation makes a second account that looks like an existing one (issue 13,
        # finding 7).
        email = normalized_email(email)
        Invitation._meta.get_field("email").run_validators(email)
    except ValidationError as exc:
        raise ValidationFailed(exc.messages[0], fields={"email": exc.messages}) from exc
    if role not in ROLES_BY_KIND[organization.kind]:
        raise ValidationFailed(
            _("Choose a role of this organization."),
            fields={"role": [_("Choose a role of this organization.")]},
        )
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise Conflict(
            _("%(email)s is already a member.") % {"email": email}, code="already_member"
        )
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        # A new invitation replaces any pending one for the same address.
        Invitation.objects.filter(
            organization=organization,
            email=email,
            accepted_at=None,
            revoked_at=None,
        ).update(revoked_at=timezone.now())
        invitation = Invitation.objects.create(
            organization=organization,
            email=email,
            role=role,
            token_hash=_hash_token(token),
            invited_by=actor.user,
            expires_at=timezone.now() + settings.INVITATION_VALID_FOR,
        )
        record(
            AuditAction.INVITATION_SENT,
            principal=actor,
            target=invitation,
            data={"role": role},
        )
        link = settings.SITE_URL + reverse("invitation_accept", kwargs={"token": token})
        email_send(
            to=[email],
            template="organizations/email/invitation",
            context={
                "organization_name": organization.name,
                "inviter": actor.user.display_name,  # type: ignore[union-attr]  # a member acts
                "role": Role(role).label,
                "link": link,
                "expires_at": invitation.expires_at,
            },
        )
    return invitation


def invitation_revoke(
    *, actor: Principal, organization_id: UUID | str, invitation_id: UUID | str
) -> Invitation:
    invitation = access.invitation_access(actor, organization_id, invitation_id)
    if invitation.accepted_at or invitation.revoked_at:
        raise Conflict(_("This invitation is no longer pending."), code="not_pending")
    with transaction.atomic():
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at", "updated_at"])
        record(AuditAction.INVITATION_REVOKED, principal=actor, target=invitation)
    return invitation


class InvitationUnusable(DomainError):
    code = "invitation_unusable"
    status = 410


def invitation_lookup(token: str) -> Invitation:
    invitation = (
        Invitation.objects.filter(token_hash=_hash_token(token or ""))
        .select_related("organization", "invited_by")
        .first()
    )
    if invitation is None:
        raise NotFound(_("This invitation link is not valid."))
    return invitation


def invitation_accept(*, actor: Principal, token: str) -> Membership:
    """The invited person accepts; the link works once, before it expires, for the invited
    address only. A refusal is audited (and committed) even though the call fails."""
    with transaction.atomic():
        invitation = invitation_lookup(token)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        status = invitation.status
        problem = {
            InvitationStatus.ACCEPTED: _("This invitation has already been used."),
            InvitationStatus.REVOKED: _("This invitation was withdrawn."),
            InvitationStatus.EXPIRED: _("This invitation has expired. Ask for a new one."),
        }.get(status)
        reason: str = status
        if problem is None and actor.user.email.lower() != invitation.email.lower():  # type: ignore[union-attr]  # a member acts
            problem = _("This invitation was sent to another e-mail address.")
            reason = "other_address"
        if problem is None:
            try:
                with transaction.atomic():
                    membership = Membership.objects.create(  # type: ignore[misc]  # a member acts
                        user=actor.user,
                        organization=invitation.organization,
                        role=invitation.role,
                    )
            except IntegrityError as exc:
                raise Conflict(_("You are already a member of this organization.")) from exc
            invitation.accepted_at = timezone.now()
            invitation.accepted_by = actor.user
            invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
            record(
                AuditAction.INVITATION_ACCEPTED,
                principal=actor,
                organization=invitation.organization,
                target=invitation,
                data={"role": invitation.role},
            )
            return membership
        record(
            AuditAction.INVITATION_REFUSED,
            principal=actor,
            organization=invitation.organization,
            target=invitation,
            outcome=AuditOutcome.DENIED,
            reason=reason,
        )
    raise InvitationUnusable(problem)


def lab_connection_request(
    *, actor: Principal, organization_id: UUID | str, lab_id: UUID | str, message: str = ""
) -> LabConnection:
    practice = access.organization_access(actor, organization_id, Perm.CONNECTION_REQUEST)
    lab = Organization.objects.filter(public_id=lab_id, kind=OrganizationKind.LAB).first()
    if lab is None:
        raise NotFound(_("No such lab."))
    with transaction.atomic():
        connection, created = LabConnection.objects.get_or_create(
            practice=practice, lab=lab, defaults={"requested_by": actor.user, "message": message}
        )
        if not created:
            if connection.status in (ConnectionStatus.PENDING, ConnectionStatus.ACCEPTED):
                raise Conflict(_("You are already connected to this lab or waiting for it."))
            connection.status = ConnectionStatus.PENDING
            connection.requested_by = actor.user
            connection.message = message
            connection.responded_by = None
            connection.responded_at = None
            connection.save()
        record(
            AuditAction.CONNECTION_REQUESTED,
            principal=actor,
            target=connection,
            data={"lab": str(lab.public_id)},
        )
    return connection


def lab_connection_respond(
    *, actor: Principal, organization_id: UUID | str, connection_id: UUID | str, accept: bool
) -> LabConnection:
    connection = access.connection_access(
        actor, organization_id, connection_id, Perm.CONNECTION_RESPOND
    )
    if connection.status != ConnectionStatus.PENDING:
        raise Conflict(_("This request has already been answered."), code="not_pending")
    with transaction.atomic():
        connection.status = ConnectionStatus.ACCEPTED if accept else ConnectionStatus.DECLINED
        connection.responded_by = actor.user
        connection.responded_at = timezone.now()
        connection.save(update_fields=["status", "responded_by", "responded_at", "updated_at"])
        record(
            AuditAction.CONNECTION_ACCEPTED if accept else AuditAction.CONNECTION_DECLINED,
            principal=actor,
            target=connection,
            data={"practice": str(connection.practice.public_id)},
        )
    return connection


def lab_connection_end(
    *, actor: Principal, organization_id: UUID | str, connection_id: UUID | str
) -> LabConnection:
    """Either side may end an accepted link (the practice's owner or the lab's manager)."""
    perm = (
        Perm.CONNECTION_REQUEST
        if actor.organization and actor.organization.is_practice
        else Perm.CONNECTION_RESPOND
    )
    connection = access.connection_access(actor, organization_id, connection_id, perm)
    if connection.status not in (ConnectionStatus.ACCEPTED, ConnectionStatus.PENDING):
        raise Conflict(_("This connection is not active."), code="not_active")
    with transaction.atomic():
        connection.status = ConnectionStatus.ENDED
        connection.save(update_fields=["status", "updated_at"])
        record(AuditAction.CONNECTION_ENDED, principal=actor, target=connection)
    return connection
