from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from dentalbridge.api.errors import ErrorSerializer


class ActingForSerializer(serializers.Serializer):
    organization_id = serializers.UUIDField(source="organization.public_id")
    organization_name = serializers.CharField(source="organization.name")
    kind = serializers.CharField(source="organization.kind")
    role = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="user.public_id")
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")
    via = serializers.ChoiceField(choices=["web", "token"])
    acting_for = ActingForSerializer(source="membership", allow_null=True)


class MeView(APIView):
    @extend_schema(
        operation_id="me_retrieve",
        summary="Who you are and which organization you act for",
        responses={200: MeSerializer, 401: OpenApiResponse(ErrorSerializer)},
    )
    def get(self, request):
        return Response(MeSerializer(request.principal).data)
