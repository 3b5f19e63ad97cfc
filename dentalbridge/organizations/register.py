"""The organizations app's entries in the processing register (gdpr.purposes collects them; see
docs/contributors.md, "Adding a new app", step 10)."""

PERSONAL_DATA: dict[str, dict[str, tuple[str, ...]]] = {
    "account": {
        "organizations.Membership": ("role",),
        "organizations.Invitation": ("email", "role", "accepted_at", "revoked_at"),
    },
    "credentials": {
        "organizations.Invitation": ("token_hash", "expires_at"),
    },
    "business_contact": {
        "organizations.Organization": (
            "name",
            "salutation",
            "contact_person",
            "street",
            "postal_code",
            "city",
            "vat_number",
            "fiscal_code",
            "sdi_code",
            "pec",
            "registration_number",
            "billing_email",
        ),
        "organizations.LabConnection": ("message", "responded_at"),
    },
}

NOT_PERSONAL: dict[str, tuple[tuple[str, ...] | str, str]] = {
    "organizations.Organization": (
        ("kind", "country", "data_region", "storage_quota"),
        "settings of an organization",
    ),
    "organizations.LabConnection": (("status",), "state of a connection"),
}
