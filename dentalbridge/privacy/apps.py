from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """The kernel every app stands on: the door to patient data, the principal, the policy and
    the audit log. It imports no domain app (the layer contract in pyproject.toml)."""

    name = "dentalbridge.privacy"
    label = "privacy"
