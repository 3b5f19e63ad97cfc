"""Pages that apps above add sections to (issue 12: layers enforced by a tool).

A page of a lower app sometimes shows what higher apps know: the patient page lists the
patient's orders (orders) and legal holds (GDPR workflows); a record item's page shows its files
(files). The lower app must not import the higher ones, so it names the page, and each higher app
registers a section for it — a function of the request and the page's objects that returns what
the section adds to the template's context:

    @page_section("patients.detail")
    def orders_of_the_patient(request, *, patient):
        return {"orders": access.orders_of_patient(request.principal, patient)}

The page calls ``page_context("patients.detail", request, patient=patient)``. Sections are
registered when their app is ready (``AppConfig.ready`` imports its ``pages`` module) and run in
the order of INSTALLED_APPS. A section runs inside the page's request: it goes through its app's
access module like any view, so the audit and the permission checks are the same.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Section = Callable[..., dict[str, Any]]

_sections: defaultdict[str, list[Section]] = defaultdict(list)


def page_section(page: str) -> Callable[[Section], Section]:
    def register(section: Section) -> Section:
        if section not in _sections[page]:
            _sections[page].append(section)
        return section

    return register


def page_context(page: str, request, **objects) -> dict[str, Any]:
    """What every section registered for ``page`` adds to its context."""
    context: dict[str, Any] = {}
    for section in _sections[page]:
        context.update(section(request, **objects))
    return context
