"""Facts about an HTTP request that every app records (audit lines, consent proofs)."""

from allauth.account.adapter import get_adapter


def client_of(request) -> tuple[str | None, str]:
    """(IP address, user agent) of the request's client; the agent cut to what the audit keeps."""
    try:
        ip = get_adapter().get_client_ip(request)
    except Exception:  # a malformed X-Forwarded-For must not break the request
        ip = request.META.get("REMOTE_ADDR")
    return ip, request.headers.get("user-agent", "")[:300]
