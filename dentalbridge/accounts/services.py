"""Writes on people: API tokens, profiles, sessions (ACC-3, ACC-5)."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dentalbridge.accounts.models import ApiToken, User
from dentalbridge.core.errors import NotFound, ValidationFailed
from dentalbridge.organizations import access as organizations_access
from dentalbridge.privacy.audit import AuditAction, record
from dentalbridge.privacy.policy import Perm
from dentalbridge.privacy.principal import Principal

TOKEN_PREFIX = "dbp_"  # noqa: S105 — a public marker, not a secret


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def api_token_create(*, actor: Principal, name: str, valid_days: int) -> IssuedToken:
    """A token acts for the principal's current organization only, with the user's role there."""
    organization = actor.organization
    if organization is None:
        raise ValidationFailed(_("Join or create an organization first."))
    organizations_access.organization_access(actor, organization.public_id, Perm.TOKEN_MANAGE)
    name = (name or "").strip()
    errors = {}
    if not name or len(name) > 80:
        errors["name"] = [_("Give the token a name of 1 to 80 characters.")]
    if not isinstance(valid_days, int) or not 1 <= valid_days <= settings.API_TOKEN_MAX_DAYS:
        errors["valid_days"] = [
            _("Choose between 1 and %(max)d days.") % {"max": settings.API_TOKEN_MAX_DAYS}
        ]
    if errors:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=errors)
    body = secrets.token_urlsafe(32)
    secret = f"{TOKEN_PREFIX}{body}"
    with transaction.atomic():
        token = ApiToken.objects.create(  # type: ignore[misc]  # a member acts
            user=actor.user,
            organization=organization,
            name=name,
            prefix=secret[:12],
            token_hash=token_hash(secret),
            expires_at=timezone.now() + timedelta(days=valid_days),
        )
        record(AuditAction.TOKEN_CREATED, principal=actor, target=token, data={"days": valid_days})
    return IssuedToken(token=token, secret=secret)


def api_token_revoke(*, actor: Principal, token_id: UUID | str) -> ApiToken:
    token = ApiToken.objects.filter(user=actor.user, public_id=token_id).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        with transaction.atomic():
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            record(
                AuditAction.TOKEN_REVOKED,
                principal=actor,
                organization=token.organization,
                target=token,
            )
    return token


def api_tokens_revoke_all(
    *, user: User, reason: str, ip: str | None = None, user_agent: str = ""
) -> int:
    """Revoke every token of ``user`` that still works, e.g. because the password changed or was
    reset: a token must not outlive the password that guarded its creation (issue 13, finding
    6). Each revocation is audited as ``token.revoked`` with the reason; returns how many."""
    now = timezone.now()
    with transaction.atomic():
        tokens = list(
            ApiToken.objects.select_related("organization").filter(
                user=user, revoked_at__isnull=True, expires_at__gt=now
            )
        )
        ApiToken.objects.filter(pk__in=[token.pk for token in tokens]).update(revoked_at=now)
        for token in tokens:
            token.revoked_at = now
            record(
                AuditAction.TOKEN_REVOKED,
                actor=user,
                organization=token.organization,
                target=token,
                reason=reason,
                ip=ip,
                user_agent=user_agent,
            )
    return len(tokens)


PROFILE_FIELDS = (
    "full_name",
    "phone",
    "language",
    "location",
    "specialisation",
    "vision",
    "current_job",
)


def profile_update(
    *,
    actor: Principal,
    photo: "UploadedFile[bytes] | None" = None,
    remove_photo: bool = False,
    **fields: Any,
) -> User:
    user = User.objects.get(pk=actor.user.pk)  # type: ignore[union-attr]  # a member acts
    changed = [
        name for name in PROFILE_FIELDS if name in fields and getattr(user, name) != fields[name]
    ]
    for name in changed:
        setattr(user, name, fields[name])
    old_photo = user.photo.name if user.photo else ""
    with transaction.atomic():
        if photo is not None:
            user.photo.save("photo.jpg", photo, save=False)
            changed.append("photo")
        elif remove_photo and old_photo:
            user.photo = ""
            changed.append("photo")
        if not changed:
            return user
        user.save(update_fields=changed)
        record(
            AuditAction.PROFILE_UPDATED,
            principal=actor,
            target=user,
            data={"fields": ",".join(sorted(changed))},
        )
    if "photo" in changed and old_photo:
        transaction.on_commit(lambda: user.photo.storage.delete(old_photo))
    return user


def totp_enrol(*, user: User, secret: str) -> None:
    """Enrol a TOTP authenticator with a known secret, plus recovery codes. For demo data and
    tests only: people enrol through the 2FA pages, which generate the secret."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, secret)
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists():
        RecoveryCodes.activate(user)


def totp_code(secret: str, *, step: int = 0) -> str:
    """The code for ``secret`` now (``step=0``) or one period later (``step=1``), as an
    authenticator app would show it."""
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int(time.time()) // app_settings.TOTP_PERIOD + step
    code: str = format_hotp_value(hotp_value(secret, counter))  # allauth is untyped
    return code
