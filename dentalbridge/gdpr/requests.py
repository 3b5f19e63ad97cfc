"""Data-subject requests (PRV-3, PRV-4, ACC-4): received, verified, routed to the controller,
answered on a clock.

* Signed in, a person asks about their account (the platform decides) or, as a patient with
  portal access, about their record (the practice decides). Being signed in is the identity
  check.
* Without an account, a person fills in the public form; the request counts only once they
  follow the link we e-mail them (single use, valid ``VERIFY_HOURS``). A verified request is
  routed to the practice whose patient record holds that address; the practice, who knows its
  patient, decides whether the identity is proven enough before it discloses anything.
* A lab that receives a patient's request forwards it, by order reference, to the practice: the
  lab is the practice's processor and never learns who the patient is.

The clock: one month — ``ANSWER_DAYS`` — from receipt (for the public form: from verification),
extendable once by ``EXTENSION_DAYS`` with a reason that the requester is told. Reminders go to
the controller's privacy contacts a week before, a day before, and when the day has passed.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dentalbridge.core.codes import random_code
from dentalbridge.core.errors import Conflict, NotFound, RateLimited, ValidationFailed
from dentalbridge.gdpr import access
from dentalbridge.gdpr.models import DataRequest, RequestKind, RequestStatus
from dentalbridge.orders import access as orders_access
from dentalbridge.organizations.models import Membership, Organization
from dentalbridge.patients import access as patients_access
from dentalbridge.privacy.audit import AuditAction, record
from dentalbridge.privacy.policy import Perm, role_may
from dentalbridge.privacy.principal import Principal, Purpose, SystemActor

ANSWER_DAYS = 30
EXTENSION_DAYS = 60
VERIFY_HOURS = 24
# Per address and per e-mail: a person rarely needs more; a flood is refused with 429.
PUBLIC_REQUESTS_PER_HOUR = 3
SELF_REQUESTS_PER_DAY = 10
REMINDERS = (("week", timedelta(days=7)), ("day", timedelta(days=1)), ("overdue", timedelta(0)))

KIND_HELP = {
    RequestKind.ACCESS: gettext_lazy("A copy of everything we hold on you, free of charge."),
    RequestKind.PORTABILITY: gettext_lazy(
        "Your data in a structured, machine-readable format, for you or another provider."
    ),
    RequestKind.RECTIFICATION: gettext_lazy(
        "Say what is wrong and what is right; the original is kept on file."
    ),
    RequestKind.ERASURE: gettext_lazy(
        "We erase what the law lets us erase and tell you precisely what we must keep and why."
    ),
    RequestKind.RESTRICTION: gettext_lazy(
        "Your data is only stored (and used for legal claims) until the matter is settled."
    ),
    RequestKind.OBJECTION: gettext_lazy("Say which processing you object to, and why."),
    RequestKind.WITHDRAWAL: gettext_lazy("Withdraws every consent you gave, from now on."),
    RequestKind.ACCOUNT_CLOSURE: gettext_lazy(
        "Your account is hidden from others within 10 days and purged within 2 years, except "
        "what the law makes us keep."
    ),
}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _reference() -> str:
    return "R-" + random_code(8)


def platform() -> Organization:
    """The operator's organization: controller of accounts and of the platform's own purposes."""
    found = Organization.objects.filter(kind="platform").order_by("pk").first()
    if found is None:
        raise Conflict(
            _("This installation has no platform organization to receive requests."),
            code="no_platform",
        )
    return found


def _start_clock(request: DataRequest, now) -> None:
    request.received_at = now
    request.due_at = now + timedelta(days=ANSWER_DAYS)
    request.status = RequestStatus.OPEN


def _limit(key: str, limit: int, seconds: int) -> None:
    if not cache.add(key, 1, timeout=seconds):
        try:
            count = cache.incr(key)
        except ValueError:
            cache.add(key, 1, timeout=seconds)
            count = 1
        if count > limit:
            raise RateLimited(
                _("Too many requests. Please try again later."), code="too_many_requests"
            )


def handlers_of(organization: Organization, perm: Perm = Perm.DATA_REQUEST_HANDLE) -> list:
    """The active people of ``organization`` whose role holds ``perm``: by default those who
    handle the controller's requests (practice owners, platform DPOs)."""
    memberships = Membership.objects.filter(organization=organization).select_related("user")
    return [m.user for m in memberships if role_may(m.role, perm) and m.user.is_active]


def _tell_handlers(request: DataRequest, text) -> None:
    from dentalbridge.messaging.models import NotificationEvent
    from dentalbridge.messaging.notifications import notify_about

    notify_about(
        event=NotificationEvent.DATA_REQUEST,
        organization=request.controller,
        recipients=handlers_of(request.controller),
        text=text,
        link=reverse("data_request_detail", args=[request.public_id]),
    )


def _received(request: DataRequest) -> None:
    def text():
        return _("Data-protection request %(reference)s (%(kind)s) is due on %(date)s.") % {
            "reference": request.reference,
            "kind": request.get_kind_display(),
            "date": timezone.localdate(request.due_at).isoformat(),
        }

    _tell_handlers(request, text)


def _mail_requester(
    request: DataRequest, subject: str, template: str, *, erase_after_sending=False, **context
) -> None:
    """Mail ``privacy/email/<template>`` to the requester; ``subject`` names the request as
    ``%(r)s``."""
    from dentalbridge.messaging.models import OutgoingEmail
    from dentalbridge.messaging.notifications import enqueue_after_commit

    to = request.user.email if request.user else request.email
    if not to:
        return
    language = (request.user.language if request.user else "") or translation.get_language()
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {"request": request, **context}
        email = OutgoingEmail.objects.create(
            to=to,
            subject=str(subject) % {"r": request.reference},
            text=render_to_string(f"privacy/email/{template}.txt", context),
            html=render_to_string(f"privacy/email/{template}.html", context),
            erase_after_sending=erase_after_sending,
        )
    enqueue_after_commit([email.pk])


# --- Receiving --------------------------------------------------------------------------------
def request_create(*, actor, kind: str, details: str = "", patient_id=None) -> DataRequest:
    """A signed-in person's own request: about their account, or (portal) their record."""
    user = actor.user
    if user is None:
        raise NotFound()
    kind = RequestKind(kind)
    _limit(f"dsr:user:{user.pk}", SELF_REQUESTS_PER_DAY, 24 * 3600)
    patient = patients_access.portal_patient_access(actor, patient_id) if patient_id else None
    now = timezone.now()
    with transaction.atomic():
        request = DataRequest(
            reference=_reference(),
            kind=kind,
            controller=patient.organization if patient else platform(),
            user=user,
            patient=patient,
            patient_ref=patient.public_id if patient else None,
            name=user.full_name,
            email=user.email,
            details=details,
        )
        _start_clock(request, now)
        request.save()
        record(
            AuditAction.DATA_REQUEST_RECEIVED,
            principal=actor,
            organization=request.controller,
            target=request,
            patient=patient,
            data={"kind": kind, "via": "self_service"},
        )
        _received(request)
        _mail_requester(request, _("We received your request %(r)s"), "received")
    return request


def request_create_public(*, name: str, email: str, kind: str, details: str, ip) -> DataRequest:
    """A request from the public form: stored unverified; counts once the e-mail is confirmed."""
    kind = RequestKind(kind)
    email = email.strip()
    _limit(f"dsr:ip:{ip}", PUBLIC_REQUESTS_PER_HOUR, 3600)
    _limit(f"dsr:email:{email.lower()}", PUBLIC_REQUESTS_PER_HOUR, 3600)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        request = DataRequest(
            reference=_reference(),
            kind=kind,
            status=RequestStatus.UNVERIFIED,
            controller=platform(),
            name=name,
            email=email,
            details=details,
            verification_hash=_hash(token),
            verification_expires_at=timezone.now() + timedelta(hours=VERIFY_HOURS),
        )
        request.save()
        record(
            AuditAction.DATA_REQUEST_RECEIVED,
            organization=request.controller,
            target=request,
            ip=ip,
            data={"kind": kind, "via": "public_form", "verified": False},
        )
        url = settings.SITE_URL.rstrip("/") + reverse("data_request_verify", args=[token])
        _mail_requester(
            request,
            _("Confirm your request %(r)s"),
            "verify",
            url=url,
            hours=VERIFY_HOURS,
        )
    return request


def request_verify(token: str, *, ip=None) -> DataRequest:
    """Follow the e-mailed link: the request counts from now and goes to its controller.
    A forged link is not found; a used or expired one says so."""
    if not token or len(token) > 100:
        raise NotFound()
    with transaction.atomic():
        request = access.data_request_by_verification(_hash(token))
        if request is None:
            raise NotFound(_("This confirmation link is not valid."))
        if request.status != RequestStatus.UNVERIFIED:
            raise Conflict(_("This request is confirmed already."), code="already_verified")
        now = timezone.now()
        if request.verification_expires_at and request.verification_expires_at < now:
            raise Conflict(
                _("This confirmation link has expired. Please send the request again."),
                code="link_expired",
            )
        # The requester is nobody the platform knows yet: the platform routes on its own.
        routing = SystemActor(Purpose.DATA_REQUESTS)
        patients = patients_access.patients_with_email(routing, request.email)
        practices = {p.organization_id: p.organization for p in patients}
        if len(practices) == 1:
            # The address is in one practice's records: its patient asks; the practice decides.
            request.controller = next(iter(practices.values()))
            if len(patients) == 1:
                request.patient = patients[0]
                request.patient_ref = patients[0].public_id
        _start_clock(request, now)
        request.verification_hash = ""
        request.save()
        record(
            AuditAction.DATA_REQUEST_VERIFIED,
            organization=request.controller,
            target=request,
            patient=request.patient,
            ip=ip,
            data={
                "kind": request.kind,
                "routed_to": request.controller.kind,
                "practices_matched": len(practices),
            },
        )
        _received(request)
        _mail_requester(request, _("We received your request %(r)s"), "received")
    return request


def request_forward(
    *, actor, order_reference: str, kind: str, details: str = "", requester_email: str = ""
) -> DataRequest:
    """A lab passes on a request it received about a case (PRV-4): routed to the practice, which
    is the controller. The lab sees the reference of the new request, never the patient."""
    kind = RequestKind(kind)
    with transaction.atomic():
        order, patient = orders_access.request_forward_target(actor, order_reference)
        request = DataRequest(
            reference=_reference(),
            kind=kind,
            controller=order.practice,
            received_via=actor.organization,
            patient=patient,
            patient_ref=patient.public_id if patient else None,
            email=requester_email.strip(),
            details=details,
        )
        _start_clock(request, timezone.now())
        request.save()
        record(
            AuditAction.DATA_REQUEST_FORWARDED,
            principal=actor,
            target=request,
            patient=patient,
            data={"kind": kind, "order": order.reference, "to": str(order.practice.public_id)},
        )
        _received(request)
    return request


# --- Handling ---------------------------------------------------------------------------------
def _required(text: str | None, message) -> str:
    """``text`` without surrounding blanks; ``ValidationFailed(message)`` when nothing is left."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(message)
    return text


def _open_locked(actor, request_id, closed_message):
    """The request, locked for the change, while it is open (``Conflict`` ``not_open`` else)."""
    request = access.data_request_access(actor, request_id, lock=True)
    if request.status != RequestStatus.OPEN:
        raise Conflict(closed_message, code="not_open")
    return request


def request_extend(*, actor, request_id, reason: str) -> DataRequest:
    """Extend the clock once by two months (Art. 12(3)), telling the requester why."""
    reason = _required(reason, _("Say why more time is needed: the requester is told."))
    with transaction.atomic():
        request = _open_locked(actor, request_id, _("Only an open request can be extended."))
        if request.extended:
            raise Conflict(_("The deadline was extended already."), code="extended_already")
        request.due_at += timedelta(days=EXTENSION_DAYS)
        request.extension_reason = reason[:1000]
        request.reminders = []
        request.save(update_fields=["due_at", "extension_reason", "reminders", "updated_at"])
        record(
            AuditAction.DATA_REQUEST_EXTENDED,
            principal=actor,
            target=request,
            patient=request.patient,
            data={"due": request.due_at.isoformat()},
        )
        _mail_requester(
            request,
            _("Your request %(r)s: we need more time"),
            "extended",
        )
    return request


def request_answer(
    *,
    actor,
    request_id,
    answer: str,
    refused: bool = False,
    outcome: dict | None = None,
    send_copy_to: str = "",
    erase_contact_after_sending: bool = False,
) -> DataRequest:
    """Close the request with the answer letter, sent to the requester. For access and
    portability, the letter carries the link to the copy; ``send_copy_to`` sends the link to
    another controller as well (portability, Art. 20(2))."""
    answer = _required(answer, _("Write the answer letter: the requester receives it."))
    with transaction.atomic():
        request = _open_locked(actor, request_id, _("This request is closed already."))
        request.status = RequestStatus.REFUSED if refused else RequestStatus.DONE
        request.answer = answer
        request.answered_at = timezone.now()
        request.answered_by = actor.user
        if outcome:
            request.outcome = {**request.outcome, **outcome}
        request.save()
        record(
            AuditAction.DATA_REQUEST_ANSWERED,
            principal=actor,
            target=request,
            patient=request.patient,
            data={"kind": request.kind, "status": request.status, "late": request.overdue},
        )
        link = export_url(request) if request.kind in EXPORT_KINDS and not refused else ""
        _mail_requester(
            request,
            _("The answer to your request %(r)s"),
            "answer",
            erase_after_sending=erase_contact_after_sending,
            download_url=link,
        )
        if erase_contact_after_sending:
            access.data_request_anonymize(request)
        if link and send_copy_to:
            _mail_other_controller(request, send_copy_to.strip(), link)
    return request


def _mail_other_controller(request: DataRequest, to: str, link: str) -> None:
    from dentalbridge.messaging.models import OutgoingEmail
    from dentalbridge.messaging.notifications import enqueue_after_commit

    context = {"request": request, "download_url": link, "days": EXPORT_LINK_DAYS}
    email = OutgoingEmail.objects.create(
        to=to,
        subject=_("Personal data sent at a person's request (%(r)s)") % {"r": request.reference},
        text=render_to_string("privacy/email/portability.txt", context),
        html=render_to_string("privacy/email/portability.html", context),
    )
    record(
        AuditAction.DATA_EXPORTED,
        organization=request.controller,
        target=request,
        patient=request.patient,
        data={"kind": request.kind, "sent_to_controller": to.rpartition("@")[2]},
    )
    enqueue_after_commit([email.pk])


def reminders_due(now=None) -> int:
    """Tell the handlers of requests nearing or past their deadline (once per stage)."""
    now = now or timezone.now()
    sent = 0
    horizon = now + REMINDERS[0][1]
    for request in access.data_requests_open_due_by(SystemActor(Purpose.DATA_REQUESTS), horizon):
        stage = next(
            (name for name, before in reversed(REMINDERS) if request.due_at - before <= now),
            None,
        )
        if stage is None or stage in request.reminders:
            continue
        with transaction.atomic():
            request.reminders = [*request.reminders, stage]
            request.save(update_fields=["reminders", "updated_at"])
            record(
                AuditAction.DATA_REQUEST_REMINDED,
                organization=request.controller,
                target=request,
                data={"stage": stage},
            )

            def text(request=request, stage=stage):
                values = {
                    "reference": request.reference,
                    "date": timezone.localdate(request.due_at).isoformat(),
                }
                if stage == "overdue":
                    return _("Data-protection request %(reference)s is overdue (due %(date)s).") % (
                        values
                    )
                return _("Data-protection request %(reference)s is due on %(date)s.") % values

            _tell_handlers(request, text)
        sent += 1
    return sent


# --- Access and portability: the copy ---------------------------------------------------------
EXPORT_LINK_DAYS = 7
_EXPORT_SALT = "dentalbridge.privacy.export"
EXPORT_KINDS = (RequestKind.ACCESS, RequestKind.PORTABILITY)


def export_url(request: DataRequest) -> str:
    """A link to the copy, for the requester or — portability — another controller. It works for
    ``EXPORT_LINK_DAYS`` for whoever holds it (like a password-reset link); every download is
    audited."""
    token = signing.dumps({"r": str(request.public_id)}, salt=_EXPORT_SALT)
    return settings.SITE_URL.rstrip("/") + reverse("data_request_download", args=[token])


def export_open(token: str, *, ip=None, user_agent: str = ""):
    """(file name, stream of ZIP chunks) for a download link; NotFound when forged or expired,
    or when the request is not one for a copy."""
    from dentalbridge.gdpr import portability

    try:
        payload = signing.loads(token, salt=_EXPORT_SALT, max_age=EXPORT_LINK_DAYS * 86400)
    except signing.BadSignature as exc:
        raise NotFound(_("This download link is not valid or has expired.")) from exc
    # Whoever holds the link is nobody the platform knows; the copy is made for the requester.
    request = access.data_request_for_export(SystemActor(Purpose.DATA_REQUESTS), payload.get("r"))
    if request is None or request.kind not in EXPORT_KINDS:
        raise NotFound(_("This download link is not valid or has expired."))
    if request.status not in (RequestStatus.OPEN, RequestStatus.DONE):
        raise NotFound(_("This download link is not valid or has expired."))
    patient = request.patient
    versions: Sequence[Any] = ()
    assets: Sequence[Any] = ()
    with transaction.atomic():
        # Recorded first, so the copy's access log shows this download too.
        record(
            AuditAction.DATA_EXPORTED,
            organization=request.controller,
            target=request,
            patient=patient,
            ip=ip,
            user_agent=user_agent,
            data={"kind": request.kind},
        )
    data: dict = {"request": request.reference}
    if patient is not None:
        requester = Principal(user=request.user) if request.user_id else None
        copying = SystemActor(Purpose.DATA_REQUESTS, on_behalf_of=requester)
        sections = access.patient_export_sections(copying, patient)
        versions, assets = sections["record_item_versions"], sections["files"]
        data["patient"] = portability.patient_sections(sections)
    if request.user_id and patient is None:
        data["account"] = portability.account_sections(portability.account_rows(request.user))
    stream = portability.export_stream(
        controller=request.controller.name,
        data=data,
        patient=patient,
        versions=versions,
        assets=assets,
    )
    return f"personal-data-{request.reference}.zip", stream


def request_route(*, actor, request_id, practice_id) -> DataRequest:
    """The platform's DPO passes a request about a patient record to the practice that controls
    it (PRV-4) — for a public request whose address matched no record, or several: the
    requester named their practice. The clock keeps running; the practice decides from now on."""
    with transaction.atomic():
        request = access.data_request_access(actor, request_id, lock=True)
        if request.controller.kind != "platform":
            raise Conflict(_("Only the platform routes requests to a practice."), code="not_ours")
        if request.status != RequestStatus.OPEN:
            raise Conflict(_("This request is closed already."), code="not_open")
        practice = Organization.objects.filter(public_id=practice_id, kind="practice").first()
        if practice is None:
            raise ValidationFailed(_("Choose a practice."))
        matches = [
            p
            for p in patients_access.patients_with_email(
                SystemActor(Purpose.DATA_REQUESTS, on_behalf_of=actor), request.email
            )
            if p.organization_id == practice.pk
        ]
        request.controller = practice
        if len(matches) == 1:
            request.patient = matches[0]
            request.patient_ref = matches[0].public_id
        request.save(update_fields=["controller", "patient", "patient_ref", "updated_at"])
        record(
            AuditAction.DATA_REQUEST_FORWARDED,
            principal=actor,
            organization=practice,
            target=request,
            patient=request.patient,
            data={"kind": request.kind, "to": str(practice.public_id), "matched": len(matches)},
        )
        _received(request)
    return request
