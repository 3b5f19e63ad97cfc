"""What every app's pages share: facts about the request that audit lines and consent proofs
record, and the decorator of a signed-in page."""

from allauth.account.adapter import get_adapter
from django.contrib.auth.decorators import login_required


def client_of(request) -> tuple[str | None, str]:
    """(IP address, user agent) of the request's client; the agent cut to what the audit keeps."""
    try:
        ip = get_adapter().get_client_ip(request)
    except Exception:  # a malformed X-Forwarded-For must not break the request
        ip = request.META.get("REMOTE_ADDR")
    return ip, request.headers.get("user-agent", "")[:300]


def domain_view(view):
    """A page of a signed-in user. Its domain errors (``NotFound`` 404, ``Forbidden`` 403,
    ``Conflict`` 409, …) are answered by ``core.middleware.DomainErrorMiddleware``."""
    return login_required(view)
