from django.shortcuts import render
from django.views.decorators.http import require_GET
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.views import SpectacularAPIView


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3.1 document, public (it documents the API, not anyone's data)."""

    renderer_classes = [OpenApiJsonRenderer]
    authentication_classes = []
    permission_classes = []


@require_GET
def docs(request):
    """Browsable API reference, rendered by Swagger UI from our own static files."""
    return render(request, "api/docs.html")
