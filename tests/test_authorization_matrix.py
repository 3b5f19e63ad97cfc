"""The authorization matrix (non-negotiable 3, STYLE.md §4).

Every URL pattern of the project (HTML and API, ours and allauth's) has a row stating what four
audiences get: the *right role*, a *wrong role* of the same organization, a member of *another
tenant*, and an *anonymous* visitor. Each app keeps the rows of its routes beside them, in
``dentalbridge/<app>/tests/matrix.py`` (the vocabulary, ``Case``/``NA``/``LOGIN``, is in
``tests/matrix.py``), and this module collects them. ``test_every_url_pattern_has_an_entry`` walks
the URL conf and fails when a pattern has no row (or a row names one that no longer exists);
``test_matrix`` runs every row.
"""

import types

import pytest
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse

from conftest import World, client_for
from dentalbridge.accounts.services import api_token_create
from dentalbridge.organizations.models import Membership
from dentalbridge.privacy.principal import Principal
from tests.matrix import LOGIN, NA, Case, collect

MATRIX: dict[str, Case] = collect("ROWS")


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _routes(urlconf=None) -> dict[str, URLPattern]:
    return dict(_walk(get_resolver(urlconf).url_patterns))


def _unmatched(routes, rows) -> tuple[list[str], list[str]]:
    """(routes without a row, rows without a route)."""
    return sorted(set(routes) - set(rows)), sorted(set(rows) - set(routes))


def test_every_url_pattern_has_an_entry():
    missing, stale = _unmatched(_routes(), MATRIX)
    assert not missing, f"URL patterns without an authorization entry: {missing}"
    assert not stale, f"authorization entries for patterns that no longer exist: {stale}"


def _fake_app_urls() -> types.ModuleType:
    """An app's urls.py, as a new feature would add it: one page and one endpoint, no rows."""

    def view(request, **kwargs):
        return HttpResponse()

    module = types.ModuleType("fake_app.urls")
    module.urlpatterns = [path("fake/<uuid:thing_id>/", view, name="fake_thing")]
    module.api_urlpatterns = [path("fake-things/", view, name="api_fake_things")]
    return module


def test_a_route_without_a_row_is_reported():
    """The check above is not vacuous: routes planted by an app without matrix rows are named."""
    fake_app = _fake_app_urls()
    root = types.ModuleType("fake_root_urls")
    root.urlpatterns = [
        path("", include("config.urls")),
        path("", include(fake_app.urlpatterns)),
        path("api/v1/", include(fake_app.api_urlpatterns)),
    ]
    missing, stale = _unmatched(_routes(root), MATRIX)
    assert missing == ["api/v1/fake-things/", "fake/<uuid:thing_id>/"]
    assert stale == []
    assert _unmatched(_routes(), {**MATRIX, "fake/gone/": Case()}) == ([], ["fake/gone/"])


def test_a_route_stated_by_two_apps_is_refused():
    one, two = types.ModuleType("one.tests.matrix"), types.ModuleType("two.tests.matrix")
    one.ROWS = {"healthz": Case()}
    two.ROWS = {"healthz": Case(anon=200)}
    with pytest.raises(AssertionError, match=r"one\.tests\.matrix and two\.tests\.matrix"):
        collect("ROWS", [one, two])


def _request(case: Case, route: str, world: World, persona: str | None):
    pattern = _routes()[route]
    if case.path is not None:
        url = case.path(world)
    else:
        url = reverse(pattern.name, kwargs=case.kwargs(world)) if pattern.name else "/" + route
    user = getattr(world, persona) if persona else None
    if case.api:
        client = client_for(None)
        headers = {}
        if user is not None:
            membership = Membership.objects.get(user=user)
            secret = api_token_create(
                actor=Principal(user=user, membership=membership), name="m", valid_days=1
            ).secret
            headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        return getattr(client, case.method)(
            url,
            data=case.data(world),
            content_type="application/json",
            headers=case.headers(world),
            **headers,
        )
    client = client_for(user)
    return getattr(client, case.method)(url, data=case.data(world), headers=case.headers(world))


def _check(response, expected):
    if expected == LOGIN:
        assert response.status_code == 302, response.status_code
        assert response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == expected, (response.status_code, expected)


AUDIENCES = ("right", "wrong", "other", "anon")
CASES = [
    pytest.param(route, audience, id=f"{audience}:{route or '/'}")
    for route in MATRIX
    for audience in AUDIENCES
    if not isinstance(getattr(MATRIX[route], audience), NA)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "audience"), CASES)
def test_matrix(world, route, audience):
    case = MATRIX[route]
    outcome = getattr(case, audience)
    if audience == "anon":
        persona, expected = None, outcome
    else:
        persona, expected = outcome
    _check(_request(case, route, world, persona), expected)


def test_tenant_scoped_routes_state_all_four_audiences():
    """Every route carrying a tenant's object id must say what the other tenant gets."""
    for route, case in MATRIX.items():
        if any(f"<uuid:{key}>" in route for key in ("organization_id", "patient_id", "archive_id")):
            assert not isinstance(case.other, NA), route
            assert not isinstance(case.right, NA), route
