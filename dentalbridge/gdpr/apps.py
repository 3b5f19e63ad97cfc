from django.apps import AppConfig
from django.core import checks


class GdprConfig(AppConfig):
    """The GDPR workflows, above the domain apps: the processing register and what it drives
    (notice, Art. 30 record, retention), consent, data-subject requests, erasure, breaches and the
    DPO's workspace."""

    name = "dentalbridge.gdpr"
    label = "gdpr"
    door_keeper = True  # its access.py may open the door to patient data (privacy.door)

    def ready(self):
        from dentalbridge.gdpr import (
            pages,  # noqa: F401 — its sections of the patient pages
            purposes,
        )
        from dentalbridge.gdpr.interface import GdprWorkflows
        from dentalbridge.privacy import workflows

        checks.register(_retention_overrides_check, checks.Tags.compatibility)
        workflows.provide(GdprWorkflows())
        # Each app declares its personal-data fields in its own register.py.
        purposes.collect_app_declarations()


def _retention_overrides_check(app_configs, **kwargs):
    from dentalbridge.gdpr.purposes import check_overrides

    return [checks.Error(problem, id="privacy.E001") for problem in check_overrides()]
