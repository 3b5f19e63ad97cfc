"""What the patients app stores about people, for the processing register (PRV-1, PRV-7).

Each field that holds personal data is declared under its data category (the category's
purpose, legal basis and retention are the GDPR app's, in ``gdpr.purposes``); each field that
does not is listed in ``NOT_PERSONAL`` with the reason. The GDPR app collects this module when
it is ready, so an app adds itself to the register here, without editing the GDPR app; a new
model field in neither fails ``gdpr/tests/test_register.py``.
"""

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
