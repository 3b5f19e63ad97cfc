"""Reads of the patients app that are not a single access call."""

from typing import Any

from django.http import HttpRequest

from dentalbridge.core.errors import Forbidden, NotFound
from dentalbridge.core.pages import page_context
from dentalbridge.core.text import search_text
from dentalbridge.patients import access, services
from dentalbridge.patients.models import Patient, RecordItemKind
from dentalbridge.privacy.audit import with_actor_names
from dentalbridge.privacy.models import AuditEvent
from dentalbridge.privacy.policy import Perm, may
from dentalbridge.privacy.principal import Principal


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


def patient_page(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    """Everything the patient's page shows but its forms, for a patient already obtained through
    ``patient_access``: the record, the care team (with who may revoke each grant), and the
    sections of the apps above (orders, legal holds, the uploader: ``core.pages`` hands them the
    request). A constant number of queries whatever their lengths (tests/test_page_queries.py);
    it writes nothing."""
    principal: Principal = request.principal  # type: ignore[attr-defined]  # set by our middleware
    organization = principal.organization
    allowed, _parent = services.care_grant_allowed(principal, patient)
    return {
        "patient": patient,
        # A physician on the care team reads the record; only the practice changes it.
        "in_practice": organization is not None and organization.pk == patient.organization_id,
        "grants": [
            (grant, services.care_revoke_allowed(principal, patient, grant))
            for grant in access.care_grants_of(patient)
        ],
        "may_grant": allowed,
        "record": access.record_of(patient),
        "kinds": RecordItemKind.choices,
        **page_context("patients.detail", request, patient=patient),
    }
