"""Writes on patients (REC-1, REC-5, REC-7). Every function loads through the access layer and
audits in the same transaction as the change."""

import hashlib
import secrets
import unicodedata
from datetime import date, datetime, timedelta
from typing import Any, cast
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dentalbridge.accounts.models import User
from dentalbridge.core.emails import normalized_email
from dentalbridge.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dentalbridge.core.text import hidden_character
from dentalbridge.messaging.services import email_send
from dentalbridge.organizations.models import Membership, Organization, Role
from dentalbridge.patients import access
from dentalbridge.patients.models import (
    AGE_OF_DIGITAL_CONSENT,
    CareTeamGrant,
    Patient,
    PatientAccount,
    PatientInvitation,
    RecordItem,
    RecordItemKind,
    RecordItemVersion,
    Sex,
)
from dentalbridge.privacy.audit import AuditAction, AuditOutcome, record
from dentalbridge.privacy.policy import Perm
from dentalbridge.privacy.principal import Principal

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


def _clean(patient: Patient, practice: Organization) -> None:
    """Collect every problem, each tied to its field, with a message a person can act on."""
    errors: dict[str, list[str]] = {}

    def problem(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for name, limit in (("given_name", 100), ("family_name", 100)):
        value = unicodedata.normalize("NFC", (getattr(patient, name) or "").strip())
        setattr(patient, name, value)
        if not value:
            problem(name, _("This field is required."))
        elif len(value) > limit:
            problem(name, _("At most %(limit)d characters.") % {"limit": limit})
    # A name is read and trusted like a file name: the same rule (no right-to-left override, no
    # invisible character making two patients look alike).
    for name in ("given_name", "family_name", "guardian_name"):
        if hidden_character(getattr(patient, name) or "") is not None:
            problem(
                name,
                _(
                    "The name contains an invisible or text-direction character (such as a "
                    "right-to-left override); type it again."
                ),
            )
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
            patient.email = normalized_email(patient.email)  # the one form (core.emails)
        except ValidationError as refusal:
            problem("email", str(refusal.messages[0]))
    for name in ("gender", "phone", "address", "external_reference", "notes", "guardian_name",
                 "guardian_contact"):  # fmt: skip
        field_limit = cast(int, Patient._meta.get_field(name).max_length)  # type: ignore[union-attr]
        if len(getattr(patient, name) or "") > field_limit:
            problem(name, _("At most %(limit)d characters.") % {"limit": field_limit})
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


def patient_create(*, actor: Principal, **fields: Any) -> Patient:
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


def patient_update(*, actor: Principal, patient_id: UUID | str, **fields: Any) -> Patient:
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


def guardian_consent_record(*, actor: Principal, patient_id: UUID | str) -> Patient:
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


def patient_delete(*, actor: Principal, patient_id: UUID | str, reason: str = "") -> Patient:
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


def patient_restore(*, actor: Principal, patient_id: UUID | str) -> Patient:
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


# --- Care team (REC-3) ---------------------------------------------------------------------------


def _physician(email: str) -> User | None:
    """A dentist or practice owner, in any practice, by e-mail address."""
    return (
        User.objects.filter(
            email__iexact=(email or "").strip(),
            memberships__role__in=[Role.OWNER, Role.DENTIST],
            memberships__organization__kind="practice",
        )
        .distinct()
        .first()
    )


def care_grant_allowed(actor: Principal, patient: Patient) -> tuple[bool, CareTeamGrant | None]:
    """(may grant?, parent grant). The attending dentist — or, when none is set, the practice's
    owner — grants from the practice; a grantee whose grant allows it grants onwards."""
    acting_in_practice = actor.organization and actor.organization.pk == patient.organization_id
    if acting_in_practice:
        if patient.attending_dentist_id == actor.user.pk:  # type: ignore[union-attr]  # a member acts
            return True, None
        if patient.attending_dentist_id is None and actor.role == Role.OWNER:
            return True, None
    grant = access.active_grant(actor, patient)
    if grant is not None and grant.may_grant_others:
        return True, grant
    return False, None


def care_grant_create(
    *,
    actor: Principal,
    patient_id: UUID | str,
    grantee_email: str,
    reason: str,
    expires_at: datetime | None = None,
    may_grant_others: bool = False,
) -> CareTeamGrant:
    patient = access.patient_access(actor, patient_id, Perm.PATIENT_VIEW, reason="care team")
    allowed, parent = care_grant_allowed(actor, patient)
    if not allowed:
        raise Forbidden(_("Only the attending dentist, or a team member allowed to, adds others."))
    errors: dict[str, list[str]] = {}
    grantee = _physician(grantee_email)
    if grantee is None:
        errors["grantee_email"] = [_("No dentist with this e-mail address uses DentalBridge.")]
    elif grantee.pk == actor.user.pk:  # type: ignore[union-attr]  # a member acts
        errors["grantee_email"] = [_("You already have access.")]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why this physician needs the record.")]
    elif len(reason) > 300:
        errors["reason"] = [_("At most %(limit)d characters.") % {"limit": 300}]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [_("The expiry must be in the future.")]
    if (
        parent is not None
        and parent.expires_at
        and (expires_at is None or expires_at > parent.expires_at)
    ):
        expires_at = parent.expires_at  # nobody passes on more than they were given
    if errors or grantee is None:  # no grantee is one of the errors
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=errors)
    outside = not grantee.memberships.filter(organization_id=patient.organization_id).exists()
    if outside and not patient.may_leave_the_practice:
        raise Conflict(
            _(
                "This patient is under 16: record the guardian's consent before sharing the record "
                "outside the practice."
            ),
            code="guardian_consent_required",
        )
    if access.active_grant(Principal(user=grantee), patient) is not None:
        raise Conflict(_("This physician is already on the care team."), code="already_granted")
    with transaction.atomic():
        # Saved through the model, not a manager: writing is not reading, and this function
        # reached the patient through the access layer above.
        grant = CareTeamGrant(
            patient=patient,
            grantee=grantee,
            granted_by=actor.user,
            parent=parent,
            reason=reason,
            expires_at=expires_at,
            may_grant_others=bool(may_grant_others),
        )
        grant.save(force_insert=True)
        record(
            AuditAction.CARE_GRANTED,
            principal=actor,
            patient=patient,
            target=grant,
            reason=reason,
            data={
                "grantee": str(grantee.public_id),
                "parent": str(parent.public_id) if parent else None,
                "may_grant_others": grant.may_grant_others,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
    return grant


def care_revoke_allowed(actor: Principal, patient: Patient, grant: CareTeamGrant) -> bool:
    in_practice = actor.organization and actor.organization.pk == patient.organization_id
    return bool(
        grant.granted_by_id == actor.user.pk  # type: ignore[union-attr]  # a member acts
        or (in_practice and patient.attending_dentist_id == actor.user.pk)  # type: ignore[union-attr]  # a member acts
        or (in_practice and actor.role == Role.OWNER)
    )


def care_grant_revoke(
    *, actor: Principal, patient_id: UUID | str, grant_id: UUID | str
) -> CareTeamGrant:
    """The physician who granted it, the attending dentist, or the practice's owner revokes; every
    grant made from it stops working with it."""
    grant = access.care_grant_access(actor, patient_id, grant_id)
    patient = grant.patient
    if not care_revoke_allowed(actor, patient, grant):
        raise Forbidden(_("Only whoever granted it, the attending dentist or the owner revokes."))
    if grant.revoked_at is not None:
        raise Conflict(_("This grant is already revoked."), code="already_revoked")
    with transaction.atomic():
        grant.revoked_at = timezone.now()
        grant.revoked_by = actor.user
        grant.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
        record(
            AuditAction.CARE_REVOKED,
            principal=actor,
            patient=patient,
            target=grant,
            data={"grantee": str(grant.grantee.public_id)},
        )
    return grant


# --- The record (REC-2, REC-6) --------------------------------------------------------------------


def _clean_version(version: RecordItemVersion) -> None:
    errors: dict[str, list[str]] = {}
    version.title = (version.title or "").strip()
    if not version.title:
        errors["title"] = [_("Give the item a title.")]
    elif len(version.title) > 200:
        errors["title"] = [_("At most %(limit)d characters.") % {"limit": 200}]
    if len(version.text or "") > 20_000:
        errors["text"] = [_("At most %(limit)d characters.") % {"limit": 20_000}]
    taken_on = version.taken_on
    if taken_on is not None and (not isinstance(taken_on, date) or taken_on > timezone.localdate()):
        errors["taken_on"] = [_("Enter a date that is not in the future.")]
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=errors)


def record_item_create(
    *,
    actor: Principal,
    patient_id: UUID | str,
    kind: str,
    title: str,
    text: str = "",
    taken_on: date | None = None,
) -> RecordItem:
    patient = access.patient_access(actor, patient_id, Perm.PATIENT_EDIT)
    if kind not in RecordItemKind.values:
        raise ValidationFailed(
            _("Choose one of the listed kinds."), fields={"kind": [_("Unknown kind.")]}
        )
    version = RecordItemVersion(number=1, title=title, text=text or "", taken_on=taken_on)
    _clean_version(version)
    with transaction.atomic():
        item = RecordItem(patient=patient, kind=kind, created_by=actor.user)
        item.save(force_insert=True)
        version.item = item
        version.author = actor.user
        version.save(force_insert=True)
        record(
            AuditAction.RECORD_ITEM_CREATED,
            principal=actor,
            patient=patient,
            target=item,
            data={"kind": kind},
        )
    return item


def record_item_update(
    *,
    actor: Principal,
    patient_id: UUID | str,
    item_id: UUID | str,
    title: str | None = None,
    text: str | None = None,
    taken_on: date | None = None,
) -> RecordItemVersion:
    """A new version; the previous ones stay as they were (REC-6)."""
    item = access.record_item_access(actor, patient_id, item_id, Perm.PATIENT_EDIT)
    current = item.current_version
    version = RecordItemVersion(
        item=item,
        title=current.title if title is None else title,
        text=current.text if text is None else text,
        taken_on=current.taken_on if taken_on is None else taken_on,
        author=actor.user,
    )
    _clean_version(version)
    changed = [
        name for name in ("title", "text", "taken_on")
        if getattr(version, name) != getattr(current, name)
    ]  # fmt: skip
    if not changed:
        return current
    with transaction.atomic():
        # The unique (item, number) constraint turns a concurrent edit into an error, not a fork.
        version.number = access.record_item_latest_number(item) + 1
        version.save(force_insert=True)
        record(
            AuditAction.RECORD_ITEM_UPDATED,
            principal=actor,
            patient=item.patient,
            target=item,
            data={"version": version.number, "fields": ",".join(changed)},
        )
    return version


# --- The patient portal (REC-4) ------------------------------------------------------------

PORTAL_INVITATION_VALID_FOR = timedelta(days=14)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def patient_invitation_create(
    *, actor: Principal, patient_id: UUID | str, email: str = ""
) -> PatientInvitation:
    """Invite the patient (or, for a minor, the guardian's address) to see the record."""
    patient = access.patient_access(actor, patient_id, Perm.PATIENT_EDIT)
    try:
        email = normalized_email(email or patient.email or "")
    except ValidationError as exc:
        raise ValidationFailed(
            _("Enter the patient's e-mail address."), fields={"email": list(exc.messages)}
        ) from exc
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = PatientInvitation(
            patient=patient,
            email=email,
            token_hash=_token_hash(token),
            invited_by=actor.user,
            expires_at=timezone.now() + PORTAL_INVITATION_VALID_FOR,
        )
        invitation.save(force_insert=True)
        record(AuditAction.PORTAL_INVITED, principal=actor, patient=patient, target=invitation)
        link = settings.SITE_URL + reverse("portal_join", kwargs={"token": token})
        # The e-mail names the practice, never the patient (it may be read by others).
        email_send(
            to=[email],
            template="patients/email/portal_invitation",
            context={
                "practice_name": patient.organization.name,
                "link": link,
                "expires_at": invitation.expires_at,
            },
        )
    return invitation


def patient_invitation_accept(*, actor: Principal, token: str) -> Patient:
    """Once, before it expires, for the invited address only; refusals are audited."""
    invitation = access.patient_invitation_lookup(_token_hash(token or ""))
    if invitation is None:
        raise NotFound(_("This invitation link is not valid."))
    problem = None
    if invitation.accepted_at is not None:
        problem = _("This invitation has already been used.")
    elif invitation.expires_at <= timezone.now():
        problem = _("This invitation has expired. Ask the practice for a new one.")
    elif actor.user.email.lower() != invitation.email.lower():  # type: ignore[union-attr]  # a member acts
        problem = _("This invitation was sent to another e-mail address.")
    patient = invitation.patient
    with transaction.atomic():
        if problem:
            record(
                AuditAction.PORTAL_REFUSED,
                principal=actor,
                organization=patient.organization,
                patient=patient,
                target=invitation,
                outcome=AuditOutcome.DENIED,
            )
        else:
            if not access.patient_account_exists(patient, actor.user):
                PatientAccount(patient=patient, user=actor.user).save(force_insert=True)
            invitation.accepted_at = timezone.now()
            invitation.save(update_fields=["accepted_at", "updated_at"])
            record(
                AuditAction.PORTAL_JOINED,
                principal=actor,
                organization=patient.organization,
                patient=patient,
                target=invitation,
            )
    if problem:
        raise Conflict(problem, code="invitation_unusable")
    return patient
