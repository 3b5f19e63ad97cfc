"""Seed the shared implant library (ORD-5) from orders/implant_catalogue.py. Reversing removes
only the shared rows this migration added (labs' own additions stay)."""

from django.db import migrations


def seed(apps, schema_editor):
    from dentalbridge.orders.implant_catalogue import seed as add_catalogue

    add_catalogue(
        apps.get_model("orders", "ImplantManufacturer"),
        apps.get_model("orders", "ImplantSystem"),
        apps.get_model("orders", "ImplantPlatform"),
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
