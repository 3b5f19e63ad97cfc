"""Background work of the privacy core."""

from crontask import cron
from django.tasks import task


@task(queue_name="email")
def announce_policy(version_id: int) -> int:
    """Tell every account that the notice changed (PRV-9)."""
    from dentalbridge.gdpr import services

    return services.policy_announce(version_id)


@cron("0 8 * * *")  # every morning
@task()
def remind_data_requests() -> int:
    """Tell the controllers' privacy contacts of requests nearing or past their deadline."""
    from dentalbridge.gdpr import erasure, requests

    return requests.reminders_due() + erasure.instruction_reminders()


@cron("15 3 * * *")  # every night, before the patient purge at 03:30
@task()
def run_retention() -> dict:
    """Delete what the processing register says has been kept long enough (PRV-5)."""
    from dentalbridge.gdpr import retention

    done = retention.run()
    return {"run": done.pk, "deleted": sum(e["deleted"] or 0 for e in done.report)}
