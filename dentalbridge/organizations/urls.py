"""Routes of organizations (ACC-2): organizations, members, invitations, lab connections, audit.

``urlpatterns`` are HTML pages; ``api_urlpatterns`` are mounted under ``api/v1/``.
"""

from dentalbridge.core.routes import endpoint, page
from dentalbridge.organizations import api, views

org = "organizations/<uuid:organization_id>"

urlpatterns = [
    page("organizations/new/", views.organization_create),
    page("organizations/switch/", views.organization_switch),
    page(f"{org}/", views.organization_detail),
    page(f"{org}/edit/", views.organization_edit),
    page(f"{org}/members/", views.members),
    page(f"{org}/members/<uuid:membership_id>/", views.member_update),
    page(f"{org}/members/<uuid:membership_id>/remove/", views.member_remove),
    page(f"{org}/invitations/", views.invitation_create),
    page(f"{org}/invitations/<uuid:invitation_id>/revoke/", views.invitation_revoke),
    page(f"{org}/connections/", views.connections),
    page(f"{org}/connections/<uuid:connection_id>/", views.connection_update),
    page(f"{org}/audit/", views.audit_log),
    page("invitations/<str:token>/", views.invitation_accept),
]

api_urlpatterns = [
    endpoint("organizations/", api.OrganizationListView, name="api_organizations"),
    endpoint(f"{org}/", api.OrganizationDetailView, name="api_organization"),
    endpoint(f"{org}/members/", api.MemberListView, name="api_members"),
    endpoint(f"{org}/members/<uuid:membership_id>/", api.MemberDetailView, name="api_member"),
    endpoint(f"{org}/invitations/", api.InvitationListView, name="api_invitations"),
    endpoint(
        f"{org}/invitations/<uuid:invitation_id>/", api.InvitationDetailView, name="api_invitation"
    ),
    endpoint(f"{org}/connections/", api.ConnectionListView, name="api_connections"),
    endpoint(
        f"{org}/connections/<uuid:connection_id>/", api.ConnectionDetailView, name="api_connection"
    ),
    endpoint(f"{org}/audit-events/", api.AuditEventListView, name="api_audit_events"),
]
