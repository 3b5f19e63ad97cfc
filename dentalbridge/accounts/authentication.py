"""API authentication: personal access tokens (``Authorization: Bearer dbp_…``) or the browser
session. A token acts for exactly one organization, with its user's current role there."""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from dentalbridge.accounts.middleware import has_second_factor
from dentalbridge.accounts.models import ApiToken
from dentalbridge.accounts.services import TOKEN_PREFIX, token_hash
from dentalbridge.core.http import client_of
from dentalbridge.organizations.models import Membership
from dentalbridge.privacy.principal import Principal

_LAST_USED_RESOLUTION = timedelta(minutes=5)


def _failures_key(ip: str | None) -> str:
    return f"api-token-failures:{ip or 'unknown'}"


class TokenAuthentication(authentication.BaseAuthentication):
    """Looks the token up by its hash. Guessing is slowed down: after
    ``API_TOKEN_FAILURES_PER_MINUTE`` failures from one address, that address gets 429 for the
    rest of the minute (the counter is in the shared cache, so it holds across workers)."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        ip, user_agent = client_of(request._request)
        key = _failures_key(ip)
        if cache.get(key, 0) >= settings.API_TOKEN_FAILURES_PER_MINUTE:
            raise exceptions.Throttled(wait=60)
        try:
            return self._authenticate(request, header, ip, user_agent)
        except exceptions.AuthenticationFailed:
            if not cache.add(key, 1, timeout=60):
                try:
                    cache.incr(key)
                except ValueError:  # expired between add() and incr()
                    cache.add(key, 1, timeout=60)
            raise

    def _authenticate(self, request, header, ip, user_agent):
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send exactly one token: Bearer <token>."))
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("The token is malformed.")) from exc
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
            raise exceptions.AuthenticationFailed(_("The token is malformed."))
        token = (
            ApiToken.objects.select_related("user", "organization")
            .filter(token_hash=token_hash(secret))
            .first()
        )
        if token is None or not token.is_usable or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The token is invalid, expired or revoked."))
        membership = (
            Membership.objects.filter(user=token.user, organization=token.organization)
            .select_related("organization")
            .first()
        )
        if membership is None:
            raise exceptions.AuthenticationFailed(_("The token's membership has ended."))
        if not has_second_factor(token.user):
            raise exceptions.AuthenticationFailed(_("The token's owner has no second factor."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        request._request.principal = Principal(
            user=token.user,
            membership=membership,
            via="token",
            token=token,
            ip=ip,
            user_agent=user_agent,
        )
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """The browser session (with CSRF), acting for the session's active organization."""


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "dentalbridge.accounts.authentication.TokenAuthentication"
    name = "personalAccessToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token (dbp_…) created under Account → API tokens.",
        }


class SessionAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "dentalbridge.accounts.authentication.SessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
