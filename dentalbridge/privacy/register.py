"""The privacy app's entries in the processing register (gdpr.purposes collects them; see
docs/contributors.md, "Adding a new app", step 10)."""

PERSONAL_DATA: dict[str, dict[str, tuple[str, ...]]] = {
    "security_log": {
        "privacy.AuditEvent": (
            "created_at",
            "action",
            "outcome",
            "actor_id",
            "organization_id",
            "target_type",
            "target_id",
            "patient_id",
            "reason",
            "via",
            "ip",
            "user_agent",
            "data",
        ),
    },
}

NOT_PERSONAL: dict[str, tuple[tuple[str, ...] | str, str]] = {
    "privacy.AuditEvent": (("seq", "prev_hash", "hash", "key_id"), "the keyed hash chain"),
}
