"""What the accounts app stores about people, for the processing register (PRV-1, PRV-7).

Each field that holds personal data is declared under its data category (the category's
purpose, legal basis and retention are the GDPR app's, in ``gdpr.purposes``); each field that
does not is listed in ``NOT_PERSONAL`` with the reason. The GDPR app collects this module when
it is ready, so an app adds itself to the register here, without editing the GDPR app; a new
model field in neither fails ``gdpr/tests/test_register.py``.
"""

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
