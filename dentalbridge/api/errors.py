"""One JSON shape for every API error:

{"error": {"code": "not_found", "message": "Not found.", "fields": {"email": ["…"]}}}
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import set_rollback

from dentalbridge.core.errors import DomainError, error_body


def _flatten(detail) -> dict:
    if isinstance(detail, dict):
        return {
            key: [str(item) for item in (value if isinstance(value, list) else [value])]
            for key, value in detail.items()
        }
    return {"non_field_errors": [str(item) for item in detail]}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        set_rollback()
        body = error_body(exc.status, code=exc.code, message=exc.message, fields=exc.fields)
        return Response(body, status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    set_rollback()
    status = exc.status_code
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(
            400,
            code="validation_failed",
            message=_("Please correct the fields."),
            fields=_flatten(exc.detail),
        )
    else:
        detail = exc.detail if isinstance(exc.detail, str) else None
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else None
        body = error_body(status, code=code, message=detail)
    return Response(body, status=status, headers=headers)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    # The error shape's member is named ``fields``; the stubs see Serializer.fields, which the
    # declared field does not replace at run time (the metaclass collects it).
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
