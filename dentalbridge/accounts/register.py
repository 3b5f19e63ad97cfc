"""The accounts app's entries in the processing register (gdpr.purposes collects them; see
docs/contributors.md, "Adding a new app", step 10)."""

PERSONAL_DATA: dict[str, dict[str, tuple[str, ...]]] = {
    "account": {
        "accounts.User": (
            "email",
            "full_name",
            "phone",
            "language",
            "photo",
            "location",
            "specialisation",
            "vision",
            "current_job",
            "last_login",
            "date_joined",
            "is_active",
            "closed_at",
        ),
    },
    "credentials": {
        "accounts.User": ("password",),
        "accounts.ApiToken": (
            "name",
            "prefix",
            "token_hash",
            "expires_at",
            "last_used_at",
            "revoked_at",
        ),
    },
}

NOT_PERSONAL: dict[str, tuple[tuple[str, ...] | str, str]] = {
    "accounts.User": (("is_superuser", "is_staff"), "operator flags"),
}
