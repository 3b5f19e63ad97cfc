"""Background work of the privacy core."""

from crontask import cron
from django.tasks import task


@task(queue_name="email")
def announce_policy(version_id: int) -> int:
    """Tell every account that the notice changed (PRV-9)."""
    from dentalbridge.privacy import services

    return services.policy_announce(version_id)


@cron("0 8 * * *")  # every morning
@task()
def remind_data_requests() -> int:
    """Tell the controllers' privacy contacts of requests nearing or past their deadline."""
    from dentalbridge.privacy import requests

    return requests.reminders_due()
