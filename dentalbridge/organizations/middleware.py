"""Puts the acting ``Principal`` on each request (no thread-locals: views pass it on)."""

from django.utils.functional import SimpleLazyObject

from dentalbridge.core.http import client_of
from dentalbridge.organizations import selectors
from dentalbridge.privacy.principal import Principal


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
