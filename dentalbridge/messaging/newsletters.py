"""Product news by e-mail (COM-3): only to people whose consent counts at the moment of sending,
each mail with a one-click unsubscribe link (RFC 8058) that withdraws the consent."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dentalbridge.core.errors import Conflict, Forbidden, NotFound
from dentalbridge.messaging.models import Newsletter, OutgoingEmail
from dentalbridge.messaging.notifications import enqueue_after_commit
from dentalbridge.privacy.policy import Perm
from dentalbridge.privacy.workflows import workflows

PURPOSE = "newsletter"
_SALT = "dentalbridge.unsubscribe"
# The words next to the checkbox, kept in the ledger with each choice.
CHECKBOX_TEXT = _(
    "E-mail me occasional news about new features of the platform. I can unsubscribe at any "
    "time, with one click in every e-mail."
)


def _staff(actor) -> None:
    organization = actor.organization
    if (
        organization is None
        or organization.kind != "platform"
        or not actor.may(Perm.NEWSLETTER_SEND)
    ):
        raise Forbidden(_("Only the platform's support staff write newsletters."))


def newsletter_create(*, actor, subject: str, text: str) -> Newsletter:
    _staff(actor)
    return Newsletter.objects.create(subject=subject, text=text, created_by=actor.user)


def newsletter_send(*, actor, newsletter_id) -> Newsletter:
    """Queue the sending; who receives it is decided by the task, from the ledger as it is then."""
    _staff(actor)
    with transaction.atomic():
        letter = Newsletter.objects.select_for_update().filter(public_id=newsletter_id).first()
        if letter is None:
            raise NotFound()
        if letter.sent_at is not None:
            raise Conflict(_("This newsletter was sent already."), code="already_sent")
        letter.sent_at = timezone.now()
        letter.save(update_fields=["sent_at", "updated_at"])
        from dentalbridge.messaging.tasks import send_newsletter

        transaction.on_commit(lambda: send_newsletter.enqueue(letter.pk))
    return letter


def unsubscribe_token(user) -> str:
    return signing.dumps({"u": str(user.public_id), "p": PURPOSE}, salt=_SALT, compress=True)


def unsubscribe_url(user) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("unsubscribe", args=[unsubscribe_token(user)])


def user_for_token(token: str):
    """The user an unsubscribe link was made for; None for a forged or mangled link. Links do not
    expire: an old newsletter must still unsubscribe."""
    try:
        value = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or value.get("p") != PURPOSE or value.get("u") is None:
        return None
    return get_user_model().objects.filter(public_id=value["u"], is_active=True).first()


def unsubscribe(user, *, ip=None, user_agent: str = "") -> bool:
    """Withdraw the newsletter consent; False if there was none to withdraw."""
    if not workflows().has_consent(user, PURPOSE):
        return False
    workflows().consent_withdraw(
        user, PURPOSE, how="unsubscribe", text_shown=_("Unsubscribe"), ip=ip, user_agent=user_agent
    )
    return True


def deliver(newsletter_id: int) -> int:
    """Store one e-mail per consenting person and queue them. Each is checked against the
    ledger again when it is sent."""
    letter = Newsletter.objects.get(pk=newsletter_id)
    users = get_user_model().objects.filter(
        pk__in=workflows().users_consenting(PURPOSE), is_active=True
    )
    emails = []
    for user in users:
        url = unsubscribe_url(user)
        with translation.override(user.language or settings.LANGUAGE_CODE):
            context = {"letter": letter, "unsubscribe_url": url}
            emails.append(
                OutgoingEmail(
                    to=user.email,
                    subject=letter.subject,
                    text=render_to_string("messaging/email/newsletter.txt", context),
                    html=render_to_string("messaging/email/newsletter.html", context),
                    user=user,
                    purpose=PURPOSE,
                    headers={
                        "List-Unsubscribe": f"<{url}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    },
                )
            )
    with transaction.atomic():
        OutgoingEmail.objects.bulk_create(emails)
        Newsletter.objects.filter(pk=letter.pk).update(recipients=len(emails))
        enqueue_after_commit(email.pk for email in emails)
    return len(emails)
