"""Carrying out the other rights by code (PRV-3, ACC-6): restriction, rectification with the
original kept on file, withdrawal of every consent, and closing an account.

Access and portability are ``requests.export_open``; erasure is ``erasure.erase_for_request``;
an objection is weighed by a person and answered in words (``requests.request_answer``)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dentalbridge.core.errors import Conflict, ValidationFailed
from dentalbridge.gdpr import access, consent, purposes, requests
from dentalbridge.gdpr.models import ConsentMethod, DataRequest, RequestKind, RequestStatus
from dentalbridge.patients import access as patients_access
from dentalbridge.privacy.audit import AuditAction, record

# What a rectification may correct: the identity and contact details (clinical notes are
# corrected by a new version of the record item, which keeps every earlier one).
RECTIFIABLE = (
    "given_name",
    "family_name",
    "date_of_birth",
    "email",
    "phone",
    "address",
    "guardian_name",
    "guardian_contact",
)


def _open_request(actor, request_id, kind: str) -> DataRequest:
    request = access.data_request_access(actor, request_id, lock=True)
    if request.kind != kind:
        raise Conflict(_("This request asks for something else."), code="wrong_kind")
    if request.status != RequestStatus.OPEN:
        raise Conflict(_("This request is closed already."), code="not_open")
    return request


# --- Restriction (Art. 18) --------------------------------------------------------------------
def restrict(*, actor, request_id) -> DataRequest:
    with transaction.atomic():
        request = _open_request(actor, request_id, RequestKind.RESTRICTION)
        if request.patient is None:
            raise Conflict(_("This request names no patient record."), code="no_patient")
        reason = _("Request %(r)s") % {"r": request.reference}
        patients_access.patient_restriction_set(request.patient, reason=reason)
        record(
            AuditAction.PATIENT_RESTRICTED,
            principal=actor,
            patient=request.patient,
            target=request,
            reason=reason,
        )
        request.outcome = {**request.outcome, "restricted_at": timezone.now().isoformat()}
        request.save(update_fields=["outcome", "updated_at"])
    return request


def lift_restriction(*, actor, request_id) -> DataRequest:
    """End the restriction (the matter is settled); the requester is told in the answer."""
    with transaction.atomic():
        request = access.data_request_access(actor, request_id, lock=True)
        if request.kind != RequestKind.RESTRICTION or request.patient is None:
            raise Conflict(_("This request restricts no record."), code="wrong_kind")
        patients_access.patient_restriction_set(request.patient, reason=None)
        record(
            AuditAction.PATIENT_RESTRICTION_LIFTED,
            principal=actor,
            patient=request.patient,
            target=request,
        )
        request.outcome = {**request.outcome, "lifted_at": timezone.now().isoformat()}
        request.save(update_fields=["outcome", "updated_at"])
    return request


# --- Rectification (Art. 16) ------------------------------------------------------------------
def rectify(*, actor, request_id, **values) -> DataRequest:
    """Correct the patient's details; the original values stay on file in the request, so the
    controller can show both (the record's own notes keep their versions anyway)."""
    from dentalbridge.patients.services import patient_update

    with transaction.atomic():
        request = _open_request(actor, request_id, RequestKind.RECTIFICATION)
        patient = request.patient
        if patient is None:
            raise Conflict(_("This request names no patient record."), code="no_patient")
        unknown = set(values) - set(RECTIFIABLE)
        if unknown:
            raise ValidationFailed(_("These details cannot be corrected here: %(f)s") % {
                "f": ", ".join(sorted(unknown))
            })  # fmt: skip
        before = {name: getattr(patient, name) for name in values}
        updated = patient_update(actor=actor, patient_id=patient.public_id, **values)
        changes = {
            name: {"before": _text(before[name]), "after": _text(getattr(updated, name))}
            for name in values
            if before[name] != getattr(updated, name)
        }
        if not changes:
            raise ValidationFailed(_("Nothing changed: enter the corrected values."))
        history = request.outcome.get("rectification", [])
        request.outcome = {
            **request.outcome,
            "rectification": [*history, {"at": timezone.now().isoformat(), "changes": changes}],
        }
        request.save(update_fields=["outcome", "updated_at"])
    return request


def _text(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value or "")


# --- Withdrawal of consent (Art. 7(3)) --------------------------------------------------------
def withdraw_all(*, actor, request_id) -> list[str]:
    """Withdraw every consent the requester's account gave; answered with what was withdrawn."""
    with transaction.atomic():
        request = _open_request(actor, request_id, RequestKind.WITHDRAWAL)
        if request.user is None:
            raise Conflict(
                _("The requester has no account: there is no recorded consent to withdraw."),
                code="no_account",
            )
        withdrawn = []
        for entry in purposes.PURPOSES:
            if entry.consent_required and consent.has_consent(request.user, entry.key):
                consent.record(
                    purpose=entry.key,
                    given=False,
                    method=ConsentMethod.DATA_REQUEST,
                    text_shown=_("Request %(r)s") % {"r": request.reference},
                    user=request.user,
                )
                withdrawn.append(str(entry.name))
        letter = (
            _("We withdrew your consent to: %(list)s. This counts from now on.")
            % {"list": ", ".join(withdrawn)}
            if withdrawn
            else _("You had no consent in force: nothing to withdraw.")
        )
    requests.request_answer(actor=actor, request_id=request.public_id, answer=letter)
    return withdrawn


# --- Closing one's account (ACC-6) ------------------------------------------------------------
CLOSED_INVISIBLE_DAYS = 10


def close_account(*, actor) -> DataRequest:
    """The person closes their own account: signed out everywhere and invisible to others at
    once (well within the 10 days promised), purged by the retention schedule within 2 years,
    except what the law keeps. Refused while they are the last owner of an organization that
    others depend on."""
    from allauth.usersessions.models import UserSession

    from dentalbridge.accounts.models import ApiToken
    from dentalbridge.organizations.models import Membership, Role

    user = actor.user
    owned = Membership.objects.filter(user=user, role__in=(Role.OWNER, Role.MANAGER))
    for membership in owned.select_related("organization"):
        others = Membership.objects.filter(organization=membership.organization).exclude(user=user)
        same_role = others.filter(role=membership.role)
        if others.exists() and not same_role.exists():
            raise Conflict(
                _(
                    "You are the last %(role)s of %(org)s: give the role to someone else first, "
                    "so the organization is not left without one."
                )
                % {"role": membership.get_role_display(), "org": membership.organization.name},
                code="last_owner",
            )
    with transaction.atomic():
        made = requests.request_create(actor=actor, kind=RequestKind.ACCOUNT_CLOSURE)
        now = timezone.now()
        user.is_active = False
        user.closed_at = now
        user.save(update_fields=["is_active", "closed_at"])
        Membership.objects.filter(user=user).delete()
        ApiToken.objects.filter(user=user, revoked_at=None).update(revoked_at=now)
        for session in UserSession.objects.filter(user=user):
            session.end()
        record(AuditAction.ACCOUNT_CLOSED, principal=actor, organization=None, target=made)
        purge_by = purposes.retention_period("closed_accounts").after(timezone.localdate(now))
        made.status = RequestStatus.DONE
        made.answered_at = now
        made.answer = _(
            "Your account is closed: nobody sees it any more. It is purged by %(date)s, except "
            "what the law makes us keep."
        ) % {"date": purge_by.isoformat()}
        made.outcome = {"closed_at": now.isoformat(), "purge_by": purge_by.isoformat()}
        made.save()
    return made


def closed_accounts_due(now=None) -> list:
    """Closed accounts whose retention period is over (the retention engine purges them)."""
    from django.contrib.auth import get_user_model

    now = now or timezone.now()
    period = purposes.retention_period("closed_accounts")
    cutoff = period.before(timezone.localdate(now))
    return list(
        get_user_model()
        .objects.filter(is_active=False, closed_at__date__lte=cutoff)
        .order_by("closed_at")
    )
