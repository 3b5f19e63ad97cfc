"""API authentication: personal access tokens (``Authorization: Bearer dbp_…``) or the browser
session. A token acts for exactly one organization, with its user's current role there."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from dentalbridge.accounts import throttle
from dentalbridge.accounts.middleware import has_second_factor
from dentalbridge.accounts.models import ApiToken
from dentalbridge.accounts.services import TOKEN_PREFIX, token_hash
from dentalbridge.core.http import client_of
from dentalbridge.organizations.models import Membership
from dentalbridge.privacy.principal import Principal

_LAST_USED_RESOLUTION = timedelta(minutes=5)


# The same wrong token this often in a minute is answered 429 without a lookup. A valid token
# never fails, so this limit cannot stop one.
CREDENTIAL_FAILURES_PER_MINUTE = 5


class TokenAuthentication(authentication.BaseAuthentication):
    """Looks the token up by its hash. Failed tokens are counted in the shared cache (so the
    counts hold across workers), in one-minute windows, twice:

    - per presented credential: the same wrong token sent ``CREDENTIAL_FAILURES_PER_MINUTE``
      times (a scanner with a revoked token) is answered 429 without a lookup;
    - per client address, with a much higher ceiling (``API_TOKEN_FAILURES_PER_MINUTE``): above
      it, every *failing* token from that address is answered 429 instead of 401.

    A valid token is never refused because of failures, its own address's included: a practice
    behind one NAT keeps its integrations when one of them is misconfigured (issue 13, finding
    5). Tokens carry 256 bits of randomness, so guessing is not the threat the limits answer;
    they tell a misbehaving client, with ``Retry-After``, when to try again."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        ip, user_agent = client_of(request._request)
        presented = hashlib.sha256(b" ".join(header[1:])).hexdigest()
        credential = throttle.Counter(
            f"api-token:credential:{presented}", limit=CREDENTIAL_FAILURES_PER_MINUTE
        )
        address = throttle.Counter(
            f"api-token:address:{ip or 'unknown'}", limit=settings.API_TOKEN_FAILURES_PER_MINUTE
        )
        if credential.exceeded():
            raise exceptions.Throttled(wait=credential.retry_after())
        try:
            return self._authenticate(request, header, ip, user_agent)
        except exceptions.AuthenticationFailed:
            credential.add()
            if address.add() > address.limit:
                raise exceptions.Throttled(wait=address.retry_after()) from None
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
