"""The patients app's entries in the processing register (gdpr.purposes collects them; see
docs/contributors.md, "Adding a new app", step 10)."""

PERSONAL_DATA: dict[str, dict[str, tuple[str, ...]]] = {
    "patient_identity": {
        "patients.Patient": (
            "given_name",
            "family_name",
            "date_of_birth",
            "sex",
            "gender",
            "email",
            "phone",
            "address",
            "external_reference",
            "guardian_name",
            "guardian_contact",
            "guardian_consent_at",
        ),
        "patients.PatientInvitation": ("email", "accepted_at"),
    },
    "health_record": {
        "patients.Patient": ("notes", "deleted_at", "restricted_at", "restriction_reason"),
        "patients.RecordItem": ("kind",),
        "patients.RecordItemVersion": ("number", "title", "text", "taken_on"),
        "patients.CareTeamGrant": ("reason", "may_grant_others", "expires_at", "revoked_at"),
        "patients.PatientArchive": ("patient_id", "content", "deleted_at", "keep_until"),
    },
    "pseudonym": {
        "patients.Patient": ("pseudonym",),
        "patients.PatientArchive": ("pseudonym",),
    },
    "credentials": {
        "patients.PatientInvitation": ("token_hash", "expires_at"),
    },
}

NOT_PERSONAL: dict[str, tuple[tuple[str, ...] | str, str]] = {}
