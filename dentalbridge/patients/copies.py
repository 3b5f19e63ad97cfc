"""The patient's own copy of their record (REC-4): a ZIP with a summary a person reads
(summary.html) and the same content for machines (record.json). Files join with the files
pipeline."""

import io
import json
import zipfile

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from dentalbridge.privacy import access
from dentalbridge.privacy.access import Principal
from dentalbridge.privacy.audit import AuditAction, record

FORMAT_VERSION = 1


def record_content(patient, items) -> dict:
    """The whole record as plain data: the patient's copy and the legal archive share it."""
    return {
        "format": "dentalbridge.record",
        "format_version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "practice": {"name": patient.organization.name},
        "patient": {
            "id": str(patient.public_id),
            "given_name": patient.given_name,
            "family_name": patient.family_name,
            "date_of_birth": patient.date_of_birth.isoformat(),
            "sex": patient.sex,
            "email": patient.email,
            "phone": patient.phone,
            "address": patient.address,
        },
        "record": [
            {
                "id": str(item.public_id),
                "kind": item.kind,
                "versions": [
                    {
                        "number": version.number,
                        "title": version.title,
                        "text": version.text,
                        "date": version.taken_on.isoformat() if version.taken_on else None,
                        "saved_at": version.created_at.isoformat(),
                    }
                    for version in item.versions.all()
                ],
            }
            for item in items
        ],
    }


def record_copy(*, actor: Principal, patient_id) -> tuple[str, bytes]:
    """(file name, ZIP bytes) of the principal's own record; the download is audited."""
    patient = access.portal_patient_access(actor, patient_id)
    items = list(access.record_of(patient))
    content = record_content(patient, items)
    summary = render_to_string(
        "patients/copy_summary.html", {"patient": patient, "items": items, "content": content}
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("summary.html", summary)
        archive.writestr("record.json", json.dumps(content, indent=2, ensure_ascii=False))
    with transaction.atomic():
        record(
            AuditAction.RECORD_COPY_DOWNLOADED,
            principal=actor,
            organization=patient.organization,
            patient=patient,
            target=patient,
            data={"items": len(items)},
        )
    return f"dental-record-{patient.pseudonym}.zip", buffer.getvalue()
