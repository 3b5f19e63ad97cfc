from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "dentalbridge.privacy"
    label = "privacy"
