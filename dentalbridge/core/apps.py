from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dentalbridge.core"
    label = "core"
