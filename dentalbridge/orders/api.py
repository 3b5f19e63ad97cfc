"""REST endpoints for orders (ORD-1…ORD-5): CAD and scanner software submit prescriptions and
fetch designs; labs work their inbox. The same services as the pages; the lab side never
receives the patient (only the pseudonym)."""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from dentalbridge.api.params import query_choice
from dentalbridge.orders import access, selectors, services, workflow
from dentalbridge.orders import teeth as fdi
from dentalbridge.orders.lab_view import OrderForLab
from dentalbridge.orders.models import AttachmentKind
from dentalbridge.orders.prescription import Arch, Material, RestorationType
from dentalbridge.orders.workflow import OrderState, Transition
from dentalbridge.organizations.api import _errors
from dentalbridge.privacy.policy import Perm

MAX_TEETH = len(fdi.ALL_TEETH)


class OrderItemSerializer(serializers.Serializer):
    restoration_type = serializers.ChoiceField(RestorationType.choices)
    teeth = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        max_length=MAX_TEETH,
        help_text="FDI tooth numbers: 11-48 permanent, 51-85 primary.",
    )
    pontics = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        max_length=MAX_TEETH,
        help_text="For a bridge: which of its teeth it replaces (the others are abutments).",
    )
    arch = serializers.ChoiceField(Arch.choices, required=False, allow_blank=True)
    material = serializers.ChoiceField(Material.choices, required=False, allow_blank=True)
    shade = serializers.CharField(
        required=False, allow_blank=True, max_length=8, help_text="VITA classical or 3D-Master."
    )
    implant_system = serializers.UUIDField(
        required=False, allow_null=True, help_text="Checked against the platform's system."
    )
    implant_platform = serializers.UUIDField(
        required=False, allow_null=True, help_text="An id from GET /api/v1/implants/."
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class OrderWriteSerializer(serializers.Serializer):
    lab = serializers.UUIDField(required=False, allow_null=True, help_text="A connected lab.")
    due_date = serializers.DateField(required=False, allow_null=True)
    requires_approval = serializers.BooleanField(required=False)
    preparation_notes = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    technical_notes = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    # many=True makes a ListSerializer, which takes max_length (the stubs type the child's call).
    items = OrderItemSerializer(  # type: ignore[call-arg]
        many=True, required=False, max_length=services.MAX_ITEMS
    )


class OrderCreateSerializer(OrderWriteSerializer):
    patient = serializers.UUIDField(help_text="A patient of your practice.")
    attachments = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=50,
        help_text="Record items of the patient whose files go with the order.",
    )


def _item_out(item) -> dict:
    platform = item.implant_platform
    return {
        "id": str(item.public_id),
        "position": item.position,
        "restoration_type": item.restoration_type,
        "teeth": item.teeth,
        "pontics": item.pontics,
        "arch": item.arch,
        "material": item.material,
        "shade": item.shade,
        "implant": None
        if platform is None
        else {
            "platform": str(platform.public_id),
            "manufacturer": platform.system.manufacturer.name,
            "system": platform.system.name,
            "name": platform.name,
            "diameter": str(platform.diameter) if platform.diameter is not None else None,
        },
        "notes": item.notes,
    }


def order_out(principal, order, *, detail: bool = True) -> dict:
    """The order as this side may see it: the practice gets the patient's id, the lab never."""
    data = {
        "id": str(order.public_id),
        "reference": order.reference,
        "state": order.state,
        "pseudonym": order.pseudonym,
        "practice": {"id": str(order.practice.public_id), "name": order.practice.name},
        "lab": {"id": str(order.lab.public_id), "name": order.lab.name} if order.lab else None,
        "due_date": order.due_date,
        "confirmed_due_date": order.confirmed_due_date,
        "requires_approval": order.requires_approval,
        "remake_of": str(order.remake_of.public_id) if order.remake_of_id else None,
        "remake_reason": order.remake_reason,
        "remake_cost_bearer": order.remake_cost_bearer,
        "created_at": order.created_at,
        "submitted_at": order.submitted_at,
    }
    if order.side == "practice":
        data["patient"] = str(order.patient_uuid) if getattr(order, "patient_uuid", None) else None
    if not detail:
        return data
    attachments = access.order_attachments(order)
    data.update(
        preparation_notes=order.preparation_notes,
        technical_notes=order.technical_notes,
        status_note=order.status_note,
        items=[_item_out(item) for item in access.order_items(order)],
        steps=workflow.allowed(
            state=order.state, side=order.side, role=principal.role, assigned=order.assigned
        ),
        files=[
            {
                "kind": entry["attachment"].kind,
                "item": str(entry["attachment"].item.public_id)
                if order.side == "practice"
                else None,
                "name": entry.get("name"),
                "status": entry["asset"].status if entry["asset"] else None,
                "download_url": entry.get("download"),
            }
            for kind in (AttachmentKind.PRESCRIPTION, AttachmentKind.DESIGN)
            for entry in selectors.order_files(
                principal, order, [a for a in attachments if a.kind == kind], label=kind
            )
        ],
    )
    return data


ORDER_EXAMPLE = {
    "patient": "7d1c1c1e-0f7a-4f5e-9c2b-2d6f3c1a9b10",
    "lab": "0b6f1f3e-5a43-4cde-8a9b-9d7c2e4f1a22",
    "due_date": "2026-12-09",
    "requires_approval": True,
    "preparation_notes": "Chamfer margin, 0.8 mm.",
    "items": [
        {"restoration_type": "crown", "teeth": [11], "material": "zirconia", "shade": "A2"},
        {
            "restoration_type": "bridge",
            "teeth": [14, 15, 16],
            "pontics": [15],
            "material": "zirconia",
            "shade": "2M2",
        },
    ],
    "attachments": ["5b7e6f0a-8d1c-4e2b-9a3f-1c2d3e4f5a6b"],
}


class OrderSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField()
    state = serializers.ChoiceField(OrderState.choices)
    pseudonym = serializers.CharField()
    patient = serializers.UUIDField(
        required=False, help_text="Only for the practice; a lab never receives it."
    )
    practice = inline_serializer(
        "OrderParty", {"id": serializers.UUIDField(), "name": serializers.CharField()}
    )
    lab = inline_serializer(
        "OrderLab",
        {"id": serializers.UUIDField(), "name": serializers.CharField()},
        allow_null=True,
    )
    due_date = serializers.DateField(allow_null=True)
    confirmed_due_date = serializers.DateField(allow_null=True)
    requires_approval = serializers.BooleanField()
    remake_of = serializers.UUIDField(allow_null=True)
    remake_reason = serializers.CharField()
    remake_cost_bearer = serializers.CharField()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    preparation_notes = serializers.CharField(required=False)
    technical_notes = serializers.CharField(required=False)
    status_note = serializers.CharField(required=False)
    items = serializers.ListField(child=serializers.DictField(), required=False)
    steps = serializers.ListField(
        child=serializers.ChoiceField(Transition.choices),
        required=False,
        help_text="The steps your role may take now.",
    )
    files = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="Files sent with the order and design files, with a download link valid "
        "for a few minutes (an API link works for whoever holds it: hand it to your CAD "
        "software).",
    )


class OrderListView(APIView):
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="orders_list",
        parameters=[
            OpenApiParameter(
                "view",
                enum=list(selectors.INBOX_VIEWS),
                default="all",
                description="Inbox tab; another value is a 400",
            ),
            OpenApiParameter(
                "stage", enum=OrderState.values, description="Only this state; another is a 400"
            ),
            OpenApiParameter(
                "q",
                description="Part of the order reference or pseudonym, any case; for a "
                "practice also part of the patient's name",
            ),
        ],
        responses={200: OrderSerializer(many=True), **_errors(401, 404)},
    )
    def get(self, request):
        view = query_choice(request, "view", selectors.INBOX_VIEWS, default="all")
        orders, side = selectors.inbox(
            request.principal,
            view=view,
            stage=query_choice(request, "stage", OrderState.values),
            search=request.query_params.get("q", ""),
        )
        orders = orders.select_related("remake_of")
        if side == "practice":
            from django.db.models import F

            orders = orders.annotate(patient_uuid=F("patient__public_id"))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(orders, request, view=self)
        for order in page:
            order.side = side
        seen = [OrderForLab.of(o) if side == "lab" else o for o in page]
        return paginator.get_paginated_response(
            [order_out(request.principal, o, detail=False) for o in seen]
        )

    @extend_schema(
        operation_id="orders_create",
        description="A new draft order for a patient of your practice (send it with the "
        "`submit` step). Every value is checked; nothing is saved unless all are valid.",
        request=OrderCreateSerializer,
        examples=[OpenApiExample("A crown and a bridge", value=ORDER_EXAMPLE, request_only=True)],
        responses={201: OrderSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request):
        from django.db import transaction

        data = OrderCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        patient_id = values.pop("patient")
        attachments = values.pop("attachments", [])
        with transaction.atomic():
            order = services.order_create(
                actor=request.principal, patient_id=patient_id, lab_id=values.pop("lab", None)
            )
            if values or attachments:
                services.order_draft_update(
                    actor=request.principal,
                    order_id=order.public_id,
                    data=_draft(values),
                    attachments=[str(item_id) for item_id in attachments] or None,
                )
        order = access.order_access(request.principal, order.public_id)
        return Response(order_out(request.principal, order), status=status.HTTP_201_CREATED)


def _draft(values: dict) -> dict:
    """The service's draft input from validated API data (ids as strings)."""
    data = dict(values)
    if "lab" in data:
        data["lab"] = str(data["lab"]) if data["lab"] else None
    if "items" in data:
        data["items"] = [
            {
                **item,
                "implant_platform": str(item["implant_platform"])
                if item.get("implant_platform")
                else "",
                "implant_system": str(item["implant_system"]) if item.get("implant_system") else "",
            }
            for item in data["items"]
        ]
    return data


class OrderDetailView(APIView):
    @extend_schema(
        operation_id="orders_retrieve",
        responses={200: OrderSerializer, **_errors(401, 404)},
    )
    def get(self, request, order_id):
        order = access.order_access(request.principal, order_id)
        return Response(order_out(request.principal, order))

    @extend_schema(
        operation_id="orders_update",
        description="Change a draft (practice). Only the fields sent change; `items` replaces "
        "all restorations.",
        request=OrderWriteSerializer,
        responses={200: OrderSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request, order_id):
        data = OrderWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.order_draft_update(
            actor=request.principal, order_id=order_id, data=_draft(data.validated_data)
        )
        order = access.order_access(request.principal, order_id)
        return Response(order_out(request.principal, order))


class OrderStepSerializer(serializers.Serializer):
    transition = serializers.ChoiceField(Transition.choices)
    reason = serializers.CharField(
        required=False,
        max_length=4000,
        help_text="Required to cancel, decline, ask or answer, and ask for changes.",
    )
    return_date = serializers.DateField(
        required=False, help_text="Accepting: the date you promise (default: proposed)."
    )


class OrderStepView(APIView):
    @extend_schema(
        operation_id="orders_step",
        description="Move the order one step. Who may take which step from which state is "
        "the workflow table (see the guide); a step not yours is 403, not from this state 409.",
        request=OrderStepSerializer,
        examples=[
            OpenApiExample("Send to the lab", value={"transition": "submit"}, request_only=True),
            OpenApiExample(
                "Accept with a return date",
                value={"transition": "accept", "return_date": "2026-12-09"},
                request_only=True,
            ),
        ],
        responses={200: OrderSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, order_id):
        data = OrderStepSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_transition(
            actor=request.principal,
            order_id=order_id,
            transition=data.validated_data["transition"],
            reason=data.validated_data.get("reason", ""),
            return_date=data.validated_data.get("return_date"),
        )
        order = access.order_access(request.principal, order.public_id, audit=False)
        return Response(order_out(request.principal, order))


class OrderAttachSerializer(serializers.Serializer):
    item = serializers.UUIDField()


class OrderAttachmentsView(APIView):
    @extend_schema(
        operation_id="orders_attach",
        description="Send a record item's files with the order (practice; a draft, or when "
        "the lab asks for information).",
        request=OrderAttachSerializer,
        responses={201: OrderSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, order_id):
        data = OrderAttachSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.order_attach(
            actor=request.principal, order_id=order_id, item_id=data.validated_data["item"]
        )
        order = access.order_access(request.principal, order_id, audit=False)
        return Response(order_out(request.principal, order), status=status.HTTP_201_CREATED)


class OrderMessageSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    side = serializers.CharField()
    author = serializers.CharField(allow_null=True)
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_by = serializers.ListField(child=serializers.CharField(), help_text="Read receipts.")


class OrderMessageInSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=4000)
    item = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="Practice: a record item of the patient to attach (the lab receives its "
        "anonymized copy). A lab sends files with tus metadata `order` and `purpose=message`.",
    )


class OrderMessagesView(APIView):
    @extend_schema(
        operation_id="orders_messages",
        responses={200: OrderMessageSerializer(many=True), **_errors(401, 404)},
    )
    def get(self, request, order_id):
        order = access.order_access(request.principal, order_id)
        return Response(
            [
                {
                    "id": str(m.public_id),
                    "kind": m.kind,
                    "side": m.side,
                    "author": m.author.display_name if m.author else None,
                    "body": m.body,
                    "created_at": m.created_at,
                    "read_by": [r.reader.display_name for r in m.reads.all()],
                }
                for m in access.order_messages(order)
            ]
        )

    @extend_schema(
        operation_id="orders_message_post",
        request=OrderMessageInSerializer,
        responses={201: OrderMessageSerializer, **_errors(400, 401, 404, 409)},
    )
    def post(self, request, order_id):
        data = OrderMessageInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.order_message_post(
            actor=request.principal,
            order_id=order_id,
            body=data.validated_data["body"],
            item_id=data.validated_data.get("item"),
        )
        return Response(
            {
                "id": str(message.public_id),
                "kind": message.kind,
                "side": message.side,
                "author": request.user.display_name,
                "body": message.body,
                "created_at": message.created_at,
                "read_by": [],
            },
            status=status.HTTP_201_CREATED,
        )


class OrderAssignSerializer(serializers.Serializer):
    member = serializers.UUIDField(help_text="A membership id of your lab.")
    ends_at = serializers.DateTimeField(required=False, allow_null=True)


class OrderAssignmentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    assignee = serializers.CharField()
    ends_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)


def _assignment_out(assignment) -> dict:
    return {
        "id": str(assignment.public_id),
        "kind": assignment.kind,
        "assignee": assignment.assignee.display_name,
        "ends_at": assignment.ends_at,
        "ended_at": assignment.ended_at,
    }


class OrderAssignmentsView(APIView):
    @extend_schema(
        operation_id="orders_assign",
        request=OrderAssignSerializer,
        responses={201: OrderAssignmentSerializer, **_errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, order_id):
        data = OrderAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = services.order_assign(
            actor=request.principal,
            order_id=order_id,
            member_id=data.validated_data["member"],
            ends_at=data.validated_data.get("ends_at"),
        )
        return Response(_assignment_out(assignment), status=status.HTTP_201_CREATED)


class OrderAssignmentView(APIView):
    @extend_schema(
        operation_id="orders_unassign",
        responses={200: OrderAssignmentSerializer, **_errors(401, 403, 404)},
    )
    def delete(self, request, order_id, assignment_id):
        assignment = services.order_unassign(
            actor=request.principal, order_id=order_id, assignment_id=assignment_id
        )
        return Response(_assignment_out(assignment))


class ImplantPlatformSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    diameter = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)


class ImplantSystemSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    platforms = ImplantPlatformSerializer(many=True)


class ImplantManufacturerSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    systems = ImplantSystemSerializer(many=True)


class ImplantLibraryView(APIView):
    @extend_schema(
        operation_id="implants_list",
        description="The implant library (ORD-5) as your organization sees it: the shared "
        "systems and, for a lab, its own additions.",
        responses={200: ImplantManufacturerSerializer(many=True), **_errors(401, 404)},
    )
    def get(self, request):
        organization = request.principal.organization
        if organization is None or not request.principal.may(Perm.ORDER_VIEW):
            from dentalbridge.core.errors import NotFound

            raise NotFound()
        lab = organization if organization.kind == "lab" else None
        return Response(
            [
                {
                    "id": str(maker.public_id),
                    "name": maker.name,
                    "systems": [
                        {
                            "id": str(system.public_id),
                            "name": system.name,
                            "platforms": [
                                {
                                    "id": str(p.public_id),
                                    "name": p.name,
                                    "diameter": str(p.diameter) if p.diameter is not None else None,
                                }
                                for p in system.platforms.all()
                            ],
                        }
                        for system in maker.systems.all()
                    ],
                }
                for maker in selectors.implant_library(lab)
            ]
        )
