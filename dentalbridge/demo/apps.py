from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Fictional demo data for `make run` (manage.py seed_demo): it uses every app's services, so
    it sits above them all."""

    name = "dentalbridge.demo"
    label = "demo"
