"""Finding 5 of the security review (issue 13): lock-outs answer 429 with ``Retry-After`` —
also allauth's own limits on the account forms, which answer 429 without one."""

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_finding_5_allauths_own_limit_answers_429_with_retry_after():
    """The reset form allows 20 posts a minute per address (ACCOUNT_RATE_LIMITS); the 21st is
    refused by allauth, which sets no Retry-After of its own."""
    client = Client()
    url = reverse("account_reset_password")
    # The clock stands still: however slow the machine, the 21 posts fall in one minute.
    with time_machine.travel(timezone.now(), tick=False):
        answers = [client.post(url, {"email": f"nobody{n}@mail.example"}) for n in range(21)]
    assert [a.status_code for a in answers[:20]].count(429) == 0
    assert answers[20].status_code == 429
    assert int(answers[20]["Retry-After"]) > 0


def test_a_window_a_view_set_itself_is_kept(rf):
    from django.http import HttpResponse

    from dentalbridge.core.middleware import RetryAfterMiddleware

    def locked(request):
        response = HttpResponse(status=429)
        response["Retry-After"] = "17"
        return response

    assert RetryAfterMiddleware(locked)(rf.get("/"))["Retry-After"] == "17"
    assert not RetryAfterMiddleware(lambda r: HttpResponse())(rf.get("/")).has_header("Retry-After")
