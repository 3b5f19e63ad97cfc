"""The messaging app's entries in the processing register (gdpr.purposes collects them; see
docs/contributors.md, "Adding a new app", step 10)."""

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
