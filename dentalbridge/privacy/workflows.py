"""What the domain apps may ask of the GDPR workflows (issue 12, item 2).

The GDPR app (``dentalbridge.gdpr``) sits above the domain apps: it reads their records to answer
requests, erase and retain. The domain apps in turn need a few answers from it — may this person
be mailed for this purpose, how long must an archive be kept — and ask them here, through this
small interface, instead of importing the GDPR app. The GDPR app provides the implementation when
it is ready (``GdprConfig.ready``); without it (an installation with no GDPR app) asking fails
loudly rather than guessing.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured


class Period(Protocol):
    """A retention period of the processing register."""

    def after(self, start: date) -> date: ...


class Workflows(Protocol):
    def has_consent(self, user: Any, purpose: str) -> bool:
        """Has ``user`` consented to ``purpose`` (and not withdrawn since)?"""
        ...

    def users_consenting(self, purpose: str) -> list[int]:
        """Primary keys of the accounts whose latest word on ``purpose`` is yes."""
        ...

    def consent_withdraw(
        self, user: Any, purpose: str, *, how: str, text_shown: str, ip: str | None, user_agent: str
    ) -> None:
        """Record in the consent ledger that ``user`` withdrew ``purpose`` (``how``: a consent
        method of the ledger, e.g. "unsubscribe")."""
        ...

    def retention_period(self, rule: str, country: str) -> Period:
        """The period a rule of the processing register sets for ``country``."""
        ...


_provided: list[Workflows] = []


def provide(workflows: Workflows) -> None:
    _provided[:] = [workflows]


def workflows() -> Workflows:
    if not _provided:
        raise ImproperlyConfigured(
            "No GDPR workflows are installed: add dentalbridge.gdpr to INSTALLED_APPS."
        )
    return _provided[0]
