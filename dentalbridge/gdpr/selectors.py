"""Reads of the audit log for the platform's DPO, across tenants."""

from dentalbridge.gdpr import access
from dentalbridge.privacy.audit import with_actor_names


def platform_audit_events_for_patient(principal, patient_id):
    """For the platform DPO: events about one patient id across tenants, with actor names."""
    return with_actor_names(access.platform_audit_for_patient_id(principal, patient_id))
