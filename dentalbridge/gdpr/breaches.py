"""The breach register (PRV-8, COM-5): every personal-data breach is recorded, whether or not it
must be notified (Art. 33(5)); the supervisory authority is notified within 72 hours of detection
(the draft is generated from the record); the people affected are told when the risk to them is
high (Art. 34), in the app and by e-mail, in their language."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dentalbridge.core.codes import random_code
from dentalbridge.core.errors import Conflict, ValidationFailed
from dentalbridge.gdpr import notice, purposes
from dentalbridge.gdpr.models import Breach
from dentalbridge.organizations.models import Membership, Organization
from dentalbridge.privacy import policy
from dentalbridge.privacy.audit import AuditAction, record


def _reference() -> str:
    return "B-" + random_code(8)


def breach_record(*, actor, **values) -> Breach:
    policy.platform_dpo_required(actor)
    unknown = set(values.get("categories", [])) - {c.key for c in purposes.CATEGORIES}
    if unknown:
        raise ValidationFailed(_("Unknown data categories: %(c)s") % {"c": ", ".join(unknown)})
    if values["detected_at"] > timezone.now():
        raise ValidationFailed(_("The detection time cannot be in the future."))
    with transaction.atomic():
        breach = Breach.objects.create(reference=_reference(), recorded_by=actor.user, **values)
        record(
            AuditAction.BREACH_RECORDED,
            principal=actor,
            target=breach,
            data={"categories": breach.categories, "subjects": breach.subjects_count},
        )
    return breach


def breach_access(actor, breach_id) -> Breach:
    policy.platform_dpo_required(actor)
    breach = Breach.objects.filter(public_id=breach_id).first()
    if breach is None:
        from dentalbridge.core.errors import NotFound

        raise NotFound()
    return breach


def authority_draft(breach: Breach) -> str:
    """The notification to the supervisory authority (Art. 33(3)), drafted from the record."""
    details = notice.operator()
    country = details.country.code if details else ""
    return render_to_string(
        "privacy/breach_authority.txt",
        {
            "breach": breach,
            "operator": details,
            "authority": notice.authority(country),
            "categories": [purposes.category(key) for key in breach.categories],
            "health": any(purposes.category(key).health for key in breach.categories),
            "late": timezone.now() > breach.authority_due_at,
        },
    )


def authority_notified(*, actor, breach_id, reference: str, late_reason: str = "") -> Breach:
    with transaction.atomic():
        breach = breach_access(actor, breach_id)
        if breach.authority_notified_at is not None:
            raise Conflict(_("The authority was notified already."), code="notified_already")
        now = timezone.now()
        if now > breach.authority_due_at and not late_reason.strip():
            raise ValidationFailed(
                _("More than 72 hours have passed: the notification must give the reasons for "
                  "the delay (Art. 33(1)).")
            )  # fmt: skip
        breach.authority_notified_at = now
        breach.authority_reference = reference.strip()[:100]
        breach.late_reason = late_reason.strip()[:1000]
        breach.save()
        record(
            AuditAction.BREACH_AUTHORITY_NOTIFIED,
            principal=actor,
            target=breach,
            data={"late": bool(breach.late_reason)},
        )
    return breach


def people_notify(*, actor, breach_id, organization_ids=()) -> int:
    """Tell the people affected (COM-5): the members of the organizations named, or — none
    named — every active account. In the app and by e-mail, whatever their preferences."""
    from django.utils import translation

    from dentalbridge.messaging.models import Notification, NotificationEvent, OutgoingEmail
    from dentalbridge.messaging.notifications import enqueue_after_commit

    with transaction.atomic():
        breach = breach_access(actor, breach_id)
        users = get_user_model().objects.filter(is_active=True)
        if organization_ids:
            members = Membership.objects.filter(organization__public_id__in=organization_ids)
            users = users.filter(pk__in=members.values("user_id"))
        link = reverse("privacy_notice")
        in_app, emails = [], []
        platform = Organization.objects.filter(kind="platform").order_by("pk").first()
        for user in users.distinct():
            membership = Membership.objects.filter(user=user).select_related("organization").first()
            organization = membership.organization if membership else platform
            with translation.override(user.language or settings.LANGUAGE_CODE):
                context = {"breach": breach, "url": settings.SITE_URL.rstrip("/") + link}
                text = render_to_string("privacy/email/breach.txt", context)
                if organization is not None:
                    in_app.append(
                        Notification(
                            recipient=user,
                            organization=organization,
                            event=NotificationEvent.SECURITY_INCIDENT,
                            text=_("Security incident %(r)s: %(t)s")
                            % {"r": breach.reference, "t": breach.title},
                            link=link,
                        )
                    )
                emails.append(
                    OutgoingEmail(
                        to=user.email,
                        subject=_("A security incident concerning your data"),
                        text=text,
                        html=render_to_string("privacy/email/breach.html", context),
                    )
                )
        Notification.objects.bulk_create(in_app)
        OutgoingEmail.objects.bulk_create(emails)
        enqueue_after_commit(email.pk for email in emails)
        breach.people_notified_at = timezone.now()
        breach.people_notified = len(emails)
        breach.save(update_fields=["people_notified_at", "people_notified", "updated_at"])
        record(
            AuditAction.BREACH_PEOPLE_NOTIFIED,
            principal=actor,
            target=breach,
            data={"people": len(emails), "organizations": len(organization_ids)},
        )
    return len(emails)
