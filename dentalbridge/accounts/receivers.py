"""Audit lines for events that happen inside django.contrib.auth and allauth.

These receivers only translate a library's signal into ``audit.record``; no other logic lives here
(STYLE.md §1).
"""

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from allauth.usersessions import signals as usersession_signals
from django.contrib.auth import get_user_model
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from dentalbridge.core.http import client_of
from dentalbridge.privacy.audit import AuditAction, AuditOutcome, record


def _client(request):
    return client_of(request) if request is not None else (None, "")


def _record(action, request, user, **kwargs):
    ip, user_agent = _client(request)
    record(action, actor=user, target=user, ip=ip, user_agent=user_agent, **kwargs)


@receiver(auth_signals.user_logged_in, dispatch_uid="audit_signed_in")
def _signed_in(sender, request, user, **kwargs):
    _record(AuditAction.SIGNED_IN, request, user)


@receiver(auth_signals.user_logged_out, dispatch_uid="audit_signed_out")
def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        _record(AuditAction.SIGNED_OUT, request, user)


@receiver(auth_signals.user_login_failed, dispatch_uid="audit_sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # The attempted address is kept only as a link to an existing account, never as text: a
    # mistyped address is someone else's personal data.
    email = (credentials or {}).get("email") or (credentials or {}).get("username") or ""
    user = get_user_model().objects.filter(email__iexact=email).first() if email else None
    ip, user_agent = _client(request)
    record(
        AuditAction.SIGN_IN_FAILED,
        actor=user,
        target=user,
        outcome=AuditOutcome.FAILURE,
        ip=ip,
        user_agent=user_agent,
        data={"known_account": user is not None},
    )


@receiver(account_signals.user_signed_up, dispatch_uid="audit_signed_up")
def _signed_up(sender, request, user, **kwargs):
    _record(AuditAction.SIGNED_UP, request, user)


@receiver(account_signals.email_confirmed, dispatch_uid="audit_email_confirmed")
def _email_confirmed(sender, request, email_address, **kwargs):
    _record(AuditAction.EMAIL_CONFIRMED, request, email_address.user)


@receiver(account_signals.password_changed, dispatch_uid="audit_password_changed")
def _password_changed(sender, request, user, **kwargs):
    _record(AuditAction.PASSWORD_CHANGED, request, user)


@receiver(account_signals.password_reset, dispatch_uid="audit_password_reset")
def _password_reset(sender, request, user, **kwargs):
    _record(AuditAction.PASSWORD_RESET, request, user)


@receiver(mfa_signals.authenticator_added, dispatch_uid="audit_mfa_added")
def _mfa_added(sender, request, user, authenticator, **kwargs):
    _record(AuditAction.MFA_ENABLED, request, user, data={"type": authenticator.type})


@receiver(mfa_signals.authenticator_removed, dispatch_uid="audit_mfa_removed")
def _mfa_removed(sender, request, user, authenticator, **kwargs):
    _record(AuditAction.MFA_DISABLED, request, user, data={"type": authenticator.type})


@receiver(mfa_signals.authentication_failed, dispatch_uid="audit_mfa_failed")
def _mfa_failed(sender, request, user, **kwargs):
    _record(
        AuditAction.SIGN_IN_FAILED,
        request,
        user,
        outcome=AuditOutcome.FAILURE,
        data={"step": "second_factor"},
    )


_ = usersession_signals  # "sign out everywhere" is audited by our own view wrapper
