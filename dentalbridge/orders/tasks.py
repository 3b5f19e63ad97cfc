"""Scheduled work on orders (run by ``manage.py crontask``, executed by the workers)."""

from crontask import cron
from django.tasks import task

from dentalbridge.orders import services


@cron("0 7 * * *")  # every morning, before the labs start
@task()
def alert_late_orders() -> dict:
    """Both sides hear of orders at risk of running late (ORD-7)."""
    return {"alerted": services.orders_alert_late()}
