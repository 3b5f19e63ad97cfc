"""Query parameters of the API, read strictly: a value outside what the operation documents
(its enum, its range) is refused with 400 ``validation_failed`` naming the parameter, instead of
being ignored — a typo in ``?status=acepted`` must not quietly answer with everything."""

from collections.abc import Iterable

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

TRUE = frozenset({"true", "1"})
FALSE = frozenset({"false", "0"})


def refuse(name: str, message: str) -> ValidationError:
    return ValidationError({name: [message]})


def query_choice(request: Request, name: str, choices: Iterable[str], *, default: str = "") -> str:
    """The value of ``name`` if it is one of ``choices``, ``default`` if it is absent; 400 for
    anything else (the empty string included)."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    allowed = list(choices)
    if raw not in allowed:
        raise refuse(name, _("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)})
    return raw


def query_flag(request: Request, name: str) -> bool:
    """``true``/``1`` or ``false``/``0``; absent is false; 400 for anything else."""
    raw = request.query_params.get(name)
    if raw is None or raw.lower() in FALSE:
        return False
    if raw.lower() in TRUE:
        return True
    raise refuse(name, _("Use true or false."))


def query_whole_number(
    request: Request, name: str, *, minimum: int, maximum: int | None
) -> int | None:
    """A whole number within ``minimum``…``maximum`` (no maximum if None); None if absent; 400
    for anything else."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    value = int(raw) if raw.isascii() and raw.isdigit() else None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        message = (
            _("A whole number from %(minimum)d to %(maximum)d.")
            % {"minimum": minimum, "maximum": maximum}
            if maximum is not None
            else _("A whole number from %(minimum)d.") % {"minimum": minimum}
        )
        raise refuse(name, message)
    return value
