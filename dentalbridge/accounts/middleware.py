"""ACC-3: a user whose role can reach patient data must enrol a second factor before reaching any
page beyond their own account settings."""

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

from dentalbridge.privacy.policy import ROLES_REQUIRING_SECOND_FACTOR

# Paths a not-yet-enrolled user still needs: enrolment itself, sign-out, e-mail and password
# management, language, static files and health checks.
EXEMPT_PREFIXES = (
    "/accounts/",
    "/static/",
    "/healthz",
    "/i18n/",
    "/media/",
    "/invitations/",
    "/portal/join/",
)


def has_second_factor(user) -> bool:
    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


# Apps above accounts that give people other than staff a view of health data say so here: the
# patients app registers "sees a record of their own in the portal" (PatientsConfig.ready).
_reaches_health_data: list[Callable[[object], bool]] = []


def reaches_health_data_register(check: Callable[[object], bool]) -> None:
    if check not in _reaches_health_data:
        _reaches_health_data.append(check)


def needs_second_factor(user, memberships) -> bool:
    """Everyone who reaches health data: staff roles, and patients seeing their own record."""
    if not user.is_authenticated:
        return False
    requires = (
        user.is_staff
        or any(m.role in ROLES_REQUIRING_SECOND_FACTOR for m in memberships)
        or any(check(user) for check in _reaches_health_data)
    )
    return requires and not has_second_factor(user)


class RequireSecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(EXEMPT_PREFIXES) and needs_second_factor(
            request.user, request.memberships
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "error": {
                            "code": "second_factor_required",
                            "message": _("Enrol a second factor before using the API."),
                        }
                    },
                    status=403,
                )
            messages.info(
                request,
                _("Your role gives access to patient data: set up two-factor sign-in first."),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)


class UserLanguageMiddleware:
    """A signed-in person's saved language applies on every device (NFR-4), unless this browser
    chose one explicitly (the language cookie set by the footer's picker)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.language
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
