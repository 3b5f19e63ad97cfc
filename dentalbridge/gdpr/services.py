"""Writes of the privacy core that are not patient data: the operator's part of the processing
register, kept by the platform's DPO (PRV-7, PRV-10). Each change is audited."""

from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dentalbridge.core.errors import NotFound, ValidationFailed
from dentalbridge.gdpr import purposes
from dentalbridge.gdpr.models import OperatorDetails, PolicyVersion, SubProcessor
from dentalbridge.privacy import policy
from dentalbridge.privacy.audit import AuditAction, record
from dentalbridge.privacy.principal import Principal

OPERATOR_FIELDS = ("name", "address", "email", "country", "dpo_name", "dpo_email", "dpo_address")


@transaction.atomic
def operator_details_save(*, actor: Principal, **values: Any) -> OperatorDetails:
    policy.platform_dpo_required(actor)
    details = OperatorDetails.objects.select_for_update().order_by("pk").first()
    details = details or OperatorDetails()
    changed = [name for name in OPERATOR_FIELDS if getattr(details, name) != values[name]]
    for name in OPERATOR_FIELDS:
        setattr(details, name, values[name])
    details.full_clean()
    details.save()
    record(
        AuditAction.REGISTER_CHANGED,
        principal=actor,
        target=details,
        data={"what": "operator", "fields": changed},
    )
    return details


@transaction.atomic
def subprocessor_add(
    *, actor: Principal, name: str, service: str, location: str, safeguard: str
) -> SubProcessor:
    policy.platform_dpo_required(actor)
    last = SubProcessor.objects.order_by("-position").values_list("position", flat=True).first()
    entry = SubProcessor(
        name=name,
        service=service,
        location=location,
        safeguard=safeguard,
        position=(last or 0) + 1,
    )
    entry.full_clean()
    entry.save()
    record(
        AuditAction.REGISTER_CHANGED,
        principal=actor,
        target=entry,
        data={"what": "subprocessor_added", "name": name, "location": str(location)},
    )
    return entry


@transaction.atomic
def subprocessor_remove(*, actor: Principal, subprocessor_id: UUID | str) -> None:
    policy.platform_dpo_required(actor)
    entry = SubProcessor.objects.filter(public_id=subprocessor_id).first()
    if entry is None:
        raise NotFound()
    record(
        AuditAction.REGISTER_CHANGED,
        principal=actor,
        target=entry,
        data={"what": "subprocessor_removed", "name": entry.name},
    )
    entry.delete()


# --- Notice versions (PRV-9) ------------------------------------------------------------------
def policy_publish(
    *, actor: Principal, summary: str, reconsent_purposes: list[str]
) -> PolicyVersion:
    """Publish a new version of the notice: recorded, announced by e-mail to every active account
    (through the task queue), and — where a consent-based purpose changed — consents given under
    earlier versions stop counting until given again."""
    policy.platform_dpo_required(actor)
    allowed = {p.key for p in purposes.PURPOSES if p.consent_required}
    unknown = set(reconsent_purposes) - allowed
    if unknown:
        raise ValidationFailed(
            _("Only consent-based purposes can ask for consent again: %(names)s")
            % {"names": ", ".join(sorted(unknown))}
        )
    with transaction.atomic():
        last = PolicyVersion.objects.select_for_update().order_by("-number").first()
        version = PolicyVersion.objects.create(
            number=(last.number if last else 0) + 1,
            published_at=timezone.now(),
            summary=summary,
            reconsent_purposes=sorted(set(reconsent_purposes)),
            published_by=actor.user,
        )
        record(
            AuditAction.POLICY_PUBLISHED,
            principal=actor,
            target=version,
            data={"number": version.number, "reconsent": version.reconsent_purposes},
        )
        from dentalbridge.gdpr.tasks import announce_policy

        transaction.on_commit(lambda: announce_policy.enqueue(version.pk))
    return version


def policy_announce(version_id: int) -> int:
    """One e-mail per active account, in its language; idempotent (a version is announced once)."""
    from django.contrib.auth import get_user_model

    from dentalbridge.messaging.models import OutgoingEmail
    from dentalbridge.messaging.notifications import enqueue_after_commit

    with transaction.atomic():
        version = PolicyVersion.objects.select_for_update().get(pk=version_id)
        if version.announced_at is not None:
            return 0
        notice_url = settings.SITE_URL.rstrip("/") + reverse("privacy_notice")
        privacy_url = settings.SITE_URL.rstrip("/") + reverse("my_privacy")
        emails = []
        users = get_user_model().objects.filter(is_active=True).exclude(email="")
        for user in users.iterator(chunk_size=500):
            with translation.override(user.language or settings.LANGUAGE_CODE):
                context = {
                    "version": version,
                    "notice_url": notice_url,
                    "privacy_url": privacy_url,
                    "changed": [
                        str(purposes.purpose(key).name) for key in version.reconsent_purposes
                    ],
                }
                emails.append(
                    OutgoingEmail(
                        to=user.email,
                        subject=_("Our privacy notice changed (version %(n)d)")
                        % {"n": version.number},
                        text=render_to_string("privacy/email/policy.txt", context),
                        html=render_to_string("privacy/email/policy.html", context),
                        user=user,
                    )
                )
        OutgoingEmail.objects.bulk_create(emails, batch_size=500)
        version.notified = len(emails)
        version.announced_at = timezone.now()
        version.save(update_fields=["notified", "announced_at"])
        enqueue_after_commit(email.pk for email in emails)
    return len(emails)
