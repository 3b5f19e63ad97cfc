"""Seed the shared implant library (ORD-5) from orders/implant_catalogue.py. Reversing removes
only the shared rows this migration added (labs' own additions stay)."""

from decimal import Decimal

from django.db import migrations


def seed(apps, schema_editor):
    from dentalbridge.orders.implant_catalogue import CATALOGUE

    manufacturer_model = apps.get_model("orders", "ImplantManufacturer")
    system_model = apps.get_model("orders", "ImplantSystem")
    platform_model = apps.get_model("orders", "ImplantPlatform")
    for maker_name, systems in CATALOGUE:
        maker, _created = manufacturer_model.objects.get_or_create(
            name=maker_name, organization=None
        )
        for system_name, platforms in systems:
            system, _created = system_model.objects.get_or_create(
                manufacturer=maker, name=system_name, organization=None
            )
            for platform_name, diameter in platforms:
                platform_model.objects.get_or_create(
                    system=system,
                    name=platform_name,
                    organization=None,
                    defaults={"diameter": Decimal(diameter) if diameter else None},
                )


def unseed(apps, schema_editor):
    from dentalbridge.orders.implant_catalogue import CATALOGUE

    manufacturer_model = apps.get_model("orders", "ImplantManufacturer")
    manufacturer_model.objects.filter(
        organization=None, name__in=[name for name, _systems in CATALOGUE]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_orders")]

    operations = [migrations.RunPython(seed, unseed)]
