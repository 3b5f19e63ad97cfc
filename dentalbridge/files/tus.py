"""tus 1.0 endpoints (https://tus.io/protocols/resumable-upload): core, creation, termination,
checksum and expiration. Browsers use them with the session (and the CSRF header); scanners and
scripts with a personal access token. The body of a PATCH is read from the request stream as it
arrives — never through ``request.body``, which would hold it in memory.
"""

from django.urls import reverse
from django.utils.http import http_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.response import Response
from rest_framework.views import APIView

from dentalbridge.api.errors import ErrorSerializer, error_body
from dentalbridge.files import intake, uploads

OFFSET_TYPE = "application/offset+octet-stream"
_ERRORS = {
    400: "Invalid header or metadata",
    401: "Not authenticated",
    403: "Second factor required, or role lacks the permission",
    404: "Not found, or not yours",
    409: "Upload-Offset is not where the upload stands; HEAD it and continue",
    410: "The upload expired",
    412: "Tus-Resumable: 1.0.0 is required",
    413: "Over the organization's storage quota",
    415: "The body must be application/offset+octet-stream",
    422: "The file was refused (name, size, type or content); see error.code",
    460: "Upload-Checksum does not match the body",
    503: "No storage for the organization's data region",
}


def _errors(*codes: int) -> dict:
    return {code: OpenApiResponse(ErrorSerializer, description=_ERRORS[code]) for code in codes}


def _int_header(request, name: str, *, required: bool = True) -> int | None:
    value = request.headers.get(name)
    if value is None:
        if required:
            raise ParseError(f"The {name} header is required.")
        return None
    if not value.isdigit():
        raise ParseError(f"The {name} header must be a non-negative integer.")
    return int(value)


class TusView(APIView):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != "1.0.0":
            self.version_mismatch = True

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Tus-Resumable"] = uploads.TUS_VERSION
        response["Cache-Control"] = "no-store"
        return response

    def dispatch(self, request, *args, **kwargs):
        self.version_mismatch = False
        return super().dispatch(request, *args, **kwargs)

    def check_version(self):
        if self.version_mismatch:
            response = Response(
                error_body(412, code="tus_version", message="Send Tus-Resumable: 1.0.0."),
                status=status.HTTP_412_PRECONDITION_FAILED,
            )
            response["Tus-Version"] = uploads.TUS_VERSION
            return response
        return None

    def options(self, request, *args, **kwargs):
        response = Response(status=status.HTTP_204_NO_CONTENT)
        response["Tus-Version"] = uploads.TUS_VERSION
        response["Tus-Extension"] = uploads.TUS_EXTENSIONS
        response["Tus-Max-Size"] = str(intake.MAX_UPLOAD_BYTES)
        response["Tus-Checksum-Algorithm"] = ",".join(uploads.CHECKSUM_ALGORITHMS)
        return response


def _upload_headers(response, upload):
    response["Upload-Offset"] = str(upload.offset)
    response["Upload-Length"] = str(upload.length)
    if upload.status == "receiving":
        response["Upload-Expires"] = http_date(upload.expires_at.timestamp())
    return response


@extend_schema(tags=["files"])
class UploadCreateView(TusView):
    @extend_schema(
        operation_id="upload_create",
        summary="Start a resumable upload (tus 1.0 creation)",
        description=(
            "Creates an upload for one file of a patient's record. Headers: `Tus-Resumable: "
            "1.0.0`, `Upload-Length` (bytes, at most 5 GiB), `Upload-Metadata` with base64 "
            "values: `filename` (required), `patient` (required, id), `item` (optional: a new "
            "version of this record item), `kind` and `title` (for a new item), `sha256` "
            "(hex SHA-256 of the whole file, checked when it is complete). A lab uploading a "
            "design for an order in design sends `order` (id) instead of `patient`: STL, PLY or "
            "OBJ, or PNG/JPEG screenshots; with `purpose` = `message`, any accepted file for the "
            "practice, posted on the order's thread (while the order is open). Then send the bytes "
            "with PATCH to the `Location` returned. Use any tus 1.0 client (e.g. tuspy)."
        ),
        parameters=[
            OpenApiParameter("Upload-Length", OpenApiTypes.INT, OpenApiParameter.HEADER, True),
            OpenApiParameter("Upload-Metadata", OpenApiTypes.STR, OpenApiParameter.HEADER, True),
            OpenApiParameter("Tus-Resumable", OpenApiTypes.STR, OpenApiParameter.HEADER, True),
        ],
        request=None,
        responses={
            201: OpenApiResponse(description="Created; `Location` names the upload."),
            **_errors(400, 401, 403, 404, 412, 413, 422, 503),
        },
    )
    def post(self, request):
        if (mismatch := self.check_version()) is not None:
            return mismatch
        if request.headers.get("Upload-Defer-Length"):
            raise ParseError("Upload-Defer-Length is not supported; send Upload-Length.")
        length = _int_header(request, "Upload-Length")
        metadata = uploads.parse_metadata(request.headers.get("Upload-Metadata", ""))
        upload = uploads.upload_create(actor=request.principal, length=length, metadata=metadata)
        response = Response(status=status.HTTP_201_CREATED)
        response["Location"] = request.build_absolute_uri(
            reverse("api_upload", args=[upload.public_id])
        )
        return _upload_headers(response, upload)


@extend_schema(tags=["files"])
class UploadView(TusView):
    @extend_schema(
        operation_id="upload_state",
        summary="Where an upload stands (tus HEAD)",
        description="`Upload-Offset` says how many bytes arrived; resume from there.",
        request=None,
        responses={200: OpenApiResponse(description="`Upload-Offset`, `Upload-Length`.")},
    )
    def head(self, request, upload_id):
        if (mismatch := self.check_version()) is not None:
            return mismatch
        upload = uploads.upload_state(actor=request.principal, upload_id=upload_id)
        return _upload_headers(Response(status=status.HTTP_200_OK), upload)

    @extend_schema(
        operation_id="upload_append",
        summary="Send bytes of an upload (tus PATCH)",
        description=(
            "Body: the next bytes (`Content-Type: application/offset+octet-stream`) starting at "
            "`Upload-Offset`. Optional `Upload-Checksum: sha256|sha1|md5 <base64>` of this body "
            "(460 if it does not match). When the last byte arrives the file is checked, "
            "anonymized and previewed in the background."
        ),
        request={OFFSET_TYPE: OpenApiTypes.BINARY},
        responses={
            204: OpenApiResponse(description="Stored; `Upload-Offset` is the new offset."),
            **_errors(400, 401, 403, 404, 409, 410, 412, 415, 422, 460, 503),
        },
    )
    def patch(self, request, upload_id):
        if (mismatch := self.check_version()) is not None:
            return mismatch
        if request.content_type.split(";")[0].strip() != OFFSET_TYPE:
            raise UnsupportedMediaType(request.content_type, f"Send {OFFSET_TYPE}.")
        offset = _int_header(request, "Upload-Offset")
        length = _int_header(request, "Content-Length", required=False)
        upload = uploads.upload_receive(
            actor=request.principal,
            upload_id=upload_id,
            offset=offset,
            content_length=length,
            body=request._request,
            checksum=request.headers.get("Upload-Checksum"),
        )
        return _upload_headers(Response(status=status.HTTP_204_NO_CONTENT), upload)

    @extend_schema(
        operation_id="upload_cancel",
        summary="Cancel an upload (tus termination)",
        request=None,
        responses={
            204: OpenApiResponse(description="Cancelled; what arrived is deleted."),
            **_errors(401, 403, 404, 412),
        },
    )
    def delete(self, request, upload_id):
        if (mismatch := self.check_version()) is not None:
            return mismatch
        uploads.upload_cancel(actor=request.principal, upload_id=upload_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
