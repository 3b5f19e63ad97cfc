from django.contrib.auth.decorators import login_required
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from dentalbridge.core.errors import error_body
from dentalbridge.core.health import health
from dentalbridge.core.pages import page_context


@require_GET
@never_cache
def healthz(request):
    report = health()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@login_required
def dashboard(request):
    principal = request.principal
    if principal.membership is None:
        # Apps above may have a home for people without an organization: the patients app sends
        # a patient to their portal (core.pages).
        home = page_context("core.dashboard", request).get("home")
        if home:
            return redirect(home)
        return render(request, "core/welcome.html")
    return redirect("organization_detail", organization_id=principal.organization.public_id)


def _error(request, status: int, title: str, template: str = "core/error.html"):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(status), status=status)
    return render(request, template, {"status": status, "title": title}, status=status)


def bad_request(request, exception=None):
    return _error(request, 400, "Bad request")


def permission_denied(request, exception=None):
    return _error(request, 403, "Not allowed")


def page_not_found(request, exception=None):
    return _error(request, 404, "Not found")


def server_error(request):
    """Rendered without context processors: when this runs, the database may be the problem."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(500), status=500)
    return HttpResponseServerError(loader.get_template("500.html").render())
