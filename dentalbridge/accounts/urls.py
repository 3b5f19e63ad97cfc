"""Routes of accounts: our own account pages (allauth's are wired in config/urls.py) and me/.

``urlpatterns`` are HTML pages; ``api_urlpatterns`` are mounted under ``api/v1/``.
"""

from django.urls import path

from dentalbridge.accounts import views
from dentalbridge.accounts.api import MeView

# Sign-up/in, e-mail, password, 2FA and sessions are allauth's (ACC-1, ACC-3).
urlpatterns = [
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/photo/<uuid:user_id>/", views.profile_photo, name="profile_photo"),
    path("accounts/tokens/", views.tokens, name="api_tokens"),
    path("accounts/tokens/<uuid:token_id>/revoke/", views.token_revoke, name="api_token_revoke"),
]

api_urlpatterns = [
    path("me/", MeView.as_view(), name="api_me"),
]
