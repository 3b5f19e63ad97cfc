"""The authorization matrix's vocabulary, and its collection from the apps (STYLE.md §4, §10).

Each app states the rows of its own routes beside them, in ``dentalbridge/<app>/tests/matrix.py``:

``ROWS: dict[str, Case]``
    URL pattern (as walked from the root URL conf, e.g. ``"api/v1/orders/<uuid:order_id>/"``)
    → what four audiences get: the *right role*, a *wrong role* of the same organization, a
    member of *another tenant*, an *anonymous* visitor. tests/test_authorization_matrix.py runs
    every row and fails on a route without one.
``PATIENT_DATA: dict[str, tuple[tuple[str, ...], tuple]]`` (apps whose pages show patient data)
    route name → (its kwargs, the outcome for each of ``PERSONAS``, in that order);
    ``PATIENT_DATA_SKIPPED: dict[str, str]`` names such a route that is not read by GET there,
    with the reason. tests/test_patient_matrix.py runs them.

An outcome is an HTTP status, ``LOGIN`` (a redirect to the sign-in page), or ``NA("why")`` when an
audience does not apply (e.g. a page about one's own account has no "other tenant").

Most rows are built by ``Case.page``, ``Case.post`` or ``Case.endpoint`` (which say the method and
what an anonymous visitor gets) from the right persona with its status and ``Others``: what a wrong
role and another tenant get, named once with their statuses (``NOT_TECHNICIAN`` below, or an app's
own beside its rows)::

    "orders/<uuid:order_id>/step/": Case.post(("manager", 302), NOT_TECHNICIAN, kwargs=an_order()),

A row that fits none of them is a plain ``Case(...)``.
"""

import importlib
import importlib.util
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from django.apps import apps

from conftest import World

LOGIN = "login"

# The people tests/test_patient_matrix.py tries each patient-data route as, in PATIENT_DATA order.
PERSONAS = (
    "owner",
    "dentist",
    "assistant",
    "other_dentist",
    "lab_manager",
    "designer",
    "patient",
    "other_patient",
    "anonymous",
)


@dataclass(frozen=True)
class NA:
    why: str


@dataclass(frozen=True)
class Others:
    """What a route's two other signed-in audiences get: a *wrong* role of the same organization,
    and a member of *another tenant*."""

    wrong: tuple[str, int] | NA
    other: tuple[str, int] | NA


@dataclass(frozen=True)
class Case:
    """``persona`` names are attributes of ``conftest.World``."""

    method: str = "get"
    kwargs: Callable[[World], dict] = lambda w: {}
    data: Callable[[World], dict] = lambda w: {}
    right: tuple[str, int] | NA = NA("no role applies")
    wrong: tuple[str, int] | NA = NA("every signed-in user may use it")
    other: tuple[str, int] | NA = NA("about the signed-in user only, not an organization")
    anon: int | str = LOGIN
    api: bool = False
    path: Callable[[World], str] | None = field(default=None)
    headers: Callable[[World], dict] = lambda w: {}

    @classmethod
    def page(cls, right: tuple[str, int], others: Others, **fields) -> "Case":
        """A page read by GET; an anonymous visitor is sent to sign in. ``fields`` are the other
        fields (``kwargs``, or an audience that differs from ``others``)."""
        return cls._row(right, others, fields)

    @classmethod
    def post(cls, right: tuple[str, int], others: Others, **fields) -> "Case":
        """A form or button posted to a page (``data``: a dict, or a function of the world); an
        anonymous visitor is sent to sign in."""
        return cls._row(right, others, {"method": "post", **fields})

    @classmethod
    def endpoint(cls, method: str, right: tuple[str, int], others: Others, **fields) -> "Case":
        """An API endpoint, called with the persona's token; an anonymous caller gets 401."""
        return cls._row(right, others, {"method": method, "api": True, "anon": 401, **fields})

    @classmethod
    def _row(cls, right: tuple[str, int], others: Others, fields: dict) -> "Case":
        data = fields.get("data")
        if data is not None and not callable(data):
            fields["data"] = lambda w: data
        return cls(**{"right": right, "wrong": others.wrong, "other": others.other, **fields})


# A practice's route: every role of it may, or its assistant (or dentist) may not (403); to another
# practice's owner the ids do not exist (404).
EVERY_PRACTICE_ROLE = Others(
    wrong=NA("every practice role may do this; labs and the platform are other tenants"),
    other=("other_owner", 404),
)
NOT_ASSISTANT = Others(wrong=("assistant", 403), other=("other_owner", 404))
NOT_DENTIST = Others(wrong=("dentist", 403), other=("other_owner", 404))
# A lab's route: its technician may not (403); to another lab's manager the ids do not exist (404).
NOT_TECHNICIAN = Others(wrong=("technician", 403), other=("other_manager", 404))
# A lab's route about an order or share: a designer not assigned to it does not see it (404).
ASSIGNED_ONLY = Others(wrong=("designer", 404), other=("other_manager", 404))


def own(status=200, method="get"):
    """A page about the signed-in user's own account (allauth): any persona is the right one."""
    return Case(method=method, right=("owner", status))


def public(status=200, signed_in=200):
    return Case(right=("owner", signed_in), anon=status)


NOT_TENANT = NA("not tenant data: the user's own record")


def app_modules() -> list[ModuleType]:
    """``dentalbridge.<app>.tests.matrix`` of every installed app of ours that has one."""
    modules = []
    for config in apps.get_app_configs():
        if not config.name.startswith("dentalbridge."):
            continue
        name = f"{config.name}.tests.matrix"
        if importlib.util.find_spec(f"{config.name}.tests") and importlib.util.find_spec(name):
            modules.append(importlib.import_module(name))
    return modules


def collect(table: str, modules: Iterable[ModuleType] | None = None) -> dict[str, Any]:
    """One dict of every app's ``table``; a key stated by two apps is an error, not an override."""
    merged: dict[str, Any] = {}
    stated_by: dict[str, str] = {}
    for module in app_modules() if modules is None else modules:
        for key, row in getattr(module, table, {}).items():
            if key in merged:
                raise AssertionError(
                    f"{table}[{key!r}] is stated by {stated_by[key]} and {module.__name__}"
                )
            merged[key] = row
            stated_by[key] = module.__name__
    return merged
