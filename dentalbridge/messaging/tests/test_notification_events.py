"""The notification events are a closed vocabulary in code (NotificationEvent), not choices on
the columns: an unknown event is refused where notifications are made and preferences saved, and
a new event needs no migration."""

import pytest
from django.core.management import call_command
from django.db import models
from django.urls import reverse

from conftest import client_for
from dentalbridge.messaging import models as messaging_models
from dentalbridge.messaging import notifications
from dentalbridge.messaging.models import (
    Notification,
    NotificationEvent,
    NotificationPreference,
    OutgoingEmail,
)

UNKNOWN = "order_teleported"


def test_an_unknown_event_is_refused_and_nothing_is_stored(world):
    with pytest.raises(ValueError, match=UNKNOWN):
        notifications.notify(
            event=UNKNOWN, order=None, organization=world.practice, recipients=[world.owner]
        )
    with pytest.raises(ValueError, match=UNKNOWN):
        notifications.notify_about(
            event=UNKNOWN,
            organization=world.practice,
            recipients=[world.owner],
            text=lambda: "Something happened.",
            link="/",
        )
    with pytest.raises(ValueError, match=UNKNOWN):
        notifications.preference_set(user=world.owner, event=UNKNOWN, channel="email", enabled=True)
    assert not Notification.objects.exists()
    assert not OutgoingEmail.objects.exists()
    assert not NotificationPreference.objects.exists()


def test_a_known_event_given_as_its_value_is_accepted(world):
    preference = notifications.preference_set(
        user=world.owner, event="order_shipped", channel="email", enabled=False
    )
    assert preference.event == NotificationEvent.ORDER_SHIPPED
    assert (preference.in_app, preference.email) == (True, False)


def test_the_event_columns_carry_no_choices():
    for model in (Notification, NotificationPreference):
        field = model._meta.get_field("event")
        assert not field.choices, f"{model.__name__}.event has choices again"
        assert "choices" not in field.deconstruct()[3]


@pytest.mark.django_db
def test_a_new_event_needs_no_migration(monkeypatch, world):
    extended = models.TextChoices(
        "NotificationEvent",
        [(event.name, (event.value, event.label)) for event in NotificationEvent]
        + [("ORDER_TELEPORTED", (UNKNOWN, "An order is teleported"))],
    )
    monkeypatch.setattr(messaging_models, "NotificationEvent", extended)
    monkeypatch.setattr(notifications, "NotificationEvent", extended)
    # The columns do not name the enum (test above), so the models the autodetector compares
    # with the migrations are the same with one event more: it exits 1 on any difference.
    call_command("makemigrations", "messaging", check=True, dry_run=True, verbosity=0)
    # And the new event is stored as it is.
    preference = notifications.preference_set(
        user=world.owner, event=UNKNOWN, channel="in_app", enabled=False
    )
    preference.refresh_from_db()
    assert preference.event == UNKNOWN


def test_the_preferences_page_shows_every_event_by_its_translated_label(world):
    world.dentist.language = "nl"
    world.dentist.save(update_fields=["language"])
    page = client_for(world.dentist).get(reverse("notification_preferences"))
    assert page.status_code == 200
    assert page["Content-Language"] == "nl"
    assert "Er komt een nieuwe opdracht binnen" in page.text  # "A new order arrives"
    for event in NotificationEvent:
        assert f'value="{event.value}:in_app"' in page.text
        assert f'value="{event.value}:email"' in page.text
