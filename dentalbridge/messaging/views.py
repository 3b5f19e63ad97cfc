"""The person's notifications (in-app) and their choices per event and channel (ORD-4); product
news for those who asked for it, and its one-click unsubscribe (COM-3)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dentalbridge.core.errors import Conflict, NotFound
from dentalbridge.core.http import client_of, domain_view
from dentalbridge.core.refusals import refusal_as_message
from dentalbridge.messaging import newsletters, notifications
from dentalbridge.messaging.forms import NewsletterForm
from dentalbridge.messaging.models import Channel, Newsletter, Notification, NotificationEvent
from dentalbridge.privacy.policy import Perm
from dentalbridge.privacy.workflows import workflows


@login_required
@require_GET
def notification_list(request):
    """One's own notifications only (whatever organization they came from), newest first."""
    page = Paginator(
        Notification.objects.filter(recipient=request.user).select_related("organization"), 50
    ).get_page(request.GET.get("page"))
    return render(request, "messaging/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_read(request):
    count = notifications.notifications_mark_read(user=request.user)
    messages.success(
        request,
        ngettext("%(n)d notification marked as read.", "%(n)d notifications marked as read.", count)
        % {"n": count},
    )
    return redirect("notification_list")


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request):
    """A table of events and channels; every box not ticked is switched off."""
    events = NotificationEvent.choices
    if request.method == "POST":
        chosen = set(request.POST.getlist("on"))
        for event, _label in events:
            for channel in Channel.values:
                notifications.preference_set(
                    user=request.user,
                    event=event,
                    channel=channel,
                    enabled=f"{event}:{channel}" in chosen,
                )
        messages.success(request, _("Your notification choices are saved."))
        return redirect("notification_preferences")
    current = {
        event: notifications.preferences_of([request.user], event)[request.user.pk]
        for event, _label in events
    }
    rows = [(event, label, *current[event]) for event, label in events]
    return render(request, "messaging/preferences.html", {"rows": rows})


# --- Newsletters (COM-3) ----------------------------------------------------------------------
@domain_view
@require_http_methods(["GET", "POST"])
def newsletter_list(request):
    """The platform's support staff write product news and send it to those who consented."""
    if not _newsletter_staff(request.principal):
        raise NotFound()
    form = NewsletterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        newsletters.newsletter_create(actor=request.principal, **form.cleaned_data)
        messages.success(request, _("Draft saved. Check it, then send it."))
        return redirect("newsletter_list")
    return render(
        request,
        "messaging/newsletters.html",
        {
            "form": form,
            "letters": Newsletter.objects.all()[:50],
            "consenting": len(workflows().users_consenting(newsletters.PURPOSE)),
        },
    )


def _newsletter_staff(principal) -> bool:
    organization = principal.organization
    return (
        organization is not None
        and organization.kind == "platform"
        and principal.may(Perm.NEWSLETTER_SEND)
    )


@domain_view
@require_POST
def newsletter_send(request, newsletter_id):
    if not _newsletter_staff(request.principal):
        raise NotFound()
    with refusal_as_message(request, Conflict):
        letter = newsletters.newsletter_send(actor=request.principal, newsletter_id=newsletter_id)
        messages.success(request, _("“%(subject)s” is being sent.") % {"subject": letter.subject})
    return redirect("newsletter_list")


@csrf_exempt  # the link in an e-mail, and mail clients' one-click POST (RFC 8058), carry no token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """One click (a button, or the mail client's List-Unsubscribe-Post) withdraws the consent.
    A GET only shows the button, so link scanners in mail systems cannot unsubscribe anyone."""
    user = newsletters.user_for_token(token)
    if user is None:
        return render(request, "messaging/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        ip, user_agent = client_of(request)
        newsletters.unsubscribe(user, ip=ip, user_agent=user_agent)
        return render(request, "messaging/unsubscribe.html", {"done": True})
    return render(request, "messaging/unsubscribe.html", {"token": token})
