"""Routes of organizations (ACC-2): organizations, members, invitations, lab connections, audit.

``urlpatterns`` are HTML pages; ``api_urlpatterns`` are mounted under ``api/v1/``.
"""

from django.urls import path

from dentalbridge.organizations import api, views

org = "organizations/<uuid:organization_id>"

urlpatterns = [
    path("organizations/new/", views.organization_create, name="organization_create"),
    path("organizations/switch/", views.organization_switch, name="organization_switch"),
    path(f"{org}/", views.organization_detail, name="organization_detail"),
    path(f"{org}/edit/", views.organization_edit, name="organization_edit"),
    path(f"{org}/members/", views.members, name="members"),
    path(f"{org}/members/<uuid:membership_id>/", views.member_update, name="member_update"),
    path(f"{org}/members/<uuid:membership_id>/remove/", views.member_remove, name="member_remove"),
    path(f"{org}/invitations/", views.invitation_create, name="invitation_create"),
    path(
        f"{org}/invitations/<uuid:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(f"{org}/connections/", views.connections, name="connections"),
    path(
        f"{org}/connections/<uuid:connection_id>/",
        views.connection_update,
        name="connection_update",
    ),
    path(f"{org}/audit/", views.audit_log, name="audit_log"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]

api_urlpatterns = [
    path("organizations/", api.OrganizationListView.as_view(), name="api_organizations"),
    path(f"{org}/", api.OrganizationDetailView.as_view(), name="api_organization"),
    path(f"{org}/members/", api.MemberListView.as_view(), name="api_members"),
    path(
        f"{org}/members/<uuid:membership_id>/",
        api.MemberDetailView.as_view(),
        name="api_member",
    ),
    path(f"{org}/invitations/", api.InvitationListView.as_view(), name="api_invitations"),
    path(
        f"{org}/invitations/<uuid:invitation_id>/",
        api.InvitationDetailView.as_view(),
        name="api_invitation",
    ),
    path(f"{org}/connections/", api.ConnectionListView.as_view(), name="api_connections"),
    path(
        f"{org}/connections/<uuid:connection_id>/",
        api.ConnectionDetailView.as_view(),
        name="api_connection",
    ),
    path(f"{org}/audit-events/", api.AuditEventListView.as_view(), name="api_audit_events"),
]
