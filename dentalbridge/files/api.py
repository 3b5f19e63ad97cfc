"""REST endpoints for the files of a record: what is stored, its state after intake, its
reports, and a short-lived download link (FIL-6). Uploads themselves go through tus
(``/api/v1/uploads/``)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from dentalbridge.files import access, delivery
from dentalbridge.files.models import Asset, AssetRole, AssetStatus, Jaw
from dentalbridge.organizations.api import _errors
from dentalbridge.patients import access as patients_access
from dentalbridge.privacy.policy import Perm


class FileErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class FileSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    item = serializers.UUIDField(source="item.public_id")
    version = serializers.IntegerField(source="version.number", allow_null=True)
    role = serializers.ChoiceField(choices=AssetRole.choices)
    # A member named ``source``: the stubs read it as Field.source (the metaclass collects it).
    source = serializers.UUIDField(source="source.public_id", allow_null=True)  # type: ignore[assignment]
    name = serializers.CharField()
    format = serializers.CharField()
    media_type = serializers.CharField()
    jaw = serializers.ChoiceField(choices=Jaw.choices)
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    status = serializers.ChoiceField(choices=AssetStatus.choices)
    step = serializers.CharField()
    progress = serializers.IntegerField()
    error = FileErrorSerializer(allow_null=True)
    check = serializers.DictField(allow_null=True, help_text="Scan check report (scans)")
    anonymization = serializers.DictField(
        allow_null=True, help_text="What was removed (the practice only)"
    )
    download_url = serializers.CharField(
        allow_null=True,
        help_text=(
            "Valid for a few minutes; each download is audited. Answers `Range: bytes=…` with "
            "206 (a resumed download); the `ETag` is the file's SHA-256, for `If-Range`."
        ),
    )
    created_at = serializers.DateTimeField()


def file_data(principal, asset: Asset, outside: bool) -> dict:
    downloadable = delivery.fetchable(asset, outside=outside)
    if outside:
        downloadable = downloadable and asset.status == AssetStatus.READY
    return {
        "public_id": asset.public_id,
        "item": asset.item,
        "version": asset.version,
        "role": asset.role,
        "source": asset.source,
        "name": delivery.display_name(asset, outside),
        "format": asset.format,
        "media_type": asset.media_type,
        "jaw": asset.jaw,
        "size": asset.size,
        "sha256": asset.sha256,
        "status": asset.status,
        "step": asset.step,
        "progress": asset.progress,
        "error": (
            {"code": asset.error_code, "message": asset.error_message} if asset.error_code else None
        ),
        "check": None if outside else asset.report.get("check"),
        "anonymization": None if outside else asset.report.get("anonymization"),
        "download_url": delivery.link_for(principal, asset) if downloadable else None,
        "created_at": asset.created_at,
    }


class FileListView(APIView):
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="patient_files_list",
        summary="The files of a patient's record",
        description=(
            "Every stored file of the record the caller may see, oldest first: for the practice "
            "the originals and their derivatives (anonymized copy, repaired scan, preview, "
            "thumbnail); for a care-team member of another practice the anonymized copies only."
        ),
        responses={200: FileSerializer(many=True), **_errors(401, 403, 404)},
    )
    def get(self, request, patient_id):
        principal = request.principal
        patient = patients_access.patient_access(
            principal, patient_id, Perm.PATIENT_VIEW, reason="files"
        )
        items = list(patients_access.record_of(patient))
        outside = principal.organization.pk != patient.organization_id
        grouped = access.files_of_items(patient, items, outside=outside)
        assets = sorted(
            (asset for assets in grouped.values() for asset in assets),
            key=lambda asset: asset.created_at,
        )
        by_pk = {item.pk: item for item in items}
        for asset in assets:
            asset.item = by_pk[asset.item_id]
            asset.patient = patient
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(assets, request, view=self)
        data = [file_data(principal, asset, outside) for asset in page]
        return paginator.get_paginated_response(FileSerializer(data, many=True).data)


class FileDetailView(APIView):
    @extend_schema(
        operation_id="patient_files_retrieve",
        summary="One file: its state, reports and a download link",
        responses={200: FileSerializer, **_errors(401, 403, 404)},
    )
    def get(self, request, patient_id, asset_id):
        asset, outside = access.asset_access(
            request.principal, patient_id, asset_id, Perm.PATIENT_VIEW
        )
        return Response(FileSerializer(file_data(request.principal, asset, outside)).data)
