"""The implant library (ORD-5): shared, kept by the platform, extended by each lab for itself;
a practice sees the additions of the lab it orders from."""

from decimal import Decimal

import pytest
from django.urls import reverse

from conftest import acting, client_for
from dentalbridge.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dentalbridge.orders import selectors, services
from dentalbridge.orders.models import ImplantPlatform
from dentalbridge.orders.tests.conftest import crown, draft_order
from dentalbridge.organizations.models import Membership


def _names(lab=None):
    return {
        (m.name, s.name, p.name)
        for m in selectors.implant_library(lab)
        for s in m.systems.all()
        for p in s.platforms.all()
    }


def test_a_lab_extends_a_shared_system_for_itself(world, platform):
    manager = acting(world.manager, world.lab)
    added = services.implant_add(
        actor=manager,
        manufacturer="straumann",
        system="BONE LEVEL TAPERED (BLT)",
        platform="XL",
        diameter="6,5",
    )
    assert added.system.organization is None  # the shared system, found whatever the case
    assert added.diameter == Decimal("6.5")
    assert ("Straumann", "Bone Level Tapered (BLT)", "XL") in _names(world.lab)
    assert ("Straumann", "Bone Level Tapered (BLT)", "XL") not in _names(world.other_lab)
    assert ("Straumann", "Bone Level Tapered (BLT)", "XL") not in _names()
    services.implant_add(actor=manager, manufacturer="Acme Dental", system="Root", platform="Ø4.0")
    assert ("Acme Dental", "Root", "Ø4.0") in _names(world.lab)
    with pytest.raises(ValidationFailed, match="already has"):
        services.implant_add(
            actor=manager, manufacturer="Acme Dental", system="Root", platform="ø4.0"
        )
    with pytest.raises(ValidationFailed):
        services.implant_add(
            actor=manager, manufacturer="Acme", system="Root", platform="W", diameter="40"
        )
    with pytest.raises(ValidationFailed):
        services.implant_add(actor=manager, manufacturer="", system="Root", platform="W")


def test_the_platform_keeps_the_shared_library(world, platform):
    dpo = acting(world.dpo, world.platform)
    services.implant_add(
        actor=dpo, manufacturer="Nobel Biocare", system="NobelPearl", platform="RP"
    )
    assert ("Nobel Biocare", "NobelPearl", "RP") in _names()
    assert ("Nobel Biocare", "NobelPearl", "RP") in _names(world.other_lab)
    with pytest.raises(Forbidden):
        services.implant_add(
            actor=acting(world.technician, world.lab), manufacturer="A", system="B", platform="C"
        )
    with pytest.raises(Forbidden):
        services.implant_add(
            actor=acting(world.owner, world.practice), manufacturer="A", system="B", platform="C"
        )


def test_a_practice_orders_with_its_labs_own_platform_and_it_stays_while_used(world, patient):
    own = services.implant_add(
        actor=acting(world.manager, world.lab), manufacturer="Acme", system="Root", platform="RP"
    )
    order = draft_order(
        world,
        patient,
        items=[
            crown(restoration_type="implant_crown", teeth=[36], implant_platform=str(own.public_id))
        ],
    )
    assert order.pk
    with pytest.raises(NotFound):
        services.implant_platform_remove(
            actor=acting(world.other_manager, world.other_lab), platform_id=own.public_id
        )
    with pytest.raises(Conflict, match="Orders use this platform"):
        services.implant_platform_remove(
            actor=acting(world.manager, world.lab), platform_id=own.public_id
        )
    assert ImplantPlatform.objects.filter(pk=own.pk).exists()


def test_the_library_page(world, platform):
    manager = client_for(world.manager, membership=Membership.objects.get(user=world.manager))
    page = manager.get(reverse("implant_library"))
    assert page.status_code == 200 and "Straumann" in page.text and "Add a platform" in page.text
    response = manager.post(
        reverse("implant_library"),
        {"manufacturer": "Acme", "system": "Root", "platform": "NP", "diameter": "3.5"},
    )
    assert response.status_code == 302
    own = ImplantPlatform.objects.get(organization=world.lab)
    assert manager.post(reverse("implant_remove", args=[own.public_id])).status_code == 302
    assert not ImplantPlatform.objects.filter(organization=world.lab).exists()
    dentist = client_for(world.dentist, membership=Membership.objects.get(user=world.dentist))
    page = dentist.get(reverse("implant_library"))
    assert page.status_code == 200 and "Add a platform" not in page.text
