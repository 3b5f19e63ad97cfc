"""Domain errors raised by services and the access layer; views map them to responses."""

from typing import Any

from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from dentalbridge.core.text import Text

_NOT_FOUND = _("Not found.")
_FORBIDDEN = _("You do not have permission to do this.")


class DomainError(Exception):
    """Base of all expected, user-facing failures. ``code`` is machine-readable."""

    code = "invalid"
    status = 400

    def __init__(
        self, message: Text, *, code: str | None = None, fields: dict[str, Any] | None = None
    ):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class NotFound(DomainError):
    """The object does not exist *or* the actor may not know it exists (STYLE.md §2)."""

    code = "not_found"
    status = 404

    def __init__(self, message: Text = _NOT_FOUND, **kwargs: Any):
        super().__init__(message, **kwargs)


class Forbidden(DomainError):
    """The actor may see the object but not do this to it."""

    code = "forbidden"
    status = 403

    def __init__(self, message: Text = _FORBIDDEN, **kwargs: Any):
        super().__init__(message, **kwargs)


class Conflict(DomainError):
    code = "conflict"
    status = 409


class ValidationFailed(DomainError):
    code = "validation_failed"
    status = 400


class RateLimited(DomainError):
    """Too many attempts from one address or for one person; try again later."""

    code = "rate_limited"
    status = 429


# The JSON shape of every API error (api.errors); the error pages use it for /api/ paths too.
_DEFAULT_MESSAGES = {
    400: ("bad_request", gettext_noop("The request is not valid.")),
    401: ("not_authenticated", gettext_noop("Authentication is required.")),
    403: ("forbidden", gettext_noop("You do not have permission to do this.")),
    404: ("not_found", gettext_noop("Not found.")),
    405: ("method_not_allowed", gettext_noop("This method is not allowed here.")),
    409: ("conflict", gettext_noop("The request conflicts with the current state.")),
    410: ("gone", gettext_noop("This is no longer available.")),
    415: ("unsupported_media_type", gettext_noop("Send JSON (Content-Type: application/json).")),
    429: ("throttled", gettext_noop("Too many requests; try again later.")),
    500: ("server_error", gettext_noop("Something went wrong on our side.")),
}


def error_body(status: int, *, code: str | None = None, message: str | None = None, fields=None):
    default_code, default_message = _DEFAULT_MESSAGES.get(status, ("error", "Error."))
    body = {"code": code or default_code, "message": message or gettext_now(default_message)}
    if fields:
        body["fields"] = fields
    return {"error": body}
