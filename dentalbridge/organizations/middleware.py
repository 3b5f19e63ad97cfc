"""Puts the acting ``Principal`` on each request (no thread-locals: views pass it on)."""

from django.utils.functional import SimpleLazyObject

from dentalbridge.organizations import selectors
from dentalbridge.privacy.principal import Principal


def client_of(request) -> tuple[str | None, str]:
    from allauth.account.adapter import get_adapter

    try:
        ip = get_adapter().get_client_ip(request)
    except Exception:  # a malformed X-Forwarded-For must not break the request
        ip = request.META.get("REMOTE_ADDR")
    return ip, request.headers.get("user-agent", "")[:300]


def principal_for(request) -> Principal:
    ip, user_agent = client_of(request)
    user = request.user
    if not user.is_authenticated:
        return Principal(user=None, ip=ip, user_agent=user_agent)
    membership = selectors.active_membership(user, request.session, request.memberships)
    return Principal(user=user, membership=membership, ip=ip, user_agent=user_agent)


class PrincipalMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.memberships = SimpleLazyObject(lambda: selectors.memberships_of(request.user))
        request.principal = SimpleLazyObject(lambda: principal_for(request))
        return self.get_response(request)
