"""Writes of the privacy core that are not patient data: the operator's part of the processing
register, kept by the platform's DPO (PRV-7, PRV-10). Each change is audited."""

from django.db import transaction

from dentalbridge.core.errors import NotFound
from dentalbridge.privacy import access
from dentalbridge.privacy.audit import AuditAction, record
from dentalbridge.privacy.models import OperatorDetails, SubProcessor

OPERATOR_FIELDS = ("name", "address", "email", "country", "dpo_name", "dpo_email", "dpo_address")


@transaction.atomic
def operator_details_save(*, actor, **values) -> OperatorDetails:
    access.platform_dpo_required(actor)
    details = OperatorDetails.objects.select_for_update().order_by("pk").first()
    details = details or OperatorDetails()
    changed = [name for name in OPERATOR_FIELDS if getattr(details, name) != values[name]]
    for name in OPERATOR_FIELDS:
        setattr(details, name, values[name])
    details.full_clean()
    details.save()
    record(
        AuditAction.REGISTER_CHANGED,
        principal=actor,
        target=details,
        data={"what": "operator", "fields": changed},
    )
    return details


@transaction.atomic
def subprocessor_add(*, actor, name, service, location, safeguard) -> SubProcessor:
    access.platform_dpo_required(actor)
    last = SubProcessor.objects.order_by("-position").values_list("position", flat=True).first()
    entry = SubProcessor(
        name=name,
        service=service,
        location=location,
        safeguard=safeguard,
        position=(last or 0) + 1,
    )
    entry.full_clean()
    entry.save()
    record(
        AuditAction.REGISTER_CHANGED,
        principal=actor,
        target=entry,
        data={"what": "subprocessor_added", "name": name, "location": str(location)},
    )
    return entry


@transaction.atomic
def subprocessor_remove(*, actor, subprocessor_id) -> None:
    access.platform_dpo_required(actor)
    entry = SubProcessor.objects.filter(public_id=subprocessor_id).first()
    if entry is None:
        raise NotFound()
    record(
        AuditAction.REGISTER_CHANGED,
        principal=actor,
        target=entry,
        data={"what": "subprocessor_removed", "name": entry.name},
    )
    entry.delete()
