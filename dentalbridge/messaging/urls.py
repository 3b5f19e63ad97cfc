"""Routes of messaging: notifications, their preferences, product news (COM-3)."""

from dentalbridge.core.routes import page
from dentalbridge.messaging import views

urlpatterns = [
    page("accounts/notifications/", views.notification_preferences),
    page("notifications/", views.notification_list),
    page("notifications/read/", views.notifications_read),
    # Product news: written by the platform's staff, one-click unsubscribe.
    page("newsletters/", views.newsletter_list),
    page("newsletters/<uuid:newsletter_id>/send/", views.newsletter_send),
    page("unsubscribe/<str:token>/", views.unsubscribe),
]
