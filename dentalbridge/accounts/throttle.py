"""Failure counters in the shared cache, in fixed one-minute windows.

The window is part of the key, so a counter never outlives its minute whatever the cache backend
does with expiry on ``incr`` (the database cache re-sets the default timeout), and ``Retry-After``
is the time left in the window. Time is ``time.time()``, so tests travel with time_machine.
"""

import math
import time
from dataclasses import dataclass

from django.core.cache import cache

WINDOW_SECONDS = 60


def _window(now: float) -> int:
    return int(now // WINDOW_SECONDS)


@dataclass(frozen=True)
class Counter:
    """Failures of one kind for one subject (``name``), allowed ``limit`` times a window."""

    name: str
    limit: int

    def _key(self, now: float) -> str:
        return f"failures:{self.name}:{_window(now)}"

    def count(self) -> int:
        value = cache.get(self._key(time.time()), 0)
        return value if isinstance(value, int) else 0

    def exceeded(self) -> bool:
        """The window's allowance is used up."""
        return self.count() >= self.limit

    def add(self) -> int:
        """Count one failure; the window's count so far."""
        key = self._key(time.time())
        if cache.add(key, 1, timeout=2 * WINDOW_SECONDS):
            return 1
        try:
            return int(cache.incr(key))
        except ValueError:  # evicted between add() and incr()
            cache.add(key, 1, timeout=2 * WINDOW_SECONDS)
            return 1

    def retry_after(self) -> int:
        """Whole seconds until the window ends (at least 1)."""
        now = time.time()
        return max(1, math.ceil((_window(now) + 1) * WINDOW_SECONDS - now))


def allauth_retry_after(request: object, *, action: str, key: str) -> int:
    """Whole seconds until allauth's limits of ``action`` (for this request's address and for
    ``key``) let one more attempt through: for each used-up rate, until the attempt that fills
    it leaves the window. allauth keeps each rate's attempts newest first under its cache key."""
    from allauth.core.internal import ratelimit

    now = time.time()
    waits = [1]
    for rate in ratelimit.get_rates(app="allauth.account", action=action):
        cache_key = ratelimit.get_cache_key(
            request, app="allauth.account", action=action, rate=rate, key=key
        )
        recent = [stamp for stamp in cache.get(cache_key, []) if stamp > now - rate.duration]
        if len(recent) >= rate.amount:
            waits.append(math.ceil(recent[rate.amount - 1] + rate.duration - now))
    return max(waits)
