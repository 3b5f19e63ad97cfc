"""What the messaging app stores about people, for the processing register (PRV-1, PRV-7).

Each field that holds personal data is declared under its data category (the category's
purpose, legal basis and retention are the GDPR app's, in ``gdpr.purposes``); each field that
does not is listed in ``NOT_PERSONAL`` with the reason. The GDPR app collects this module when
it is ready, so an app adds itself to the register here, without editing the GDPR app; a new
model field in neither fails ``gdpr/tests/test_register.py``.
"""

PERSONAL_DATA: dict[str, dict[str, tuple[str, ...]]] = {
    "communications": {
        "messaging.Notification": ("event", "text", "link", "read_at"),
        "messaging.NotificationPreference": ("event", "in_app", "email"),
        "messaging.OutgoingEmail": (
            "to",
            "subject",
            "text",
            "html",
            "last_error",
            "sent_at",
            "purpose",
            "headers",
        ),
    },
}

NOT_PERSONAL: dict[str, tuple[tuple[str, ...] | str, str]] = {
    "messaging.Newsletter": ("*", "product news, written for everyone alike"),
    "messaging.OutgoingEmail": (
        ("status", "attempts", "next_attempt_at", "erase_after_sending"),
        "delivery state",
    ),
}
