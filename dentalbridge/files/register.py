"""The files app's entries in the processing register (gdpr.purposes collects them; see
docs/contributors.md, "Adding a new app", step 10)."""

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
        ("status", "step", "progress", "error_code", "error_message", "lease_until", "leased_by"),
        "processing state of a file (and which intake run holds it)",
    ),
    "files.Upload": (("status", "expires_at"), "upload state"),
}
