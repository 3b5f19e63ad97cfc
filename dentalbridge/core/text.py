"""Free text from query strings, made safe to filter on; names a reader can trust; the type of
user-facing text."""

import unicodedata
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


# Characters that change the order in which text is shown (the right-to-left override U+202E
# turns "scan\u202elts.exe" into "scanexe.stl") …
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# … or are not shown at all, so that two names look alike and are not (a zero-width space, the
# byte-order mark, invisible operators, the tag characters that can spell hidden text). Joiners
# (U+200C, U+200D) stay allowed: Persian and Indic names need them.
INVISIBLE = frozenset(
    "\u00ad\u180e\u200b\u2060\u2061\u2062\u2063\u2064\ufeff"
    + "".join(chr(code) for code in range(0xE0000, 0xE0080))
)
# Control characters, lone surrogates, line and paragraph separators.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def hidden_character(value: str) -> str | None:
    """The first character of ``value`` that reorders or hides what a reader sees, or None.

    One rule for every name a person reads and trusts: file names (``files.intake.check_name``)
    and people's names (patients, guardians)."""
    for ch in value:
        if ch in BIDI_CONTROLS or ch in INVISIBLE or unicodedata.category(ch) in _HIDDEN_CATEGORIES:
            return ch
    return None
