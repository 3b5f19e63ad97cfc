"""The consent ledger (PRV-2, COM-3) and notice versions (PRV-9): every choice is a line with its
words and version; processing that needs consent asks the ledger when it runs."""

import pytest
from django.core import mail
from django.urls import reverse

from conftest import acting, client_for
from dentalbridge.core.errors import Conflict, Forbidden, ValidationFailed
from dentalbridge.gdpr import consent, services
from dentalbridge.gdpr.models import ConsentRecord
from dentalbridge.messaging import newsletters
from dentalbridge.messaging.models import EmailStatus, OutgoingEmail
from dentalbridge.messaging.notifications import email_deliver
from dentalbridge.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db


def _agree(user, given=True):
    return consent.record(
        purpose="newsletter", given=given, method="form", text_shown="News?", user=user
    )


def test_the_ledger_keeps_every_choice_and_the_latest_counts(world):
    assert not consent.has_consent(world.owner, "newsletter")
    _agree(world.owner)
    assert consent.has_consent(world.owner, "newsletter")
    _agree(world.owner, given=False)
    assert not consent.has_consent(world.owner, "newsletter")
    lines = ConsentRecord.objects.filter(user=world.owner)
    assert [line.given for line in lines] == [True, False]
    assert all(line.text_shown == "News?" and line.language == "en" for line in lines)


def test_only_consent_based_purposes_take_consent(world):
    with pytest.raises(ValueError):
        consent.record(purpose="dental_care", given=True, method="form", text_shown="x",
                       user=world.owner)  # fmt: skip
    with pytest.raises(ValueError):
        consent.record(purpose="newsletter", given=True, method="form", text_shown="x")


def test_a_person_gives_and_withdraws_on_their_privacy_page(world):
    client = client_for(world.dentist)
    page = client.get(reverse("my_privacy"))
    assert page.status_code == 200
    assert client.post(reverse("my_privacy"), {"newsletter": "on"}).status_code == 302
    assert consent.has_consent(world.dentist, "newsletter")
    line = ConsentRecord.objects.get(user=world.dentist)
    assert line.text_shown == str(newsletters.CHECKBOX_TEXT) and line.method == "form"
    client.post(reverse("my_privacy"), {})
    assert not consent.has_consent(world.dentist, "newsletter")
    assert ConsentRecord.objects.filter(user=world.dentist).count() == 2
    assert client_for(None).get(reverse("my_privacy")).status_code == 302


def _newsletter(world, django_capture_on_commit_callbacks):
    support = acting(world.support, world.platform)
    letter = newsletters.newsletter_create(actor=support, subject="What's new", text="Hello")
    return support, letter


def test_withdrawing_stops_the_newsletter_at_once_even_when_already_queued(
    world, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.dummy.DummyBackend",
            "QUEUES": ["default", "email", "files"],
        }
    }
    _agree(world.owner)
    _agree(world.dentist)
    support, letter = _newsletter(world, django_capture_on_commit_callbacks)
    newsletters.newsletter_send(actor=support, newsletter_id=letter.public_id)
    assert newsletters.deliver(letter.pk) == 2  # the task's work, queued mails
    owner_mail = OutgoingEmail.objects.get(to=world.owner.email)
    dentist_mail = OutgoingEmail.objects.get(to=world.dentist.email)
    # The owner withdraws after the mail was queued, before the worker sends it.
    _agree(world.owner, given=False)
    assert email_deliver(owner_mail.pk) == "withdrawn"
    assert email_deliver(dentist_mail.pk) == "sent"
    assert [m.to for m in mail.outbox] == [[world.dentist.email]]
    owner_mail.refresh_from_db()
    assert owner_mail.status == EmailStatus.WITHDRAWN
    sent = mail.outbox[0]
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/unsubscribe/" in sent.body


def test_a_newsletter_goes_only_to_those_who_consent_now(world, django_capture_on_commit_callbacks):
    _agree(world.owner)
    _agree(world.manager)
    _agree(world.manager, given=False)
    support, letter = _newsletter(world, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        newsletters.newsletter_send(actor=support, newsletter_id=letter.public_id)
    assert [m.to for m in mail.outbox] == [[world.owner.email]]
    letter.refresh_from_db()
    assert letter.recipients == 1 and letter.sent_at is not None
    with pytest.raises(Conflict):
        newsletters.newsletter_send(actor=support, newsletter_id=letter.public_id)
    with pytest.raises(Forbidden):
        newsletters.newsletter_create(
            actor=acting(world.dpo, world.platform), subject="x", text="y"
        )


def test_one_click_unsubscribe_withdraws_and_forged_links_do_nothing(world):
    _agree(world.owner)
    token = newsletters.unsubscribe_token(world.owner)
    anonymous = client_for(None)
    url = reverse("unsubscribe", args=[token])
    assert anonymous.get(url).status_code == 200  # a link scanner's GET changes nothing
    assert consent.has_consent(world.owner, "newsletter")
    # A mail client's RFC 8058 one-click POST carries no CSRF token.
    assert anonymous.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not consent.has_consent(world.owner, "newsletter")
    assert ConsentRecord.objects.filter(user=world.owner).last().method == "unsubscribe"
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert anonymous.post(reverse("unsubscribe", args=[forged])).status_code == 404
    assert anonymous.get(reverse("unsubscribe", args=["x" * 5000])).status_code == 404


def test_the_newsletter_page_is_for_platform_support_only(
    world, django_capture_on_commit_callbacks
):
    support = client_for(world.support)
    assert support.get(reverse("newsletter_list")).status_code == 200
    assert support.post(reverse("newsletter_list"), {"subject": "", "text": ""}).status_code == 200
    assert (
        support.post(reverse("newsletter_list"), {"subject": "News", "text": "Hi"}).status_code
        == 302
    )
    assert client_for(world.dpo).get(reverse("newsletter_list")).status_code == 404
    assert client_for(world.owner).get(reverse("newsletter_list")).status_code == 404


# --- Notice versions (PRV-9) ------------------------------------------------------------------
def test_publishing_a_version_emails_everyone_and_asks_again_for_changed_consents(
    world, django_capture_on_commit_callbacks
):
    _agree(world.owner)
    dpo = acting(world.dpo, world.platform)
    with django_capture_on_commit_callbacks(execute=True):
        version = services.policy_publish(
            actor=dpo, summary="We now use a new mail provider.", reconsent_purposes=["newsletter"]
        )
    assert version.number == 1
    # Consent given before the version that changed the purpose no longer counts…
    assert not consent.has_consent(world.owner, "newsletter")
    assert consent.needs_reconsent(world.owner) == ["newsletter"]
    page = client_for(world.owner).get(reverse("my_privacy")).content.decode()
    assert "no longer counts" in page
    # …until given again under the new version.
    _agree(world.owner)
    assert consent.has_consent(world.owner, "newsletter")
    assert ConsentRecord.objects.filter(user=world.owner).last().policy_version == version
    # Every active account was told, in its language, by the queue.
    told = {m.to[0] for m in mail.outbox}
    assert world.owner.email in told and world.dentist.email in told
    assert all("new mail provider" in m.body for m in mail.outbox)
    assert AuditEvent.objects.filter(action="privacy.policy_published").count() == 1
    # Announcing is idempotent (a retried task sends nothing twice).
    assert services.policy_announce(version.pk) == 0


def test_a_version_without_reconsent_keeps_consents(world, django_capture_on_commit_callbacks):
    _agree(world.owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.policy_publish(
            actor=acting(world.dpo, world.platform), summary="Typo fixes.", reconsent_purposes=[]
        )
    assert consent.has_consent(world.owner, "newsletter")


def test_publishing_refuses_non_consent_purposes_and_non_dpos(world):
    with pytest.raises(ValidationFailed):
        services.policy_publish(
            actor=acting(world.dpo, world.platform), summary="x", reconsent_purposes=["security"]
        )
    from dentalbridge.core.errors import NotFound

    with pytest.raises(NotFound):
        services.policy_publish(
            actor=acting(world.owner, world.practice), summary="x", reconsent_purposes=[]
        )


def test_the_dpo_publishes_from_the_page(world, django_capture_on_commit_callbacks):
    dpo = client_for(world.dpo)
    assert dpo.get(reverse("dpo_policy")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        done = dpo.post(
            reverse("dpo_policy"), {"summary": "New sub-processor.", "reconsent_purposes": []}
        )
    assert done.status_code == 302
    notice = client_for(None).get(reverse("privacy_notice")).content.decode()
    assert "Version 1, published" in notice


# --- Cookie consent ---------------------------------------------------------------------------
@pytest.fixture
def analytics(settings):
    settings.CONSENT_SCRIPTS = {"analytics": "/static/test-analytics.js", "marketing": ""}


def test_no_banner_and_no_script_when_nothing_needs_consent(world, settings):
    settings.CONSENT_SCRIPTS = {"analytics": "", "marketing": ""}
    page = client_for(None).get(reverse("privacy_notice")).content.decode()
    assert "consent-banner" not in page


def test_the_banner_asks_and_no_script_loads_before_consent(world, analytics):
    visitor = client_for(None)
    page = visitor.get(reverse("privacy_notice")).content.decode()
    assert "consent-banner" in page and "test-analytics.js" not in page
    refused = visitor.post(
        reverse("cookie_settings"), {"action": "reject_all", "next": reverse("privacy_notice")}
    )
    assert refused.status_code == 302 and refused["Location"] == reverse("privacy_notice")
    page = visitor.get(reverse("privacy_notice")).content.decode()
    assert "consent-banner" not in page and "test-analytics.js" not in page
    visitor.post(reverse("cookie_settings"), {"action": "save", "analytics": "on"})
    page = visitor.get(reverse("privacy_notice")).content.decode()
    assert '<script src="/static/test-analytics.js" defer></script>' in page
    lines = ConsentRecord.objects.filter(purpose="cookies_analytics").order_by("pk")
    assert [line.given for line in lines] == [False, True]
    assert lines[0].visitor_id and lines[0].visitor_id == lines[1].visitor_id
    assert lines[0].method == "cookie_banner" and lines[1].method == "cookie_settings"


def test_a_forged_or_tampered_consent_cookie_counts_as_no_choice(world, analytics):
    visitor = client_for(None)
    visitor.cookies["consent"] = '{"c": {"analytics": true}}'
    page = visitor.get(reverse("privacy_notice")).content.decode()
    assert "consent-banner" in page and "test-analytics.js" not in page


def test_the_cookie_settings_refuse_unknown_next_urls(world, analytics):
    response = client_for(None).post(
        reverse("cookie_settings"), {"action": "accept_all", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("cookie_settings")


def test_a_changed_cookie_purpose_asks_again(world, analytics, django_capture_on_commit_callbacks):
    visitor = client_for(None)
    visitor.post(reverse("cookie_settings"), {"action": "accept_all"})
    assert "test-analytics.js" in visitor.get(reverse("privacy_notice")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.policy_publish(
            actor=acting(world.dpo, world.platform),
            summary="New analytics provider.",
            reconsent_purposes=["cookies_analytics"],
        )
    page = visitor.get(reverse("privacy_notice")).content.decode()
    assert "consent-banner" in page and "test-analytics.js" not in page
