"""REST endpoints for organizations, members, invitations, lab connections and the audit log.

Every endpoint acts for ``request.principal`` (token or session) and goes through the same
services and access functions as the HTML pages.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from dentalbridge.api.errors import ErrorSerializer
from dentalbridge.api.params import query_choice
from dentalbridge.organizations import access, services
from dentalbridge.organizations.models import (
    ConnectionStatus,
    Invitation,
    LabConnection,
    Membership,
    Organization,
    Role,
)
from dentalbridge.organizations.selectors import audit_events_for_organization
from dentalbridge.privacy.policy import Perm

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input"),
    401: OpenApiResponse(ErrorSerializer, description="Not authenticated"),
    403: OpenApiResponse(ErrorSerializer, description="Role lacks the permission"),
    404: OpenApiResponse(ErrorSerializer, description="Not found, or not yours"),
}
CONFLICT = {409: OpenApiResponse(ErrorSerializer, description="Conflicts with current state")}


def _errors(*codes: int) -> dict:
    merged = {**ERRORS, **CONFLICT}
    return {code: merged[code] for code in codes}


class OrganizationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    country = serializers.CharField(max_length=2)

    class Meta:
        model = Organization
        fields = ("id", "kind", *services.EDITABLE_FIELDS, "created_at")
        read_only_fields = ("id", "kind", "created_at")


class OrganizationUpdateSerializer(OrganizationSerializer):
    class Meta(OrganizationSerializer.Meta):
        extra_kwargs = {name: {"required": False} for name in services.EDITABLE_FIELDS}


class MemberUserSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    email = serializers.EmailField()
    full_name = serializers.CharField()


class MembershipSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    user = MemberUserSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ("id", "user", "role", "created_at")
        read_only_fields = ("id", "user", "created_at")


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    status = serializers.CharField(read_only=True)

    class Meta:
        model = Invitation
        fields = ("id", "email", "role", "status", "created_at", "expires_at")
        read_only_fields = ("id", "status", "created_at", "expires_at")


class OrganizationRefSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    city = serializers.CharField()
    country = serializers.CharField()


class ConnectionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    practice = OrganizationRefSerializer(read_only=True)
    lab = OrganizationRefSerializer(read_only=True)

    class Meta:
        model = LabConnection
        fields = ("id", "practice", "lab", "status", "message", "created_at", "responded_at")
        read_only_fields = fields


class ConnectionRequestSerializer(serializers.Serializer):
    lab = serializers.UUIDField(help_text="The lab's id (from the lab directory).")
    message = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ConnectionDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["accept", "decline", "end"])


class AuditEventSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    action = serializers.CharField()
    outcome = serializers.CharField()
    actor_id = serializers.UUIDField(allow_null=True)
    actor_email = serializers.EmailField(allow_null=True)
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    reason = serializers.CharField()
    via = serializers.CharField()
    ip = serializers.IPAddressField(allow_null=True)
    # The event's member is named ``data``; the stubs read it as Serializer.data (as in
    # api/errors.py, the metaclass collects it).
    data = serializers.DictField()  # type: ignore[assignment]
    hash = serializers.CharField()


def _paginated(view, request, queryset, serializer_class):
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


class _Base(APIView):
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS


class OrganizationListView(_Base):
    pagination_class = None  # at most one: the organization the principal acts for

    @extend_schema(
        operation_id="organizations_list",
        summary="Organizations you act for",
        description="With a token: the token's organization. With a session: the active one.",
        responses={200: OrganizationSerializer(many=True), **_errors(401)},
    )
    def get(self, request):
        organization = request.principal.organization
        items = [organization] if organization else []
        return Response(OrganizationSerializer(items, many=True).data)


class OrganizationDetailView(_Base):
    @extend_schema(
        operation_id="organizations_retrieve",
        responses={200: OrganizationSerializer, **_errors(401, 403, 404)},
    )
    def get(self, request, organization_id):
        organization = access.organization_access(
            request.principal, organization_id, Perm.ORGANIZATION_VIEW
        )
        return Response(OrganizationSerializer(organization).data)

    @extend_schema(
        operation_id="organizations_update",
        request=OrganizationUpdateSerializer,
        responses={200: OrganizationSerializer, **_errors(400, 401, 403, 404)},
    )
    def patch(self, request, organization_id):
        access.organization_access(request.principal, organization_id, Perm.ORGANIZATION_EDIT)
        data = OrganizationUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        organization = services.organization_update(
            actor=request.principal, organization_id=organization_id, **data.validated_data
        )
        return Response(OrganizationSerializer(organization).data)


class MemberListView(_Base):
    @extend_schema(
        operation_id="members_list",
        responses={200: MembershipSerializer(many=True), **_errors(401, 403, 404)},
    )
    def get(self, request, organization_id):
        memberships = access.members_query(request.principal, organization_id).order_by(
            "user__email"
        )
        return _paginated(self, request, memberships, MembershipSerializer)


class MemberDetailView(_Base):
    @extend_schema(
        operation_id="members_update",
        request=RoleSerializer,
        responses={200: MembershipSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request, organization_id, membership_id):
        data = RoleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_change_role(
            actor=request.principal,
            organization_id=organization_id,
            membership_id=membership_id,
            role=data.validated_data["role"],
        )
        return Response(MembershipSerializer(membership).data)

    @extend_schema(
        operation_id="members_remove",
        responses={204: None, **_errors(401, 403, 404, 409)},
    )
    def delete(self, request, organization_id, membership_id):
        services.membership_remove(
            actor=request.principal, organization_id=organization_id, membership_id=membership_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationListView(_Base):
    @extend_schema(
        operation_id="invitations_list",
        responses={200: InvitationSerializer(many=True), **_errors(401, 403, 404)},
    )
    def get(self, request, organization_id):
        invitations = access.invitations_query(request.principal, organization_id)
        return _paginated(self, request, invitations, InvitationSerializer)

    @extend_schema(
        operation_id="invitations_create",
        request=InvitationSerializer,
        responses={201: InvitationSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, organization_id):
        data = InvitationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.invitation_create(
            actor=request.principal, organization_id=organization_id, **data.validated_data
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationDetailView(_Base):
    @extend_schema(
        operation_id="invitations_revoke",
        responses={204: None, **_errors(401, 403, 404, 409)},
    )
    def delete(self, request, organization_id, invitation_id):
        services.invitation_revoke(
            actor=request.principal, organization_id=organization_id, invitation_id=invitation_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConnectionListView(_Base):
    @extend_schema(
        operation_id="connections_list",
        parameters=[
            OpenApiParameter(
                "status",
                enum=[s.value for s in ConnectionStatus],
                description="Only connections in this state; another value is a 400",
            )
        ],
        responses={200: ConnectionSerializer(many=True), **_errors(401, 403, 404)},
    )
    def get(self, request, organization_id):
        links = access.connections_query(request.principal, organization_id)
        wanted = query_choice(request, "status", ConnectionStatus.values)
        if wanted:
            links = links.filter(status=wanted)
        return _paginated(self, request, links, ConnectionSerializer)

    @extend_schema(
        operation_id="connections_request",
        summary="A practice asks a lab to connect",
        request=ConnectionRequestSerializer,
        responses={201: ConnectionSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, organization_id):
        data = ConnectionRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link = services.lab_connection_request(
            actor=request.principal,
            organization_id=organization_id,
            lab_id=data.validated_data["lab"],
            message=data.validated_data.get("message", ""),
        )
        return Response(ConnectionSerializer(link).data, status=status.HTTP_201_CREATED)


class ConnectionDetailView(_Base):
    @extend_schema(
        operation_id="connections_update",
        summary="The lab accepts or declines; either side ends",
        request=ConnectionDecisionSerializer,
        responses={200: ConnectionSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request, organization_id, connection_id):
        data = ConnectionDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decision = data.validated_data["decision"]
        if decision == "end":
            link = services.lab_connection_end(
                actor=request.principal,
                organization_id=organization_id,
                connection_id=connection_id,
            )
        else:
            link = services.lab_connection_respond(
                actor=request.principal,
                organization_id=organization_id,
                connection_id=connection_id,
                accept=decision == "accept",
            )
        return Response(ConnectionSerializer(link).data)


class AuditEventListView(_Base):
    @extend_schema(
        operation_id="audit_events_list",
        parameters=[OpenApiParameter("action", description="Prefix, e.g. `member.`")],
        responses={200: AuditEventSerializer(many=True), **_errors(401, 403, 404)},
    )
    def get(self, request, organization_id):
        events = audit_events_for_organization(
            request.principal, organization_id, action=request.query_params.get("action", "")
        )
        return _paginated(self, request, events, AuditEventSerializer)
