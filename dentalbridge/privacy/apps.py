from django.apps import AppConfig
from django.db.backends.signals import connection_created


class PrivacyConfig(AppConfig):
    """The kernel every app stands on: the door to patient data, the principal, the policy and
    the audit log. It imports no domain app (the layer contract in pyproject.toml)."""

    name = "dentalbridge.privacy"
    label = "privacy"

    def ready(self) -> None:
        from dentalbridge.privacy import audit

        # SQLite's append-only triggers ask a function each connection must have (audit.py).
        connection_created.connect(audit.register_sqlite_guard, dispatch_uid="audit-guard")
