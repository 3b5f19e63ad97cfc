"""Telling people what happened to their orders (ORD-4): in the app at once, by e-mail through
the task queue. Each person chooses per event and channel (default: both). Rendering happens in
the recipient's language; sending never blocks or fails the request that caused it."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dentalbridge.messaging.models import (
    Channel,
    EmailStatus,
    Notification,
    NotificationEvent,
    NotificationPreference,
    OutgoingEmail,
)
from dentalbridge.privacy.workflows import workflows

MAX_ATTEMPTS = 8
E = NotificationEvent

# What each order step tells, and to which side.
STEP_EVENTS = {
    "submit": (E.ORDER_SUBMITTED, "lab"),
    "accept": (E.ORDER_ACCEPTED, "practice"),
    "decline": (E.ORDER_DECLINED, "practice"),
    "request_info": (E.INFO_REQUESTED, "practice"),
    "answer_info": (E.INFO_ANSWERED, "lab"),
    "submit_design": (E.DESIGN_READY, "practice"),
    "approve_design": (E.DESIGN_APPROVED, "lab"),
    "request_changes": (E.CHANGES_REQUESTED, "lab"),
    "ship": (E.ORDER_SHIPPED, "practice"),
    "deliver": (E.ORDER_DELIVERED, "lab"),
    "cancel": (E.ORDER_CANCELLED, "lab"),
}


def _text(event: str, order) -> str:
    values = {"reference": order.reference, "pseudonym": order.pseudonym}
    texts = {
        E.ORDER_SUBMITTED: _("New order %(reference)s for %(pseudonym)s."),
        E.ORDER_ACCEPTED: _(
            "Order %(reference)s (%(pseudonym)s) is accepted; return date %(date)s."
        ),
        E.ORDER_DECLINED: _("Order %(reference)s (%(pseudonym)s) was declined."),
        E.INFO_REQUESTED: _("The lab asks about order %(reference)s (%(pseudonym)s)."),
        E.INFO_ANSWERED: _("The practice answered on order %(reference)s (%(pseudonym)s)."),
        E.DESIGN_READY: _(
            "The design of order %(reference)s (%(pseudonym)s) awaits your approval."
        ),
        E.DESIGN_APPROVED: _("The design of order %(reference)s (%(pseudonym)s) is approved."),
        E.CHANGES_REQUESTED: _(
            "Changes asked for the design of order %(reference)s (%(pseudonym)s)."
        ),
        E.ORDER_SHIPPED: _("Order %(reference)s (%(pseudonym)s) is shipped."),
        E.ORDER_DELIVERED: _("Order %(reference)s (%(pseudonym)s) is delivered."),
        E.ORDER_CANCELLED: _("Order %(reference)s (%(pseudonym)s) was cancelled."),
        E.ORDER_OVERDUE: _("Order %(reference)s (%(pseudonym)s) risks being late: due %(date)s."),
        E.ORDER_MESSAGE: _("New message on order %(reference)s (%(pseudonym)s)."),
        E.ORDER_MENTION: _("You are mentioned on order %(reference)s (%(pseudonym)s)."),
        E.ORDER_ASSIGNED: _("You are assigned to order %(reference)s (%(pseudonym)s)."),
    }
    day = order.confirmed_due_date or order.due_date
    values["date"] = day.isoformat() if day else "—"
    return texts[NotificationEvent(event)] % values


def known_event(event: str) -> NotificationEvent:
    """The event, refused (ValueError) unless it is a ``NotificationEvent``: the database column
    has no choices to do it."""
    return NotificationEvent(event)


def preferences_of(users, event: str) -> dict:
    """{user pk: (in_app, email)} for ``event``; one query."""
    found = {
        p.user_id: (p.in_app, p.email)
        for p in NotificationPreference.objects.filter(user__in=[u.pk for u in users], event=event)
    }
    return {u.pk: found.get(u.pk, (True, True)) for u in users}


def notify(*, event: str, order, organization, recipients, actor_user=None) -> int:
    """In-app notifications now (in the caller's transaction) and e-mails queued after commit,
    each as its recipient wants; the person who acted is not told about their own act."""
    event = known_event(event)
    recipients = [u for u in {u.pk: u for u in recipients}.values() if u != actor_user]
    if not recipients:
        return 0
    wanted = preferences_of(recipients, event)
    link = reverse("order_detail", args=[order.public_id])
    in_app, emails = [], []
    for user in recipients:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            text = _text(event, order)
            want_app, want_mail = wanted[user.pk]
            if want_app:
                in_app.append(
                    Notification(
                        recipient=user, organization=organization, event=event, text=text, link=link
                    )
                )
            if want_mail and user.email:
                context = {
                    "text": text,
                    "url": settings.SITE_URL.rstrip("/") + link,
                    "organization": organization.name,
                    "reference": order.reference,
                }
                emails.append(
                    OutgoingEmail(
                        to=user.email,
                        subject=" ".join(
                            render_to_string("messaging/email/order_subject.txt", context).split()
                        ),
                        text=render_to_string("messaging/email/order.txt", context),
                        html=render_to_string("messaging/email/order.html", context),
                    )
                )
    Notification.objects.bulk_create(in_app)
    OutgoingEmail.objects.bulk_create(emails)
    if emails:
        ids = [email.pk for email in emails]
        transaction.on_commit(lambda: _enqueue(ids))
    return len(in_app) + len(emails)


def notify_about(*, event: str, organization, recipients, text, link: str) -> int:
    """Like ``notify`` for things other than orders: ``text`` is a callable giving the words in
    the active language (it is called once per recipient, in their language)."""
    event = known_event(event)
    recipients = list({u.pk: u for u in recipients}.values())
    if not recipients:
        return 0
    wanted = preferences_of(recipients, event)
    in_app, emails = [], []
    for user in recipients:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            words = str(text())
            want_app, want_mail = wanted[user.pk]
            if want_app:
                in_app.append(
                    Notification(
                        recipient=user,
                        organization=organization,
                        event=event,
                        text=words[:300],
                        link=link,
                    )
                )
            if want_mail and user.email:
                context = {
                    "text": words,
                    "url": settings.SITE_URL.rstrip("/") + link,
                    "organization": organization.name,
                }
                emails.append(
                    OutgoingEmail(
                        to=user.email,
                        subject=words[:120],
                        text=render_to_string("messaging/email/notice.txt", context),
                        html=render_to_string("messaging/email/notice.html", context),
                    )
                )
    Notification.objects.bulk_create(in_app)
    OutgoingEmail.objects.bulk_create(emails)
    enqueue_after_commit(email.pk for email in emails)
    return len(in_app) + len(emails)


def _enqueue(ids) -> None:
    from dentalbridge.messaging.tasks import send_email

    for pk in ids:
        send_email.enqueue(pk)


def email_deliver(email_id: int) -> str:
    """Send one queued e-mail. A failure is recorded and retried later with a growing pause;
    it never raises, so a broken mail server cannot fail whatever queued the mail."""
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.status != EmailStatus.PENDING:
            return "skipped"
        if email.purpose and not workflows().has_consent(email.user, email.purpose):
            # Withdrawn since the mail was queued (PRV-2): it counts from that moment on.
            email.status = EmailStatus.WITHDRAWN
            email.next_attempt_at = None
            email.save(update_fields=["status", "next_attempt_at"])
            return "withdrawn"
        message = EmailMultiAlternatives(
            subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + email.subject,
            body=email.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email.to],
            headers=email.headers or None,
        )
        message.attach_alternative(email.html, "text/html")
        email.attempts += 1
        try:
            message.send()
        except Exception as error:
            email.last_error = f"{type(error).__name__}: {error}"[:300]
            if email.attempts >= MAX_ATTEMPTS:
                email.status = EmailStatus.FAILED
                email.next_attempt_at = None
                _wipe_if_asked(email)
            else:
                email.next_attempt_at = timezone.now() + retry_pause(email.attempts)
            email.save()
            return "retry" if email.status == EmailStatus.PENDING else "failed"
        email.status = EmailStatus.SENT
        email.sent_at = timezone.now()
        email.next_attempt_at = None
        _wipe_if_asked(email)
        email.save()
        return "sent"


def _wipe_if_asked(email: OutgoingEmail) -> None:
    """Done with an e-mail that must leave nothing behind (an erasure receipt)."""
    if email.erase_after_sending:
        email.to = ""
        email.subject = ""
        email.text = ""
        email.html = ""
        email.last_error = email.last_error[:60] if email.status == EmailStatus.FAILED else ""


def enqueue_after_commit(ids) -> None:
    """Send these stored e-mails once the transaction that stored them commits."""
    ids = list(ids)
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))


def retry_pause(attempts: int) -> timedelta:
    """1, 2, 4, … minutes, at most 4 hours."""
    return timedelta(minutes=min(2 ** (attempts - 1), 240))


def emails_due(now=None) -> list[int]:
    now = now or timezone.now()
    return list(
        OutgoingEmail.objects.filter(status=EmailStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )


def preference_set(*, user, event: str, channel: str, enabled: bool) -> NotificationPreference:
    event = known_event(event)
    channel = Channel(channel)
    preference, _created = NotificationPreference.objects.get_or_create(user=user, event=event)
    setattr(preference, "in_app" if channel == Channel.IN_APP else "email", enabled)
    preference.save(update_fields=["in_app", "email", "updated_at"])
    return preference


def notifications_mark_read(*, user, ids=None) -> int:
    unread = Notification.objects.filter(recipient=user, read_at=None)
    if ids is not None:
        unread = unread.filter(public_id__in=list(ids))
    return unread.update(read_at=timezone.now())


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).count()
