"""Domain errors raised by services and the access layer; views map them to responses."""

from typing import Any

from django.utils.translation import gettext_lazy as _

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
