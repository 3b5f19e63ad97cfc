"""Wiring only: each app owns its routes in ``dentalbridge/<app>/urls.py`` (``urlpatterns`` for
its HTML pages, ``api_urlpatterns`` for its endpoints, mounted under ``api/v1/``)."""

from django.urls import include, path
from django.views.i18n import set_language

from dentalbridge.accounts import urls as accounts
from dentalbridge.core import urls as core
from dentalbridge.files import urls as files
from dentalbridge.gdpr import urls as gdpr
from dentalbridge.messaging import urls as messaging
from dentalbridge.orders import urls as orders
from dentalbridge.organizations import urls as organizations
from dentalbridge.patients import urls as patients

urlpatterns = [
    path("", include(core.urlpatterns)),
    path("i18n/setlang/", set_language, name="set_language"),
    # Sign-up/in, e-mail, password, 2FA, sessions (ACC-1, ACC-3).
    path("accounts/", include("allauth.urls")),
    path("", include(accounts.urlpatterns)),
    path("", include(messaging.urlpatterns)),
    path("", include(organizations.urlpatterns)),
    path("", include(patients.urlpatterns)),
    path("", include(files.urlpatterns)),
    path("", include(orders.urlpatterns)),
    path("", include(gdpr.urlpatterns)),
    # API (versioned, token or session auth): the schema and docs, then each app's endpoints.
    path("api/v1/", include("dentalbridge.api.urls")),
    path("api/v1/", include(accounts.api_urlpatterns)),
    path("api/v1/", include(organizations.api_urlpatterns)),
    path("api/v1/", include(orders.api_urlpatterns)),
    path("api/v1/", include(files.api_urlpatterns)),
    path("api/v1/", include(patients.api_urlpatterns)),
]

handler400 = "dentalbridge.core.views.bad_request"
handler403 = "dentalbridge.core.views.permission_denied"
handler404 = "dentalbridge.core.views.page_not_found"
handler500 = "dentalbridge.core.views.server_error"
