"""A copy of someone's personal data as a download."""

from collections.abc import Iterable

from django.http import StreamingHttpResponse


def personal_zip(filename: str, stream: Iterable[bytes]) -> StreamingHttpResponse:
    """The ZIP ``stream`` (made while it is sent) saved as ``filename``, kept by no cache."""
    response = StreamingHttpResponse(stream, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
