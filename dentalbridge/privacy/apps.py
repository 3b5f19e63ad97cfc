from django.apps import AppConfig
from django.core import checks


class PrivacyConfig(AppConfig):
    name = "dentalbridge.privacy"
    label = "privacy"

    def ready(self):
        checks.register(_retention_overrides_check, checks.Tags.compatibility)


def _retention_overrides_check(app_configs, **kwargs):
    from dentalbridge.privacy.purposes import check_overrides

    return [checks.Error(problem, id="privacy.E001") for problem in check_overrides()]
