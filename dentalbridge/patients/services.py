"""Writes on patients (REC-1, REC-5, REC-7). Every function loads through the access layer and
audits in the same transaction as the change."""

import secrets
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dentalbridge.core.errors import Conflict, NotFound, ValidationFailed
from dentalbridge.organizations.models import Membership, Role
from dentalbridge.patients.models import AGE_OF_DIGITAL_CONSENT, Patient, Sex
from dentalbridge.privacy import access
from dentalbridge.privacy.access import Principal
from dentalbridge.privacy.audit import AuditAction, record
from dentalbridge.privacy.policy import Perm

EDITABLE_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "gender",
    "email",
    "phone",
    "address",
    "attending_dentist",
    "external_reference",
    "notes",
    "guardian_name",
    "guardian_contact",
)

# Crockford-style alphabet without look-alikes (0/O, 1/I/L, U): read aloud at the lab's bench.
_PSEUDONYM_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
_OLDEST_BIRTH_YEAR = 1900


def new_pseudonym() -> str:
    """e.g. ``P-7KX2-41``: random, so it reveals nothing (not even the order of registration)."""
    body = "".join(secrets.choice(_PSEUDONYM_ALPHABET) for _ in range(4))
    return f"P-{body}-{secrets.randbelow(100):02d}"


def _clean(patient: Patient, practice) -> None:
    """Collect every problem, each tied to its field, with a message a person can act on."""
    errors: dict[str, list[str]] = {}

    def problem(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for name, limit in (("given_name", 100), ("family_name", 100)):
        value = (getattr(patient, name) or "").strip()
        setattr(patient, name, value)
        if not value:
            problem(name, _("This field is required."))
        elif len(value) > limit:
            problem(name, _("At most %(limit)d characters.") % {"limit": limit})
    born = patient.date_of_birth
    if not isinstance(born, date):
        problem("date_of_birth", _("Enter the date of birth as YYYY-MM-DD."))
    elif born > timezone.localdate():
        problem("date_of_birth", _("The date of birth cannot be in the future."))
    elif born.year < _OLDEST_BIRTH_YEAR:
        problem("date_of_birth", _("Check the year of birth."))
    if patient.sex not in Sex.values:
        problem("sex", _("Choose one of the listed options."))
    if patient.email:
        try:
            validate_email(patient.email)
        except ValidationError:
            problem("email", _("Enter a valid e-mail address."))
    for name in ("gender", "phone", "address", "external_reference", "notes", "guardian_name",
                 "guardian_contact"):  # fmt: skip
        limit = Patient._meta.get_field(name).max_length
        if len(getattr(patient, name) or "") > limit:
            problem(name, _("At most %(limit)d characters.") % {"limit": limit})
    dentist = patient.attending_dentist
    if (
        dentist is not None
        and not Membership.objects.filter(
            user=dentist, organization=practice, role__in=[Role.OWNER, Role.DENTIST]
        ).exists()
    ):
        problem("attending_dentist", _("Choose a dentist of this practice."))
    if isinstance(born, date) and patient.age < AGE_OF_DIGITAL_CONSENT:
        if not patient.guardian_name.strip():
            problem("guardian_name", _("A patient under 16 needs a guardian."))
        if not patient.guardian_contact.strip():
            problem("guardian_contact", _("How can the guardian be reached?"))
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=errors)


def patient_create(*, actor: Principal, **fields) -> Patient:
    practice = access.patients_practice(actor, Perm.PATIENT_EDIT)
    patient = Patient(
        organization=practice, **{k: v for k, v in fields.items() if k in EDITABLE_FIELDS}
    )
    _clean(patient, practice)
    for _attempt in range(8):
        patient.pseudonym = new_pseudonym()
        try:
            with transaction.atomic():
                patient.save(force_insert=True)
                record(
                    AuditAction.PATIENT_CREATED, principal=actor, patient=patient, target=patient
                )
            return patient
        except IntegrityError:
            if not access.pseudonym_taken(practice, patient.pseudonym):
                raise
            patient.pk = None  # 810,000 codes per practice: a clash is rare; draw again
    raise Conflict(_("Could not allocate a pseudonym; try again."))


def patient_update(*, actor: Principal, patient_id, **fields) -> Patient:
    patient = access.patient_access(actor, patient_id, Perm.PATIENT_EDIT)
    before = {name: getattr(patient, name) for name in EDITABLE_FIELDS}
    for name, value in fields.items():
        if name in EDITABLE_FIELDS:
            setattr(patient, name, value)
    _clean(patient, patient.organization)
    changed = [name for name in EDITABLE_FIELDS if getattr(patient, name) != before[name]]
    if not changed:
        return patient
    with transaction.atomic():
        patient.save(update_fields=[*changed, "updated_at"])
        # Field names only: the values are the patient's data and stay out of the audit log.
        record(
            AuditAction.PATIENT_UPDATED,
            principal=actor,
            patient=patient,
            target=patient,
            data={"fields": ",".join(sorted(changed))},
        )
    return patient


def guardian_consent_record(*, actor: Principal, patient_id) -> Patient:
    patient = access.patient_access(actor, patient_id, Perm.PATIENT_EDIT)
    if not patient.is_minor:
        raise Conflict(_("Guardian consent is recorded for patients under 16 only."))
    if not patient.guardian_name:
        raise ValidationFailed(
            _("Name the guardian first."), fields={"guardian_name": [_("Required.")]}
        )
    with transaction.atomic():
        patient.guardian_consent_at = timezone.now()
        patient.guardian_consent_by = actor.user
        patient.save(update_fields=["guardian_consent_at", "guardian_consent_by", "updated_at"])
        record(
            AuditAction.PATIENT_UPDATED,
            principal=actor,
            patient=patient,
            target=patient,
            data={"fields": "guardian_consent_at"},
        )
    return patient


def patient_delete(*, actor: Principal, patient_id, reason: str = "") -> Patient:
    """Hidden at once, restorable for 30 days (REC-5); the purge comes with the retention task."""
    patient = access.patient_access(actor, patient_id, Perm.PATIENT_DELETE)
    with transaction.atomic():
        patient.deleted_at = timezone.now()
        patient.deleted_by = actor.user
        patient.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        record(
            AuditAction.PATIENT_DELETED,
            principal=actor,
            patient=patient,
            target=patient,
            reason=reason,
        )
    return patient


def patient_restore(*, actor: Principal, patient_id) -> Patient:
    try:
        patient = access.patient_access(actor, patient_id, Perm.PATIENT_DELETE, deleted=True)
    except NotFound:
        raise NotFound(_("No deleted patient with this id.")) from None
    with transaction.atomic():
        patient.deleted_at = None
        patient.deleted_by = None
        patient.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
        record(AuditAction.PATIENT_RESTORED, principal=actor, patient=patient, target=patient)
    return patient
