"""allauth adapters: DentalBridge mail goes through the task queue; sign-up stays open."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from django.db import transaction

from dentalbridge.messaging.tasks import deliver_email


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render now (in the request's language), deliver from the queue after commit."""
        from allauth.account.adapter import context as allauth_context
        from django.contrib.sites.shortcuts import get_current_site

        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
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


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Social sign-in (Google, Facebook) is offered only for providers the operator configured
    with keys (settings read GOOGLE_CLIENT_ID / FACEBOOK_CLIENT_ID)."""


class UserSessionsAdapter(DefaultUserSessionsAdapter):
    def end_sessions(self, sessions) -> None:
        """ "Sign out everywhere" (ACC-3): end the sessions and audit it in one transaction."""
        from allauth.core import context as allauth_context

        from dentalbridge.organizations.middleware import client_of
        from dentalbridge.privacy.audit import AuditAction, record

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
