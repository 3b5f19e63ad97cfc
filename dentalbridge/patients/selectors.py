"""Reads of the patients app that are not a single access call."""

from dentalbridge.core.errors import Forbidden, NotFound
from dentalbridge.core.text import search_text
from dentalbridge.patients import access
from dentalbridge.privacy.audit import with_actor_names
from dentalbridge.privacy.models import AuditEvent
from dentalbridge.privacy.policy import Perm, may


def audit_events_for_patient(principal, patient_id, *, action: str = ""):
    """(patient, events): every event about one patient of the practice, newest first, for those
    who review the audit log (the practice owner). Roles without that right get 403 before the
    patient is even looked up, so ids cannot be probed; other tenants get 404."""
    if not may(principal, Perm.AUDIT_VIEW):
        raise Forbidden()
    patient = access.patient_access(principal, patient_id, Perm.PATIENT_VIEW, reason="audit review")
    if patient.organization_id != principal.organization.pk:  # a care-team grant is not enough
        raise NotFound()
    events = with_actor_names(AuditEvent.objects.filter(patient_id=patient.public_id))
    action = search_text(action, limit=64)
    if action:
        events = events.filter(action__startswith=action)
    return patient, events.order_by("-seq")
