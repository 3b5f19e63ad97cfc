"""allauth adapters: DentalBridge mail goes through the task queue; sign-up stays open."""

import math
from dataclasses import dataclass

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import render

from dentalbridge.accounts import throttle
from dentalbridge.accounts.services import api_tokens_revoke_all
from dentalbridge.core.emails import normalized_email
from dentalbridge.core.http import client_of
from dentalbridge.messaging.tasks import deliver_email
from dentalbridge.privacy.audit import AuditAction, record


@dataclass(frozen=True)
class _ConfiguredSite:
    """The site as e-mail templates need it, when no request is at hand."""

    domain: str
    name: str = "DentalBridge"


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render now (in the request's language), deliver from the queue after commit."""
        from allauth.account.adapter import context as allauth_context
        from django.conf import settings
        from django.contrib.sites.requests import RequestSite

        request = allauth_context.request
        # Mail may be rendered after the request (on commit): name the site from SITE_URL.
        current_site: RequestSite | _ConfiguredSite
        if request is not None:
            current_site = RequestSite(request)
        else:
            current_site = _ConfiguredSite(settings.SITE_URL.split("://", 1)[-1])
        ctx = {"request": request, "email": email, "current_site": current_site}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        html = next(
            (
                content
                for content, mime in getattr(message, "alternatives", [])
                if mime == "text/html"
            ),
            "",
        )
        subject = message.subject.removeprefix(self.format_email_subject(""))
        transaction.on_commit(
            lambda: deliver_email.enqueue(
                to=list(message.to), subject=subject, text=message.body, html=html
            )
        )

    def clean_email(self, email: str) -> str:
        """Sign-up, e-mail change and password reset: the address in its one form, refused if it
        hides characters or names an IP address (issue 13, finding 7)."""
        return super().clean_email(normalized_email(email))

    def pre_authenticate(self, request, **credentials) -> None:
        """A sign-in lock-out (too many failed passwords from this address or for this account)
        answers 429 with ``Retry-After`` and a page that says when to come back, instead of the
        sign-in form with a message and 200 (issue 13, finding 5)."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as error:
            if error.code != "too_many_login_attempts":
                raise
            key = self._get_login_attempts_cache_key(request, **credentials)
            wait = throttle.allauth_retry_after(request, action="login_failed", key=key)
            response = render(
                request,
                "account/sign_in_locked.html",
                {"retry_minutes": math.ceil(wait / 60)},
                status=429,
            )
            response["Retry-After"] = str(wait)
            raise ImmediateHttpResponse(response) from None

    def set_password(self, user, password: str) -> None:
        """Every way to a new password (change, reset, first set) passes here: the person's API
        tokens end with the old password, in the same transaction (issue 13, finding 6). Other
        web sessions end too: Django ties a session to the password's hash. The pages and the
        notification e-mail say so (templates/account/)."""
        request = self.request
        ip, user_agent = client_of(request) if request is not None else (None, "")
        with transaction.atomic():
            super().set_password(user, password)
            api_tokens_revoke_all(
                user=user, reason="password changed", ip=ip, user_agent=user_agent
            )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Social sign-in (Google, Facebook) is offered only for providers the operator configured
    with keys (settings read GOOGLE_CLIENT_ID / FACEBOOK_CLIENT_ID)."""


class UserSessionsAdapter(DefaultUserSessionsAdapter):
    def end_sessions(self, sessions) -> None:
        """ "Sign out everywhere" (ACC-3): end the sessions and audit it in one transaction."""
        from allauth.core import context as allauth_context

        sessions = list(sessions)
        if not sessions:
            return
        request = allauth_context.request
        ip, user_agent = client_of(request) if request is not None else (None, "")
        with transaction.atomic():
            super().end_sessions(sessions)
            record(
                AuditAction.SESSIONS_ENDED,
                actor=sessions[0].user,
                target=sessions[0].user,
                ip=ip,
                user_agent=user_agent,
                data={"count": len(sessions)},
            )
