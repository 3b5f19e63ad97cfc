"""Free text from query strings, made safe to filter on."""


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
