"""Routes of messaging: notifications, their preferences, product news (COM-3)."""

from django.urls import path

from dentalbridge.messaging import views

urlpatterns = [
    path(
        "accounts/notifications/",
        views.notification_preferences,
        name="notification_preferences",
    ),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    # Product news: written by the platform's staff, one-click unsubscribe.
    path("newsletters/", views.newsletter_list, name="newsletter_list"),
    path(
        "newsletters/<uuid:newsletter_id>/send/",
        views.newsletter_send,
        name="newsletter_send",
    ),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
