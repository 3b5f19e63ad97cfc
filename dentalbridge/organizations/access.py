"""The organizations' door keeper: an organization, its members, invitations and lab
connections, each loaded for a principal acting for that organization (ACC-2). Same error for
"does not exist" and "not yours" (``NotFound``); ``Forbidden`` only when the principal may see the
object but not do this to it."""

from uuid import UUID

from django.db.models import QuerySet

from dentalbridge.core.errors import Forbidden, NotFound
from dentalbridge.organizations.models import Invitation, LabConnection, Membership, Organization
from dentalbridge.privacy.policy import Perm, may
from dentalbridge.privacy.principal import Principal


def _acting_organization(principal: Principal, organization_id: UUID | str) -> Organization:
    """The organization named in a URL, if and only if it is the one the principal acts for."""
    organization = principal.organization
    if organization is None or str(organization.public_id) != str(organization_id):
        raise NotFound()
    return organization


def organization_access(
    principal: Principal, organization_id: UUID | str, perm: Perm
) -> Organization:
    organization = _acting_organization(principal, organization_id)
    if not may(principal, Perm.ORGANIZATION_VIEW, organization):
        raise NotFound()
    if not may(principal, perm, organization):
        raise Forbidden()
    return organization


def members_query(principal: Principal, organization_id: UUID | str) -> QuerySet[Membership]:
    organization = organization_access(principal, organization_id, Perm.MEMBER_VIEW)
    return Membership.objects.filter(organization=organization).select_related("user")


def membership_access(
    principal: Principal, organization_id: UUID | str, membership_id: UUID | str, perm: Perm
) -> Membership:
    organization = organization_access(principal, organization_id, Perm.MEMBER_VIEW)
    membership = (
        Membership.objects.filter(organization=organization, public_id=membership_id)
        .select_related("user", "organization")
        .first()
    )
    if membership is None:
        raise NotFound()
    if not may(principal, perm, organization):
        raise Forbidden()
    return membership


def invitations_query(principal: Principal, organization_id: UUID | str) -> QuerySet[Invitation]:
    organization = organization_access(principal, organization_id, Perm.INVITATION_MANAGE)
    return Invitation.objects.filter(organization=organization).select_related("invited_by")


def invitation_access(
    principal: Principal, organization_id: UUID | str, invitation_id: UUID | str
) -> Invitation:
    invitation = invitations_query(principal, organization_id).filter(public_id=invitation_id)
    found = invitation.select_related("organization").first()
    if found is None:
        raise NotFound()
    return found


def connections_query(principal: Principal, organization_id: UUID | str) -> QuerySet[LabConnection]:
    """A practice sees its links to labs; a lab sees the practices linked to it."""
    organization = organization_access(principal, organization_id, Perm.CONNECTION_VIEW)
    side = "practice" if organization.is_practice else "lab"
    return LabConnection.objects.filter(**{side: organization}).select_related(
        "practice", "lab", "requested_by", "responded_by"
    )


def connection_access(
    principal: Principal, organization_id: UUID | str, connection_id: UUID | str, perm: Perm
) -> LabConnection:
    connection = connections_query(principal, organization_id).filter(public_id=connection_id)
    found = connection.first()
    if found is None:
        raise NotFound()
    if not may(principal, perm, principal.organization):
        raise Forbidden()
    return found
