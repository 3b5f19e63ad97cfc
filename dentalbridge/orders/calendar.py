"""A lab's working days (ORD-7): its weekdays, its country's public holidays (python-holidays)
and the closures it enters itself. Pure: no database, so the rules are tested in isolation."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _

# Monday = 0 … Sunday = 6, as date.weekday() counts.
MONDAY_TO_FRIDAY = frozenset(range(5))
# Far enough for any due date a prescription may ask for.
HORIZON_DAYS = 730


@lru_cache(maxsize=256)
def _public_holidays(country: str, subdivision: str, year: int, language: str) -> dict:
    if country not in holidays.list_supported_countries():
        return {}
    try:
        found = holidays.country_holidays(
            country, subdiv=subdivision or None, years=year, language=language
        )
    except NotImplementedError:  # a subdivision the library does not know
        found = holidays.country_holidays(country, years=year, language=language)
    return dict(found)


def _holiday_language() -> str:
    # python-holidays names languages like en_US; it falls back to the country's own language.
    return {"en": "en_US", "nl": "nl", "it": "it", "ro": "ro"}.get(
        (get_language() or "en").split("-")[0], "en_US"
    )


@dataclass(frozen=True)
class Closure:
    first: date
    last: date
    reason: str = ""


@dataclass(frozen=True)
class WorkingCalendar:
    country: str = ""
    subdivision: str = ""
    weekdays: frozenset[int] = MONDAY_TO_FRIDAY
    closures: tuple[Closure, ...] = field(default_factory=tuple)

    def closed_because(self, day: date) -> str | None:
        """Why the lab does not work on ``day`` (a sentence), or None when it does."""
        for closure in self.closures:
            if closure.first <= day <= closure.last:
                return closure.reason or _("a closure")
        holiday = _public_holidays(self.country, self.subdivision, day.year, _holiday_language())
        if day in holiday:
            return holiday[day]
        if day.weekday() not in self.weekdays:
            return formats.date_format(day, "l")
        return None

    def is_open(self, day: date) -> bool:
        return self.closed_because(day) is None

    def next_open(self, day: date) -> date:
        """``day`` if the lab works then, else the next day it does."""
        for offset in range(HORIZON_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_open(candidate):
                return candidate
        raise ValueError("the lab has no working day within two years")

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself does not count)."""
        day = start
        for _n in range(days):
            day = self.next_open(day + timedelta(days=1))
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_open(day)
        return count
