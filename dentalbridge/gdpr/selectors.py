"""Reads of the audit log, scoped through the access layer."""

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, QuerySet, Subquery

from dentalbridge.core.errors import Forbidden, NotFound
from dentalbridge.core.text import search_text
from dentalbridge.gdpr import access
from dentalbridge.organizations import access as organizations_access
from dentalbridge.patients import access as patients_access
from dentalbridge.privacy.models import AuditEvent
from dentalbridge.privacy.policy import Perm, may


def _with_actor(events):
    users = get_user_model().objects.filter(public_id=OuterRef("actor_id"))
    return events.annotate(
        actor_email=Subquery(users.values("email")[:1]),
        actor_name=Subquery(users.values("full_name")[:1]),
    )


def audit_events_for_patient(principal, patient_id, *, action: str = ""):
    """(patient, events): every event about one patient of the practice, newest first, for those
    who review the audit log (the practice owner). Roles without that right get 403 before the
    patient is even looked up, so ids cannot be probed; other tenants get 404."""
    if not may(principal, Perm.AUDIT_VIEW):
        raise Forbidden()
    patient = patients_access.patient_access(
        principal, patient_id, Perm.PATIENT_VIEW, reason="audit review"
    )
    if patient.organization_id != principal.organization.pk:  # a care-team grant is not enough
        raise NotFound()
    events = _with_actor(AuditEvent.objects.filter(patient_id=patient.public_id))
    action = search_text(action, limit=64)
    if action:
        events = events.filter(action__startswith=action)
    return patient, events.order_by("-seq")


def audit_events_for_organization(principal, organization_id, *, action: str = "") -> QuerySet:
    """Events recorded while acting for this organization, newest first, with the actor's name
    resolved in the same query (constant query count per page)."""
    organization = organizations_access.organization_access(
        principal, organization_id, Perm.AUDIT_VIEW
    )
    users = get_user_model().objects.filter(public_id=OuterRef("actor_id"))
    events = AuditEvent.objects.filter(organization_id=organization.public_id).annotate(
        actor_email=Subquery(users.values("email")[:1]),
        actor_name=Subquery(users.values("full_name")[:1]),
    )
    action = search_text(action, limit=64)
    if action:
        events = events.filter(action__startswith=action)
    return events.order_by("-seq")


def platform_audit_events_for_patient(principal, patient_id):
    """For the platform DPO: events about one patient id across tenants, with actor names."""
    return _with_actor(access.platform_audit_for_patient_id(principal, patient_id))
