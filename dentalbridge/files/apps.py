from django.apps import AppConfig
from django.core import checks


class FilesConfig(AppConfig):
    name = "dentalbridge.files"
    label = "files"
    door_keeper = True  # its access.py may open the door to patient data (privacy.door)

    def ready(self):
        from dentalbridge.files import pages  # noqa: F401 — its sections of the patient pages
        from dentalbridge.files.record_files import RecordFiles
        from dentalbridge.patients.record_files import record_files_register

        # The purge and the patient's copy ask for the record's files (patients.record_files).
        record_files_register(RecordFiles())
        checks.register(check_master_keys, checks.Tags.security)
        from dentalbridge.core.workers import worker_upkeep
        from dentalbridge.files.tasks import worker_upkeep as files_upkeep

        # Every task worker cleans up after killed runs on its machine (files.tasks).
        worker_upkeep.connect(files_upkeep, dispatch_uid="files")


def check_master_keys(app_configs=None, **kwargs):
    """A malformed FILES_MASTER_KEYS stops the boot, not the first upload."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from dentalbridge.files.keys import _parse_ring

    if not settings.FILES_MASTER_KEYS:
        return []
    try:
        _parse_ring(settings.FILES_MASTER_KEYS)
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="files.E001")]
    return []
