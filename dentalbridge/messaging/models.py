"""Notifications (ORD-4, COM-1): what a person is told in the app and by e-mail, their choices
per event and channel, and the e-mails on their way (retried until the mail server takes them).

Texts name orders by reference and patients by pseudonym only — never a patient's identity
(STYLE.md §9: e-mails and URLs carry no patient-identifying value).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dentalbridge.core.models import BaseModel


class NotificationEvent(models.TextChoices):
    """What a person can be told about: a closed vocabulary (STYLE.md §3), checked where
    notifications are made and preferences saved (``notifications``). The ``event`` columns
    store the value without ``choices``, so a new event is one line here and no migration; the
    preferences page lists the events with these labels."""

    ORDER_SUBMITTED = "order_submitted", _("A new order arrives")
    ORDER_ACCEPTED = "order_accepted", _("The lab accepts an order (order confirmation)")
    ORDER_DECLINED = "order_declined", _("The lab declines an order")
    INFO_REQUESTED = "info_requested", _("The lab asks for information")
    INFO_ANSWERED = "info_answered", _("The practice answers a question")
    DESIGN_READY = "design_ready", _("A design is ready for approval")
    DESIGN_APPROVED = "design_approved", _("The practice approves a design")
    CHANGES_REQUESTED = "changes_requested", _("The practice asks for design changes")
    ORDER_SHIPPED = "order_shipped", _("An order is shipped")
    ORDER_DELIVERED = "order_delivered", _("An order is delivered")
    ORDER_CANCELLED = "order_cancelled", _("The practice cancels an order")
    ORDER_OVERDUE = "order_overdue", _("An order risks running late")
    ORDER_MESSAGE = "order_message", _("A message on an order")
    ORDER_MENTION = "order_mention", _("Someone mentions you on an order")
    ORDER_ASSIGNED = "order_assigned", _("You are assigned to an order")
    DATA_REQUEST = "data_request", _("A data-protection request arrives or nears its deadline")
    SECURITY_INCIDENT = "security_incident", _("A security incident concerns your data")


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the app")
    EMAIL = "email", _("By e-mail")


class Notification(BaseModel):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    event = models.CharField(max_length=32)  # a NotificationEvent value
    text = models.CharField(max_length=300)
    link = models.CharField(max_length=200, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.text


class NotificationPreference(BaseModel):
    """One person's choice for one event; absent means the default (both channels on)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event = models.CharField(max_length=32)  # a NotificationEvent value
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="one_preference_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.event}"


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Gave up")
    WITHDRAWN = "withdrawn", _("Not sent: consent withdrawn")


class OutgoingEmail(BaseModel):
    """An e-mail rendered when its event happened, sent by a task; a failure is retried with a
    growing pause (``messaging.tasks.retry_emails``) until ``MAX_ATTEMPTS``."""

    to = models.EmailField()
    subject = models.CharField(max_length=300)
    text = models.TextField()
    html = models.TextField()
    status = models.CharField(
        max_length=12, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Mail that needs consent (a newsletter) names its purpose and recipient: the consent ledger
    # is asked again at the moment of sending, so a withdrawal stops mail already queued.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    purpose = models.CharField(max_length=40, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # An erasure receipt goes to an address that must not stay behind: wiped once sent.
    erase_after_sending = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class Newsletter(BaseModel):
    """Product news by e-mail (COM-3): written by the platform's staff, sent only to people who
    consented, each mail with a one-click unsubscribe link."""

    subject = models.CharField(_("subject"), max_length=200)
    text = models.TextField(_("text"), max_length=20000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject
