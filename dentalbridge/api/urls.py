from django.urls import path

from dentalbridge.accounts.api import MeView
from dentalbridge.api import views
from dentalbridge.files import api as files_api
from dentalbridge.files import tus
from dentalbridge.orders import api as orders_api
from dentalbridge.organizations import api as org_api
from dentalbridge.patients import api as patient_api

org = "organizations/<uuid:organization_id>"

urlpatterns = [
    path("openapi.json", views.SchemaView.as_view(), name="api_schema"),
    path("docs/", views.docs, name="api_docs"),
    path("me/", MeView.as_view(), name="api_me"),
    path("organizations/", org_api.OrganizationListView.as_view(), name="api_organizations"),
    path(f"{org}/", org_api.OrganizationDetailView.as_view(), name="api_organization"),
    path(f"{org}/members/", org_api.MemberListView.as_view(), name="api_members"),
    path(
        f"{org}/members/<uuid:membership_id>/",
        org_api.MemberDetailView.as_view(),
        name="api_member",
    ),
    path(f"{org}/invitations/", org_api.InvitationListView.as_view(), name="api_invitations"),
    path(
        f"{org}/invitations/<uuid:invitation_id>/",
        org_api.InvitationDetailView.as_view(),
        name="api_invitation",
    ),
    path(f"{org}/connections/", org_api.ConnectionListView.as_view(), name="api_connections"),
    path(
        f"{org}/connections/<uuid:connection_id>/",
        org_api.ConnectionDetailView.as_view(),
        name="api_connection",
    ),
    path(f"{org}/audit-events/", org_api.AuditEventListView.as_view(), name="api_audit_events"),
    path("orders/", orders_api.OrderListView.as_view(), name="api_orders"),
    path("orders/<uuid:order_id>/", orders_api.OrderDetailView.as_view(), name="api_order"),
    path(
        "orders/<uuid:order_id>/steps/", orders_api.OrderStepView.as_view(), name="api_order_step"
    ),
    path(
        "orders/<uuid:order_id>/attachments/",
        orders_api.OrderAttachmentsView.as_view(),
        name="api_order_attachments",
    ),
    path(
        "orders/<uuid:order_id>/messages/",
        orders_api.OrderMessagesView.as_view(),
        name="api_order_messages",
    ),
    path(
        "orders/<uuid:order_id>/assignments/",
        orders_api.OrderAssignmentsView.as_view(),
        name="api_order_assignments",
    ),
    path(
        "orders/<uuid:order_id>/assignments/<uuid:assignment_id>/",
        orders_api.OrderAssignmentView.as_view(),
        name="api_order_assignment",
    ),
    path("implants/", orders_api.ImplantLibraryView.as_view(), name="api_implants"),
    path("uploads/", tus.UploadCreateView.as_view(), name="api_uploads"),
    path("uploads/<uuid:upload_id>", tus.UploadView.as_view(), name="api_upload"),
    path(
        "patients/<uuid:patient_id>/files/",
        files_api.FileListView.as_view(),
        name="api_patient_files",
    ),
    path(
        "patients/<uuid:patient_id>/files/<uuid:asset_id>/",
        files_api.FileDetailView.as_view(),
        name="api_patient_file",
    ),
    path("patients/", patient_api.PatientListView.as_view(), name="api_patients"),
    path(
        "patients/<uuid:patient_id>/", patient_api.PatientDetailView.as_view(), name="api_patient"
    ),
    path(
        "patients/<uuid:patient_id>/care-team/",
        patient_api.CareTeamView.as_view(),
        name="api_care_team",
    ),
    path(
        "patients/<uuid:patient_id>/care-team/<uuid:grant_id>/",
        patient_api.CareGrantView.as_view(),
        name="api_care_grant",
    ),
    path("patients/<uuid:patient_id>/record/", patient_api.RecordView.as_view(), name="api_record"),
    path(
        "patients/<uuid:patient_id>/record/<uuid:item_id>/",
        patient_api.RecordItemView.as_view(),
        name="api_record_item",
    ),
    path(
        "patients/<uuid:patient_id>/restore/",
        patient_api.PatientRestoreView.as_view(),
        name="api_patient_restore",
    ),
]
