"""Scheduled work of the kernel (run by ``manage.py crontask``, executed by the workers)."""

from crontask import cron
from django.tasks import task

from dentalbridge.privacy import audit


@cron("*/10 * * * *")  # type: ignore[untyped-decorator]  # crontask ships no types
@task()
def audit_checkpoint() -> dict[str, int | None]:
    """Every ten minutes the audit log's last seq and hash go, signed, outside the database
    (``AUDIT_CHECKPOINT_FILE``): rows cut off after a checkpoint are then missed by verify."""
    checkpoint = audit.write_checkpoint()
    return {"seq": checkpoint.seq if checkpoint else None}
