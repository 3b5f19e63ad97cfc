"""What the files app stores about people, for the processing register (PRV-1, PRV-7).

Each field that holds personal data is declared under its data category (the category's
purpose, legal basis and retention are the GDPR app's, in ``gdpr.purposes``); each field that
does not is listed in ``NOT_PERSONAL`` with the reason. The GDPR app collects this module when
it is ready, so an app adds itself to the register here, without editing the GDPR app; a new
model field in neither fails ``gdpr/tests/test_register.py``.
"""

PERSONAL_DATA: dict[str, dict[str, tuple[str, ...]]] = {
    "health_record": {
        "files.Asset": (
            "role",
            "filename",
            "original_name",
            "format",
            "jaw",
            "media_type",
            "size",
            "sha256",
            "parts",
            "region",
            "report",
            "confirmed_at",
        ),
        "files.Upload": (
            "kind",
            "jaw",
            "title",
            "filename",
            "length",
            "offset",
            "format",
            "sha256_expected",
            "parts",
            "region",
            "order_id",
        ),
        "files.PatientKey": ("archived_patient_id", "recipient", "wrapped_identity"),
        "files.Share": ("note", "expires_at", "revoked_at"),
    },
    "orders": {
        "files.DesignerAssignment": ("ends_at", "revoked_at"),
    },
}

NOT_PERSONAL: dict[str, tuple[tuple[str, ...] | str, str]] = {
    "files.TenantKey": ("*", "wrapped encryption keys of an organization"),
    "files.PatientKey": (("key_id", "retired_at"), "key bookkeeping"),
    "files.Asset": (
        ("status", "step", "progress", "error_code", "error_message"),
        "processing state of a file",
    ),
    "files.Upload": (("status", "expires_at"), "upload state"),
}
