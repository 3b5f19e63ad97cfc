"""A process of its own reading the audit key ring (test_audit_tamper.py): started with "spawn",
so it sets Django up itself and imports nothing before that."""


def ring_id(path: str) -> str:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.test import override_settings

    from dentalbridge.privacy import audit

    with override_settings(AUDIT_KEYS="", AUDIT_KEY_FILE=path):
        return audit.key_ring()[0][0]
