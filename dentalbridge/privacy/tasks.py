"""Background work of the privacy core."""

from django.tasks import task


@task(queue_name="email")
def announce_policy(version_id: int) -> int:
    """Tell every account that the notice changed (PRV-9)."""
    from dentalbridge.privacy import services

    return services.policy_announce(version_id)
