"""The privacy core's list pages ask the database a constant number of times, however many rows
they list (non-negotiable 4)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import acting, client_for
from dentalbridge.gdpr import breaches, consent, requests
from dentalbridge.gdpr.models import DeletionInstruction
from dentalbridge.privacy.principal import Principal

pytestmark = pytest.mark.django_db


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _grow(world, n: int) -> None:
    for i in range(n):
        requests.request_create(actor=Principal(user=world.newcomer), kind="access")
        consent.record(purpose="newsletter", given=bool(i % 2), method="form", text_shown="x",
                       user=world.newcomer)  # fmt: skip
        breaches.breach_record(
            actor=acting(world.dpo, world.platform), title=f"Incident {i}", description="-",
            detected_at=timezone.now(), categories=[], subjects_count=1, consequences="-",
            measures="-",
        )  # fmt: skip
        DeletionInstruction.objects.create(
            practice=world.practice, lab=world.lab, pseudonym=f"P-TEST-{i:02d}",
            order_references=[], due_at=timezone.now(),
        )  # fmt: skip


@pytest.mark.parametrize(
    "who, name",
    [
        ("dpo", "data_request_list"),
        ("dpo", "dpo_home"),
        ("dpo", "dpo_breaches"),
        ("manager", "deletion_instructions"),
        ("newcomer", "my_data_requests"),
        ("newcomer", "my_privacy"),
    ],
)
def test_list_pages_ask_a_constant_number_of_queries(world, who, name):
    client = client_for(getattr(world, who))
    url = reverse(name)
    _grow(world, 1)
    _queries(client, url)  # warm: sessions, content types
    one = _queries(client, url)
    _grow(world, 9)
    assert _queries(client, url) == one
