"""Scheduled work on files (run by ``manage.py crontask``, executed by the workers)."""

from datetime import timedelta

from crontask import cron
from django.tasks import task
from django.utils import timezone

from dentalbridge.files import access, pipeline, uploads
from dentalbridge.privacy.principal import Purpose, SystemActor

# A file whose intake never started (no lease taken) is queued again after this long without
# news; one whose run held a lease is taken over as soon as the lease runs out.
STALLED_AFTER = timedelta(minutes=20)


@cron("15 * * * *")  # hourly
@task(queue_name="files")
def expire_uploads() -> dict:
    """Unfinished uploads past FILES_UPLOAD_EXPIRES_HOURS lose what arrived (FIL-1)."""
    return {"expired": uploads.uploads_expire()}


def stalled_assets_resume() -> int:
    """Start the intake again for files whose run stopped (a worker died mid-way: its lease ran
    out); every step is idempotent, so the new run finishes what the old one left, once."""
    now = timezone.now()
    stalled = access.assets_stalled(
        SystemActor(Purpose.STALLED_FILES), now, unleased_before=now - STALLED_AFTER
    )
    for asset in stalled:
        pipeline.process_asset.enqueue(asset.pk, asset.report.get("expected_sha256", ""))
    return len(stalled)


@cron("*/2 * * * *")
@task(queue_name="files")
def resume_stalled_assets() -> dict:
    """Every two minutes (and when a worker starts): stalled intakes start again, and the
    plaintext of runs that died on this machine is removed."""
    return {"resumed": stalled_assets_resume(), "work_removed": pipeline.sweep_work()}


def worker_upkeep(sender=None, *, starting: bool, **kwargs) -> None:
    """A worker starting or beating (``core.workers``): remove the plaintext of runs that died on
    this machine; at start, also take over the files whose run died with the previous worker."""
    pipeline.sweep_work()
    if starting:
        stalled_assets_resume()
