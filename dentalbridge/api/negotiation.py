"""Content negotiation for the API: an ``Accept`` header no renderer can satisfy — a malformed
one (``v`*``) or a type the API does not speak (``application/xml``) — is answered in JSON
instead of 406 Not Acceptable. RFC 9110 §12.5.1 lets a server disregard ``Accept`` and send its
default representation; every endpoint speaks JSON, so a client with a sloppy header still gets
the answer (and its documented status codes) rather than an error nothing in the schema names.
"""

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class JSONWhenUnsatisfiable(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            renderer = renderers[0]
            return renderer, renderer.media_type
