"""Reads on organizations that are not scoped to one tenant's data (the user's own memberships,
the lab directory)."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from dentalbridge.core.text import search_text
from dentalbridge.organizations import access
from dentalbridge.organizations.models import (
    ConnectionStatus,
    LabConnection,
    Membership,
    Organization,
    OrganizationKind,
)
from dentalbridge.privacy.audit import with_actor_names
from dentalbridge.privacy.models import AuditEvent
from dentalbridge.privacy.policy import Perm

SESSION_KEY = "dentalbridge_active_membership"


def memberships_of(user) -> list[Membership]:
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name")
    )


def active_membership(user, session, memberships) -> Membership | None:
    """The membership chosen in this session, or else the user's first one."""
    chosen = session.get(SESSION_KEY)
    for membership in memberships:
        if str(membership.public_id) == chosen:
            return membership
    return memberships[0] if memberships else None


def active_membership_for(user, organization_public_id) -> Membership | None:
    """The user's membership of one organization (by its public id), if it still exists."""
    return (
        Membership.objects.filter(user=user, organization__public_id=organization_public_id)
        .select_related("organization")
        .first()
    )


def lab_directory(*, search: str = "", exclude_connected_to=None) -> QuerySet[Organization]:
    """Labs a practice may ask to connect with: name, city, country only (NET-1)."""
    labs = Organization.objects.filter(kind=OrganizationKind.LAB)
    search = search_text(search)
    if search:
        labs = labs.filter(Q(name__icontains=search) | Q(city__icontains=search))
    if exclude_connected_to is not None:
        # One link row must match both conditions (a plain exclude() across the relation would
        # test them on different rows and hide labs linked to any other practice).
        active_link = LabConnection.objects.filter(
            practice=exclude_connected_to,
            lab=OuterRef("pk"),
            status__in=[ConnectionStatus.PENDING, ConnectionStatus.ACCEPTED],
        )
        labs = labs.exclude(Exists(active_link))
    return labs.only("public_id", "name", "city", "country").order_by("name")


def connected_labs(practice) -> list[Organization]:
    """The labs a practice is connected with (the connection accepted and not ended)."""
    return [
        connection.lab
        for connection in LabConnection.objects.filter(
            practice=practice, status=ConnectionStatus.ACCEPTED
        ).select_related("lab")
    ]


def connected_lab(practice, lab_public_id) -> Organization | None:
    """One lab the practice is connected with, by its public id; None if it is not."""
    connection = (
        LabConnection.objects.filter(
            practice=practice, lab__public_id=lab_public_id, status=ConnectionStatus.ACCEPTED
        )
        .select_related("lab")
        .first()
    )
    return connection.lab if connection else None


def is_connected(practice, lab) -> bool:
    return LabConnection.objects.filter(
        practice=practice, lab=lab, status=ConnectionStatus.ACCEPTED
    ).exists()


def audit_events_for_organization(principal, organization_id, *, action: str = "") -> QuerySet:
    """Events recorded while acting for this organization, newest first, with the actor's name
    resolved in the same query (constant query count per page)."""
    organization = access.organization_access(principal, organization_id, Perm.AUDIT_VIEW)
    events = with_actor_names(AuditEvent.objects.filter(organization_id=organization.public_id))
    action = search_text(action, limit=64)
    if action:
        events = events.filter(action__startswith=action)
    return events.order_by("-seq")
