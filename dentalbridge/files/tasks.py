"""Scheduled work on files (run by ``manage.py crontask``, executed by the workers)."""

from datetime import timedelta

from crontask import cron
from django.tasks import task
from django.utils import timezone

from dentalbridge.files import access, pipeline, uploads
from dentalbridge.privacy.principal import Purpose, SystemActor

STALLED_AFTER = timedelta(minutes=20)
WORK_KEPT_FOR = timedelta(hours=2)  # longer than any intake task runs


@cron("15 * * * *")  # hourly
@task(queue_name="files")
def expire_uploads() -> dict:
    """Unfinished uploads past FILES_UPLOAD_EXPIRES_HOURS lose what arrived (FIL-1)."""
    return {"expired": uploads.uploads_expire()}


@cron("*/10 * * * *")
@task(queue_name="files")
def resume_stalled_assets() -> dict:
    """Files whose intake stopped (a worker died mid-way) are processed again; every step is
    idempotent, so the new run finishes what the old one left."""
    stalled = access.assets_stalled(
        SystemActor(Purpose.STALLED_FILES), timezone.now() - STALLED_AFTER
    )
    for asset in stalled:
        pipeline.process_asset.enqueue(asset.pk, asset.report.get("expected_sha256", ""))
    return {"resumed": len(stalled), "work_removed": pipeline.sweep_work(WORK_KEPT_FOR)}
