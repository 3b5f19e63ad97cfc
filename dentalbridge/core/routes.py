"""The two kinds of route an app's ``urls.py`` lists: its pages (``urlpatterns``), each named
after its view unless it says otherwise, and its API endpoints (``api_urlpatterns``, DRF view
classes, mounted under ``api/v1/``). Route names stay global (``order_detail``, ``api_order``)."""

from django.urls import URLPattern, path


def page(route: str, view, name: str = "") -> URLPattern:
    """``path(route, view, name=…)``, the name being the view function's own unless ``name``."""
    return path(route, view, name=name or view.__name__)


def endpoint(route: str, view_class, name: str) -> URLPattern:
    """``path(route, view_class.as_view(), name=name)``."""
    return path(route, view_class.as_view(), name=name)
