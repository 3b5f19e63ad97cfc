"""What the organizations app stores about people, for the processing register (PRV-1, PRV-7).

Each field that holds personal data is declared under its data category (the category's
purpose, legal basis and retention are the GDPR app's, in ``gdpr.purposes``); each field that
does not is listed in ``NOT_PERSONAL`` with the reason. The GDPR app collects this module when
it is ready, so an app adds itself to the register here, without editing the GDPR app; a new
model field in neither fails ``gdpr/tests/test_register.py``.
"""

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
