"""Finding 7 of issue 13: a deeply nested JSON body is a 400 in the API's error shape, not a
500 (RecursionError), on every endpoint that reads JSON."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.views import APIView

from conftest import acting
from dentalbridge.accounts.services import api_token_create
from dentalbridge.api.parsers import MAX_DEPTH, JSONParser, json_depth

NESTED = "[" * 100_000


def bearer(user, organization) -> Client:
    secret = api_token_create(actor=acting(user, organization), name="t", valid_days=1).secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _api_views(patterns=None):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from _api_views(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            view_class = getattr(entry.callback, "view_class", None)
            if view_class is not None and issubclass(view_class, APIView):
                yield entry.pattern, view_class


@pytest.mark.django_db
def test_finding_7_deeply_nested_json_is_a_400(world):
    api = bearer(world.owner, world.practice)
    for method, url in (
        ("post", reverse("api_patients")),
        ("post", reverse("api_orders")),
        ("patch", reverse("api_organization", args=[world.practice.public_id])),
    ):
        response = getattr(api, method)(url, NESTED, content_type="application/json")
        assert response.status_code == 400, (url, response.content[:200])
        error = response.json()["error"]
        assert error["code"] == "parse_error"
        assert str(MAX_DEPTH) in error["message"]


def test_finding_7_every_api_view_parses_json_with_the_depth_limit():
    views = list(_api_views())
    assert len(views) > 10
    for pattern, view_class in views:
        parsers = view_class().get_parsers()
        plain = [p for p in parsers if p.media_type == "application/json"]
        assert all(isinstance(p, JSONParser) for p in plain), pattern


@pytest.mark.django_db
def test_finding_7_json_just_within_the_limit_still_parses(world):
    body = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    response = bearer(world.owner, world.practice).post(
        reverse("api_patients"), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_failed"


def test_json_depth_ignores_brackets_inside_strings():
    assert json_depth('{"a": "[[[[", "b": [1, {"c": "]\\"["}]}') == 3
    assert json_depth("[]") == 1
    assert json_depth('"["') == 0
    assert json_depth(NESTED) == MAX_DEPTH + 1
