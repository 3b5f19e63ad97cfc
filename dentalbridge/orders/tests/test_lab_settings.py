"""The lab's calendar and catalogue page (ORD-7, ORD-8): the manager sets working days, the
holiday region, closures, lead times, capacity and the remake policy; return dates follow."""

from datetime import date

import pytest
from django.urls import reverse

from conftest import acting, client_for
from dentalbridge.core.errors import Forbidden, NotFound, ValidationFailed
from dentalbridge.orders import selectors, services
from dentalbridge.orders.models import LabClosure, LabProduct
from dentalbridge.organizations.models import Membership


def _manager(world):
    return client_for(world.manager, membership=Membership.objects.get(user=world.manager))


def _settings(**changes):
    data = {
        "weekdays": ["0", "1", "2", "3", "4", "5"],
        "holiday_region": "",
        "default_lead_days": "4",
        "daily_capacity": "12",
        "late_alert_days": "2",
        "remake_warranty_days": "730",
        "policy-shade": "lab",
    }
    data.update(changes)
    return data


def test_the_manager_sets_the_calendar_and_return_dates_follow(world):
    client = _manager(world)
    page = client.get(reverse("lab_settings"))
    assert page.status_code == 200 and "Calendar and catalogue" in page.text
    assert client.post(reverse("lab_settings"), _settings()).status_code == 302
    settings = selectors.lab_settings(world.lab)
    assert settings.weekdays == [0, 1, 2, 3, 4, 5] and settings.daily_capacity == 12
    assert settings.remake_policy["shade"] == "lab"
    calendar = selectors.lab_calendar(world.lab)
    assert calendar.is_open(date(2026, 11, 28))  # a Saturday now
    response = client.post(
        reverse("lab_closure_add"),
        {"first_day": "2026-12-28", "last_day": "2026-12-31", "reason": "Winter break"},
    )
    assert response.status_code == 302
    assert selectors.lab_calendar(world.lab).closed_because(date(2026, 12, 29)) == "Winter break"
    client.post(
        reverse("lab_product_add"),
        {"restoration_type": "crown", "material": "zirconia", "lead_days": "6"},
    )
    assert selectors.lab_materials(world.lab, "crown") == {"zirconia"}
    product = LabProduct.objects.get(lab=world.lab)
    client.post(reverse("lab_product_remove", args=[product.public_id]))
    closure = LabClosure.objects.get(lab=world.lab)
    client.post(reverse("lab_closure_remove", args=[closure.public_id]))
    assert not LabProduct.objects.exists() and not LabClosure.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weekdays": []}, "weekdays"),
        ({"holiday_region": "XX"}, "holiday_region"),
        ({"default_lead_days": "-1"}, "default_lead_days"),
        ({"default_lead_days": "many"}, "default_lead_days"),
        ({"daily_capacity": "0"}, "daily_capacity"),
        ({"policy-fit": "the moon"}, "remake_policy"),
    ],
)
def test_bad_settings_are_refused_and_nothing_changes(world, changes, field):
    response = _manager(world).post(reverse("lab_settings"), _settings(**changes))
    assert response.status_code == 400
    assert selectors.lab_settings(world.lab).pk is None  # nothing saved


def test_a_holiday_region_is_used(world):
    services.lab_settings_update(
        actor=acting(world.manager, world.lab),
        weekdays=[0, 1, 2, 3, 4],
        holiday_region="",
        default_lead_days=5,
        daily_capacity=None,
        late_alert_days=1,
        remake_warranty_days=365,
        remake_policy={},
    )
    world.lab.country = "DE"
    world.lab.save()
    calendar = selectors.lab_calendar(world.lab)
    assert calendar.is_open(date(2026, 1, 6))  # Epiphany is not a holiday in all of Germany
    services.lab_settings_update(
        actor=acting(world.manager, world.lab),
        weekdays=[0, 1, 2, 3, 4],
        holiday_region="by",
        default_lead_days=5,
        daily_capacity=None,
        late_alert_days=1,
        remake_warranty_days=365,
        remake_policy={},
    )
    assert not selectors.lab_calendar(world.lab).is_open(date(2026, 1, 6))  # it is in Bavaria


def test_closures_are_checked(world):
    manager = acting(world.manager, world.lab)
    with pytest.raises(ValidationFailed):
        services.lab_closure_add(actor=manager, first_day="2026-12-31", last_day="2026-12-01")
    with pytest.raises(ValidationFailed):
        services.lab_closure_add(actor=manager, first_day="2026-01-01", last_day="2028-01-01")
    with pytest.raises(ValidationFailed):
        services.lab_closure_add(actor=manager, first_day="soon")


def test_only_the_labs_manager_edits_its_settings(world):
    with pytest.raises(Forbidden):
        services.lab_closure_add(actor=acting(world.technician, world.lab), first_day="2026-12-24")
    with pytest.raises(NotFound):
        services.lab_closure_add(actor=acting(world.owner, world.practice), first_day="2026-12-24")
    theirs = services.lab_closure_add(
        actor=acting(world.other_manager, world.other_lab), first_day="2026-12-24"
    )
    with pytest.raises(NotFound):
        services.lab_closure_remove(
            actor=acting(world.manager, world.lab), closure_id=theirs.public_id
        )
