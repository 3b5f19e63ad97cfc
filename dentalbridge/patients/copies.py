"""The patient's own copy of their record (REC-4): a ZIP with a summary a person reads
(summary.html), the same content for machines (record.json) and the record's files (scans,
photos, CBCT, documents) as the practice stored them, decrypted as the ZIP is sent."""

import json
from collections.abc import Iterator

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from dentalbridge.patients import access
from dentalbridge.patients.record_files import record_files
from dentalbridge.privacy.audit import AuditAction, record
from dentalbridge.privacy.principal import Principal

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


def record_copy(*, actor: Principal, patient_id) -> tuple[str, Iterator[bytes]]:
    """(file name, ZIP stream) of the principal's own record; the copy and each file in it are
    audited."""
    patient = access.portal_patient_access(actor, patient_id)
    items = list(access.record_of(patient))
    # What the practice has confirmed: a file held for its decision is not sent out yet.
    files = record_files().copy_entries(patient, items)
    content = {
        **record_content(patient, items),
        "files": [
            {"name": name, "item": str(asset.item.public_id), "size": asset.size,
             "sha256": asset.sha256}
            for name, asset in files
        ],
    }  # fmt: skip
    summary = render_to_string(
        "patients/copy_summary.html",
        {"patient": patient, "items": items, "content": content, "files": files},
    )
    with transaction.atomic():
        record(
            AuditAction.RECORD_COPY_DOWNLOADED,
            principal=actor,
            organization=patient.organization,
            patient=patient,
            target=patient,
            data={"items": len(items), "files": len(files)},
        )
        record_files().copy_audit(actor, patient, files)
    texts = [
        ("summary.html", summary.encode()),
        ("record.json", json.dumps(content, indent=2, ensure_ascii=False).encode()),
    ]
    return f"dental-record-{patient.pseudonym}.zip", record_files().copy_stream(files, texts)
