"""Teeth in FDI notation (ISO 3950) and the rules a prescription's teeth must follow (ORD-1).

A tooth is two digits: the quadrant (1-4 permanent, 5-8 primary; clockwise from the patient's
upper right) and the position from the midline (1-8 permanent, 1-5 primary). Along an arch, the
teeth run from the patient's right to left: 18…11 21…28 above, 48…41 31…38 below — so 11 and 21
are neighbours across the midline, and 18 and 28 are not.
"""

from django.utils.translation import gettext as _

from dentalbridge.core.errors import ValidationFailed

UPPER, LOWER = "upper", "lower"

# Each arch in the order a bridge runs along it (the patient's right to left).
ARCHES: dict[tuple[str, str], tuple[int, ...]] = {
    ("permanent", UPPER): tuple(range(18, 10, -1)) + tuple(range(21, 29)),
    ("permanent", LOWER): tuple(range(48, 40, -1)) + tuple(range(31, 39)),
    ("primary", UPPER): tuple(range(55, 50, -1)) + tuple(range(61, 66)),
    ("primary", LOWER): tuple(range(85, 80, -1)) + tuple(range(71, 76)),
}
ALL_TEETH: frozenset[int] = frozenset(t for arch in ARCHES.values() for t in arch)
_ARCH_OF: dict[int, tuple[str, str]] = {t: key for key, arch in ARCHES.items() for t in arch}


def is_tooth(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value in ALL_TEETH


def arch_of(tooth: int) -> str:
    return _ARCH_OF[tooth][1]


def dentition_of(tooth: int) -> str:
    return _ARCH_OF[tooth][0]


def parse_teeth(values, field: str = "teeth") -> list[int]:
    """FDI numbers from form or API input (ints or digit strings), checked, sorted, no repeats."""
    if values is None:
        return []
    if isinstance(values, str | int):
        values = [values]
    teeth: list[int] = []
    bad: list[str] = []
    for value in values:
        text = str(value).strip()
        number = int(text) if text.isascii() and text.isdigit() and len(text) == 2 else None
        if number is None or number not in ALL_TEETH:
            bad.append(text[:8] or "∅")
        elif number not in teeth:
            teeth.append(number)
    if bad:
        raise ValidationFailed(
            _("Not a tooth in FDI notation (11-48 permanent, 51-85 primary): %(values)s.")
            % {"values": ", ".join(bad)},
            fields={
                field: [_("Not an FDI tooth number: %(values)s.") % {"values": ", ".join(bad)}]
            },
        )
    return sorted(teeth, key=_position)


def _position(tooth: int) -> tuple:
    key = _ARCH_OF[tooth]
    return (list(ARCHES).index(key), ARCHES[key].index(tooth))


def span_problem(teeth: list[int]) -> str | None:
    """Why these teeth cannot be one bridge span, or None: a bridge runs along one arch of one
    dentition over neighbouring teeth (it may cross the midline between 11 and 21)."""
    if len(teeth) < 2:
        return _("A bridge spans at least two teeth.")
    arches = {_ARCH_OF[t] for t in teeth}
    if len({dentition for dentition, _jaw in arches}) > 1:
        return _("A bridge cannot join primary and permanent teeth.")
    if len(arches) > 1:
        return _("A bridge cannot join the upper and the lower jaw (%(teeth)s).") % {
            "teeth": ", ".join(map(str, teeth))
        }
    arch = ARCHES[arches.pop()]
    positions = sorted(arch.index(t) for t in teeth)
    missing = [arch[i] for i in range(positions[0], positions[-1] + 1) if i not in positions]
    if missing:
        return _(
            "A bridge spans neighbouring teeth: between %(first)s and %(last)s it also needs "
            "%(missing)s (as abutments or pontics)."
        ) % {
            "first": arch[positions[0]],
            "last": arch[positions[-1]],
            "missing": ", ".join(map(str, missing)),
        }
    return None


def label(teeth: list[int]) -> str:
    """A compact reading of a set of teeth: "11", "13-23" for a continuous span, else a list."""
    if not teeth:
        return ""
    if len(teeth) > 2 and span_problem(teeth) is None:
        return f"{teeth[0]}-{teeth[-1]}"
    return ", ".join(map(str, teeth))
