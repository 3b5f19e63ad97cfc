"""The one error path of HTML pages: a domain error that leaves a view (raised by the view, a
service or an access function) becomes its status and a clear message, rendered in the site's
layout — or, for an htmx request, a short fragment the page shows where the answer would have
gone. The API has its own handler with the same mapping (``api/errors.py``).

A view may still catch an error to show it on its own form; whatever it lets through is answered
here, so "absent" and "not yours" share one 404 page, and a stale form (an order that moved on
meanwhile) answers 409 with what happened and a link to the object's page.
"""

from urllib.parse import urlsplit

from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from dentalbridge.core.errors import DomainError

# The way back from a failed action is its object's page: the first of these routes that the
# action's URL lies under, found by the URL's own arguments (``/orders/<id>/step/`` → the order).
OBJECT_PAGES = (
    ("order_id", "order_detail", _("Open the order")),
    ("share_id", "lab_share_detail", _("Open the shared file")),
    ("patient_id", "patient_detail", _("Open the patient's record")),
    ("organization_id", "organization_detail", _("Open the organization's page")),
)


def way_back(request) -> dict | None:
    """``{"url", "label"}``: the page of the object the request was about, else the page of this
    site the request came from; never the requested page itself."""
    match = getattr(request, "resolver_match", None)
    kwargs = match.kwargs if match is not None else {}
    for argument, route, label in OBJECT_PAGES:
        if argument not in kwargs:
            continue
        try:
            url = reverse(route, kwargs={argument: kwargs[argument]})
        except NoReverseMatch:
            continue
        if request.path.startswith(url) and request.path != url:
            return {"url": url, "label": label}
    referer = request.headers.get("Referer", "")
    ours = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if ours and urlsplit(referer).path != request.path:
        return {"url": referer, "label": _("Back to the previous page")}
    return None


def error_details(error: DomainError) -> list[str]:
    """The per-field texts of an error (a ``ValidationFailed`` says what to correct there)."""
    return [
        str(text)
        for texts in error.fields.values()
        for text in (texts if isinstance(texts, list | tuple) else [texts])
    ]


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None  # the API answers its own errors in its one JSON shape
        status = exception.status
        # Absent and foreign look the same (STYLE.md §2): the 404 page of any unknown address.
        context = (
            {"status": 404}
            if status == 404
            else {
                "status": status,
                "message": exception.message,
                "details": error_details(exception),
                "back": way_back(request),
            }
        )
        if request.headers.get("HX-Request") == "true":
            if status == 404:
                context["message"] = _("Not found.")
            response = render(request, "core/_error.html", context, status=status)
            response["X-Error-Code"] = exception.code  # app.js shows such an answer in place
            return response
        return render(request, "core/error.html", context, status=status)


# A limit without its own window says to come back after a minute: the platform's rate limits
# (ACCOUNT_RATE_LIMITS, the API's) count per minute, the longest per five.
RETRY_AFTER_SECONDS = 60


class RetryAfterMiddleware:
    """Every 429 tells the client when to try again (RFC 9110 §10.2.3): allauth's own limits on
    the sign-in, sign-up and reset forms answer 429 without ``Retry-After``; views that know
    their window (the lock-outs, the API's throttles) set their own, which is kept."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 429 and not response.has_header("Retry-After"):
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
