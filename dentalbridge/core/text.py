"""Free text from query strings, made safe to filter on; the type of user-facing text."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

# User-facing text: a str, or a lazily translated one (gettext_lazy), which becomes a str in the
# language of the request when rendered. The alias is evaluated by type checkers only.
type Text = str | _StrPromise


def search_text(value: str | None, *, limit: int = 100) -> str:
    """Trimmed, bounded, and without NUL characters (PostgreSQL refuses them in a query, and no
    name contains one). Form fields reject NUL already; query parameters reach us raw."""
    return (value or "").replace("\x00", "").strip()[:limit]


def uuid_or_none(value: str | None):
    """A UUID from a form or query string, or None when it is not one."""
    import uuid

    try:
        return uuid.UUID((value or "").strip())
    except ValueError:
        return None
