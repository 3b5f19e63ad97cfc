"""The person's notifications (in-app) and their choices per event and channel (ORD-4)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dentalbridge.messaging import notifications
from dentalbridge.messaging.models import Channel, Notification, NotificationEvent


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
