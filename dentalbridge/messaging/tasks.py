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
