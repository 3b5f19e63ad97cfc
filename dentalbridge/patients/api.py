"""REST endpoints for the patients of the practice a principal acts for."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from dentalbridge.accounts.models import User
from dentalbridge.api.params import query_flag
from dentalbridge.core.text import search_text
from dentalbridge.organizations.api import _errors
from dentalbridge.organizations.models import Role
from dentalbridge.patients import access, services
from dentalbridge.patients.models import Patient, RecordItemKind, Sex
from dentalbridge.privacy.policy import Perm


class PatientSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    age = serializers.IntegerField(read_only=True)
    attending_dentist = serializers.SlugRelatedField(
        slug_field="public_id",
        queryset=User.objects.all(),
        allow_null=True,
        required=False,
        help_text="The dentist's user id (a dentist or owner of this practice).",
    )
    may_leave_the_practice = serializers.BooleanField(read_only=True)

    class Meta:
        model = Patient
        fields = (
            "id",
            "pseudonym",
            *services.EDITABLE_FIELDS,
            "age",
            "guardian_consent_at",
            "may_leave_the_practice",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "pseudonym", "guardian_consent_at", "created_at", "updated_at")
        extra_kwargs = {
            "sex": {"required": False},
            # Length and format are checked by the service, with one message per field.
            "given_name": {"max_length": None},
            "family_name": {"max_length": None},
        }

    def __init__(self, *args, practice=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only this practice's dentists can be chosen: another tenant's user id reads the same
        # as one that does not exist, so ids cannot be probed.
        dentists = User.objects.none()
        if practice is not None:
            dentists = User.objects.filter(
                memberships__organization=practice,
                memberships__role__in=[Role.OWNER, Role.DENTIST],
            )
        self.fields["attending_dentist"].queryset = dentists

    def validate_sex(self, value):
        if value not in Sex.values:
            raise serializers.ValidationError("Choose one of the listed options.")
        return value


class PatientListView(APIView):
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="patients_list",
        parameters=[
            OpenApiParameter("search", description="Name, pseudonym or file number"),
            OpenApiParameter("deleted", bool, description="List recently deleted patients"),
        ],
        responses={200: PatientSerializer(many=True), **_errors(401, 403, 404)},
    )
    def get(self, request):
        deleted = query_flag(request, "deleted")
        if deleted:
            access.patients_practice(request.principal, Perm.PATIENT_DELETE)
        patients = access.patients_query(
            request.principal, search=request.query_params.get("search", ""), deleted=deleted
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(patients, request, view=self)
        return paginator.get_paginated_response(PatientSerializer(page, many=True).data)

    @extend_schema(
        operation_id="patients_create",
        request=PatientSerializer,
        responses={201: PatientSerializer, **_errors(400, 401, 403, 404)},
    )
    def post(self, request):
        practice = access.patients_practice(request.principal, Perm.PATIENT_EDIT)
        data = PatientSerializer(data=request.data, practice=practice)
        data.is_valid(raise_exception=True)
        patient = services.patient_create(actor=request.principal, **data.validated_data)
        return Response(PatientSerializer(patient).data, status=status.HTTP_201_CREATED)


class PatientDetailView(APIView):
    @extend_schema(
        operation_id="patients_retrieve",
        responses={200: PatientSerializer, **_errors(401, 403, 404)},
    )
    def get(self, request, patient_id):
        patient = access.patient_access(request.principal, patient_id, Perm.PATIENT_VIEW)
        return Response(PatientSerializer(patient).data)

    @extend_schema(
        operation_id="patients_update",
        request=PatientSerializer,
        responses={200: PatientSerializer, **_errors(400, 401, 403, 404)},
    )
    def patch(self, request, patient_id):
        patient = access.patient_access(request.principal, patient_id, Perm.PATIENT_EDIT)
        data = PatientSerializer(data=request.data, partial=True, practice=patient.organization)
        data.is_valid(raise_exception=True)
        patient = services.patient_update(
            actor=request.principal, patient_id=patient_id, **data.validated_data
        )
        return Response(PatientSerializer(patient).data)

    @extend_schema(
        operation_id="patients_delete",
        parameters=[OpenApiParameter("reason", description="Kept in the audit log")],
        responses={204: None, **_errors(401, 403, 404)},
    )
    def delete(self, request, patient_id):
        services.patient_delete(
            actor=request.principal,
            patient_id=patient_id,
            reason=search_text(request.query_params.get("reason"), limit=300),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PatientRestoreView(APIView):
    @extend_schema(
        operation_id="patients_restore",
        request=None,
        responses={200: PatientSerializer, **_errors(401, 403, 404)},
    )
    def post(self, request, patient_id):
        patient = services.patient_restore(actor=request.principal, patient_id=patient_id)
        return Response(PatientSerializer(patient).data)


class CareGrantSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    grantee_email = serializers.EmailField(write_only=True)
    grantee = serializers.CharField(source="grantee.display_name", read_only=True)
    reason = serializers.CharField(max_length=300)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    may_grant_others = serializers.BooleanField(required=False, default=False)
    granted_by = serializers.CharField(
        source="granted_by.display_name", read_only=True, default=None, allow_null=True
    )
    active = serializers.BooleanField(source="is_active", read_only=True)
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)


class CareTeamView(APIView):
    @extend_schema(
        operation_id="care_team_list",
        responses={200: CareGrantSerializer(many=True), **_errors(401, 404)},
    )
    def get(self, request, patient_id):
        _patient, grants = access.care_grants_query(request.principal, patient_id)
        return Response(CareGrantSerializer(grants, many=True).data)

    @extend_schema(
        operation_id="care_team_grant",
        request=CareGrantSerializer,
        responses={201: CareGrantSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, patient_id):
        data = CareGrantSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grant = services.care_grant_create(
            actor=request.principal, patient_id=patient_id, **data.validated_data
        )
        return Response(CareGrantSerializer(grant).data, status=status.HTTP_201_CREATED)


class CareGrantView(APIView):
    @extend_schema(
        operation_id="care_team_revoke",
        responses={204: None, **_errors(401, 403, 404, 409)},
    )
    def delete(self, request, patient_id, grant_id):
        services.care_grant_revoke(
            actor=request.principal, patient_id=patient_id, grant_id=grant_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class RecordVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField(read_only=True)
    title = serializers.CharField(max_length=200)
    text = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    taken_on = serializers.DateField(required=False, allow_null=True)
    author = serializers.CharField(
        source="author.display_name", read_only=True, default=None, allow_null=True
    )
    created_at = serializers.DateTimeField(read_only=True)


class RecordItemSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    kind = serializers.ChoiceField(choices=RecordItemKind.choices)
    current = serializers.SerializerMethodField()
    version_count = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(RecordVersionSerializer)
    def get_current(self, item) -> dict:
        return RecordVersionSerializer(item.current_version).data

    def get_version_count(self, item) -> int:
        return len(item.versions.all())


class RecordItemDetailSerializer(RecordItemSerializer):
    versions = RecordVersionSerializer(many=True, read_only=True)


class RecordItemCreateSerializer(RecordVersionSerializer):
    kind = serializers.ChoiceField(choices=RecordItemKind.choices)


class RecordView(APIView):
    @extend_schema(
        operation_id="record_list",
        responses={200: RecordItemSerializer(many=True), **_errors(401, 404)},
    )
    def get(self, request, patient_id):
        patient = access.patient_access(request.principal, patient_id, Perm.PATIENT_VIEW)
        return Response(RecordItemSerializer(access.record_of(patient), many=True).data)

    @extend_schema(
        operation_id="record_item_create",
        request=RecordItemCreateSerializer,
        responses={201: RecordItemDetailSerializer, **_errors(400, 401, 403, 404)},
    )
    def post(self, request, patient_id):
        data = RecordItemCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.record_item_create(
            actor=request.principal, patient_id=patient_id, **data.validated_data
        )
        item = access.record_item_access(
            request.principal, patient_id, item.public_id, Perm.PATIENT_EDIT
        )
        return Response(RecordItemDetailSerializer(item).data, status=status.HTTP_201_CREATED)


class RecordItemView(APIView):
    @extend_schema(
        operation_id="record_item_retrieve",
        responses={200: RecordItemDetailSerializer, **_errors(401, 404)},
    )
    def get(self, request, patient_id, item_id):
        item = access.record_item_access(request.principal, patient_id, item_id, Perm.PATIENT_VIEW)
        return Response(RecordItemDetailSerializer(item).data)

    @extend_schema(
        operation_id="record_item_update",
        summary="Save a new version (the previous ones are kept)",
        request=RecordVersionSerializer,
        responses={200: RecordItemDetailSerializer, **_errors(400, 401, 403, 404)},
    )
    def patch(self, request, patient_id, item_id):
        data = RecordVersionSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.record_item_update(
            actor=request.principal, patient_id=patient_id, item_id=item_id, **data.validated_data
        )
        item = access.record_item_access(request.principal, patient_id, item_id, Perm.PATIENT_EDIT)
        return Response(RecordItemDetailSerializer(item).data)
