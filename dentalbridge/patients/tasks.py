from crontask import cron
from django.tasks import task

from dentalbridge.patients.retention import patients_purge_due


@cron("30 3 * * *")  # every night at 03:30 (server time zone)
@task
def purge_deleted_patients() -> dict:
    report = patients_purge_due()
    return {"purged": report.purged, "archives_removed": report.archives_removed}
