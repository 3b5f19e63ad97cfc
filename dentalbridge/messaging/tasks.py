"""Mail on the task queue: immediate transactional mail, and notification e-mails that are
retried until the mail server takes them (ORD-4)."""

from crontask import cron
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task


@task(queue_name="email")
def deliver_email(*, to: list[str], subject: str, text: str, html: str) -> int:
    message = EmailMultiAlternatives(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
    )
    message.attach_alternative(html, "text/html")
    return message.send()


@task(queue_name="email")
def send_email(email_id: int) -> str:
    from dentalbridge.messaging import notifications

    return notifications.email_deliver(email_id)


@cron("* * * * *")  # every minute
@task(queue_name="email")
def retry_emails() -> dict:
    """E-mails whose sending failed, due for another attempt."""
    from dentalbridge.messaging import notifications

    due = notifications.emails_due()
    for pk in due:
        send_email.enqueue(pk)
    return {"retried": len(due)}


@task(queue_name="email")
def send_newsletter(newsletter_id: int) -> int:
    """One newsletter to everyone whose consent counts now (COM-3)."""
    from dentalbridge.messaging import newsletters

    return newsletters.deliver(newsletter_id)
