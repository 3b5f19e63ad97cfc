"""What the privacy app stores about people, for the processing register (PRV-1, PRV-7).

Each field that holds personal data is declared under its data category (the category's
purpose, legal basis and retention are the GDPR app's, in ``gdpr.purposes``); each field that
does not is listed in ``NOT_PERSONAL`` with the reason. The GDPR app collects this module when
it is ready, so an app adds itself to the register here, without editing the GDPR app; a new
model field in neither fails ``gdpr/tests/test_register.py``.
"""

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
    "privacy.AuditEvent": (("seq", "prev_hash", "hash"), "the hash chain"),
}
