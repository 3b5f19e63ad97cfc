from django.urls import include, path
from django.views.i18n import set_language

from dentalbridge.accounts import views as account_views
from dentalbridge.core import views as core_views
from dentalbridge.files import views as file_views
from dentalbridge.gdpr import request_views
from dentalbridge.gdpr import views as privacy_views
from dentalbridge.messaging import views as messaging_views
from dentalbridge.orders import lab_views
from dentalbridge.orders import views as order_views
from dentalbridge.organizations import views as org_views
from dentalbridge.patients import views as patient_views

org = "organizations/<uuid:organization_id>"

urlpatterns = [
    path("", core_views.dashboard, name="dashboard"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    # Accounts: allauth for sign-up/in, e-mail, password, 2FA, sessions (ACC-1, ACC-3).
    path("accounts/profile/", account_views.profile, name="profile"),
    path("accounts/photo/<uuid:user_id>/", account_views.profile_photo, name="profile_photo"),
    path("accounts/tokens/", account_views.tokens, name="api_tokens"),
    path(
        "accounts/tokens/<uuid:token_id>/revoke/",
        account_views.token_revoke,
        name="api_token_revoke",
    ),
    path(
        "accounts/notifications/",
        messaging_views.notification_preferences,
        name="notification_preferences",
    ),
    path("accounts/", include("allauth.urls")),
    path("notifications/", messaging_views.notification_list, name="notification_list"),
    # Product news (COM-3): written by the platform's staff, one-click unsubscribe.
    path("newsletters/", messaging_views.newsletter_list, name="newsletter_list"),
    path(
        "newsletters/<uuid:newsletter_id>/send/",
        messaging_views.newsletter_send,
        name="newsletter_send",
    ),
    path("unsubscribe/<str:token>/", messaging_views.unsubscribe, name="unsubscribe"),
    path("notifications/read/", messaging_views.notifications_read, name="notifications_read"),
    # Organizations (ACC-2).
    path("organizations/new/", org_views.organization_create, name="organization_create"),
    path("organizations/switch/", org_views.organization_switch, name="organization_switch"),
    path(f"{org}/", org_views.organization_detail, name="organization_detail"),
    path(f"{org}/edit/", org_views.organization_edit, name="organization_edit"),
    path(f"{org}/members/", org_views.members, name="members"),
    path(
        f"{org}/members/<uuid:membership_id>/",
        org_views.member_update,
        name="member_update",
    ),
    path(
        f"{org}/members/<uuid:membership_id>/remove/",
        org_views.member_remove,
        name="member_remove",
    ),
    path(f"{org}/invitations/", org_views.invitation_create, name="invitation_create"),
    path(
        f"{org}/invitations/<uuid:invitation_id>/revoke/",
        org_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(f"{org}/connections/", org_views.connections, name="connections"),
    path(
        f"{org}/connections/<uuid:connection_id>/",
        org_views.connection_update,
        name="connection_update",
    ),
    path(f"{org}/audit/", org_views.audit_log, name="audit_log"),
    path("invitations/<str:token>/", org_views.invitation_accept, name="invitation_accept"),
    # Patients of the practice one acts for (REC-1, REC-5).
    path("patients/", patient_views.patient_list, name="patient_list"),
    path("patients/new/", patient_views.patient_create, name="patient_create"),
    path("patients/deleted/", patient_views.patient_deleted_list, name="patient_deleted_list"),
    path("patients/shared/", patient_views.patient_shared_list, name="patient_shared_list"),
    path("patients/archive/", patient_views.archive_list, name="patient_archive_list"),
    path(
        "patients/archive/<uuid:archive_id>/",
        patient_views.archive_detail,
        name="patient_archive_detail",
    ),
    path("patients/<uuid:patient_id>/", patient_views.patient_detail, name="patient_detail"),
    path("patients/<uuid:patient_id>/edit/", patient_views.patient_edit, name="patient_edit"),
    path("patients/<uuid:patient_id>/delete/", patient_views.patient_delete, name="patient_delete"),
    path(
        "patients/<uuid:patient_id>/restore/",
        patient_views.patient_restore,
        name="patient_restore",
    ),
    path(
        "patients/<uuid:patient_id>/care-team/",
        patient_views.care_grant_create,
        name="care_grant_create",
    ),
    path(
        "patients/<uuid:patient_id>/care-team/<uuid:grant_id>/revoke/",
        patient_views.care_grant_revoke,
        name="care_grant_revoke",
    ),
    path("patients/<uuid:patient_id>/audit/", patient_views.patient_audit, name="patient_audit"),
    path(
        "patients/<uuid:patient_id>/record/new/",
        patient_views.record_item_create,
        name="record_item_create",
    ),
    path(
        "patients/<uuid:patient_id>/record/<uuid:item_id>/",
        patient_views.record_item_detail,
        name="record_item_detail",
    ),
    path(
        "patients/<uuid:patient_id>/record/<uuid:item_id>/edit/",
        patient_views.record_item_edit,
        name="record_item_edit",
    ),
    path(
        "patients/<uuid:patient_id>/audit/export.<str:fmt>",
        patient_views.patient_audit_export,
        name="patient_audit_export",
    ),
    path(
        "patients/<uuid:patient_id>/record/<uuid:item_id>/files/",
        file_views.file_panel,
        name="record_item_files",
    ),
    path(
        "patients/<uuid:patient_id>/files.zip",
        file_views.record_files_zip,
        name="patient_files_zip",
    ),
    path("patients/<uuid:patient_id>/scans/", file_views.patient_scans, name="patient_scans"),
    path(
        "patients/<uuid:patient_id>/files/<uuid:asset_id>/release/",
        file_views.asset_release,
        name="patient_file_release",
    ),
    path(
        "patients/<uuid:patient_id>/files/<uuid:asset_id>/repair/",
        file_views.asset_repair,
        name="patient_file_repair",
    ),
    path("files/d/<str:token>/", file_views.file_download, name="file_download"),
    path(
        "patients/<uuid:patient_id>/record/<uuid:item_id>/shares/",
        file_views.share_create,
        name="record_item_share",
    ),
    path(
        "patients/<uuid:patient_id>/record/<uuid:item_id>/shares/<uuid:share_id>/revoke/",
        file_views.share_revoke,
        name="record_item_share_revoke",
    ),
    # Orders (ORD-1…ORD-8): the practice's orders or the lab's inbox, and the order page.
    path(
        "patients/<uuid:patient_id>/orders/new/",
        order_views.patient_order_create,
        name="patient_order_create",
    ),
    path("orders/", order_views.order_list, name="order_list"),
    path("orders/<uuid:order_id>/", order_views.order_detail, name="order_detail"),
    path("orders/<uuid:order_id>/edit/", order_views.order_edit, name="order_edit"),
    path("orders/<uuid:order_id>/autosave/", order_views.order_autosave, name="order_autosave"),
    path("orders/<uuid:order_id>/step/", order_views.order_step, name="order_step"),
    path("orders/<uuid:order_id>/assign/", order_views.order_assign, name="order_assign"),
    path(
        "orders/<uuid:order_id>/assign/<uuid:assignment_id>/end/",
        order_views.order_unassign,
        name="order_unassign",
    ),
    path(
        "orders/<uuid:order_id>/return-date/",
        order_views.order_return_date,
        name="order_return_date",
    ),
    path("orders/<uuid:order_id>/messages/", order_views.order_message, name="order_message"),
    path("orders/<uuid:order_id>/remake/", order_views.order_remake, name="order_remake"),
    path("orders/<uuid:order_id>/files/", order_views.order_attach, name="order_attach"),
    path("implants/", lab_views.implant_library, name="implant_library"),
    path("implants/<uuid:platform_id>/remove/", lab_views.implant_remove, name="implant_remove"),
    path("lab/settings/", lab_views.lab_settings, name="lab_settings"),
    path("lab/settings/closures/", lab_views.lab_closure_add, name="lab_closure_add"),
    path(
        "lab/settings/closures/<uuid:closure_id>/remove/",
        lab_views.lab_closure_remove,
        name="lab_closure_remove",
    ),
    path("lab/settings/products/", lab_views.lab_product_add, name="lab_product_add"),
    path(
        "lab/settings/products/<uuid:product_id>/remove/",
        lab_views.lab_product_remove,
        name="lab_product_remove",
    ),
    path("lab/shared/", file_views.lab_shares, name="lab_shares"),
    path("lab/shared/<uuid:share_id>/", file_views.lab_share_detail, name="lab_share_detail"),
    path(
        "lab/shared/<uuid:share_id>/designers/",
        file_views.designer_assign,
        name="lab_share_assign",
    ),
    path(
        "lab/shared/<uuid:share_id>/designers/<uuid:assignment_id>/revoke/",
        file_views.designer_unassign,
        name="lab_share_unassign",
    ),
    path(
        "patients/<uuid:patient_id>/portal-invitation/",
        patient_views.portal_invite,
        name="portal_invite",
    ),
    # The patient portal: one's own record only (REC-4).
    path("portal/", patient_views.portal_home, name="portal_home"),
    path("portal/join/<str:token>/", patient_views.portal_join, name="portal_join"),
    path("portal/<uuid:patient_id>/", patient_views.portal_record, name="portal_record"),
    path("portal/<uuid:patient_id>/copy.zip", patient_views.portal_copy, name="portal_copy"),
    path(
        "patients/<uuid:patient_id>/guardian-consent/",
        patient_views.guardian_consent,
        name="patient_guardian_consent",
    ),
    # The platform DPO (PRV-6): audit trails by patient id, legal archives for a stated purpose.
    path("dpo/", privacy_views.dpo_home, name="dpo_home"),
    path(
        "dpo/patients/<uuid:patient_id>/audit/",
        privacy_views.dpo_patient_audit,
        name="dpo_patient_audit",
    ),
    path("dpo/archives/<uuid:archive_id>/", privacy_views.dpo_archive, name="dpo_archive"),
    # The processing register (PRV-1, PRV-7, PRV-10): generated notice, cookie policy, Art. 30.
    path("privacy/", privacy_views.privacy_notice, name="privacy_notice"),
    path("accounts/privacy/", privacy_views.my_privacy, name="my_privacy"),
    # Data-subject requests (PRV-3, PRV-4).
    path("privacy/request/", request_views.data_request_public, name="data_request_public"),
    path(
        "privacy/request/confirm/<str:token>/",
        request_views.data_request_verify,
        name="data_request_verify",
    ),
    path("accounts/privacy/requests/", request_views.my_data_requests, name="my_data_requests"),
    path(
        "privacy/download/<str:token>/",
        request_views.data_request_download,
        name="data_request_download",
    ),
    path("privacy/requests/", request_views.data_request_list, name="data_request_list"),
    path(
        "privacy/deletions/",
        request_views.deletion_instructions,
        name="deletion_instructions",
    ),
    path(
        "privacy/requests/forward/",
        request_views.data_request_forward,
        name="data_request_forward",
    ),
    path(
        "privacy/requests/<uuid:request_id>/",
        request_views.data_request_detail,
        name="data_request_detail",
    ),
    path(
        "privacy/requests/<uuid:request_id>/extend/",
        request_views.data_request_extend,
        name="data_request_extend",
    ),
    path(
        "privacy/requests/<uuid:request_id>/execute/",
        request_views.data_request_execute,
        name="data_request_execute",
    ),
    path("accounts/privacy/close/", request_views.close_my_account, name="close_my_account"),
    path(
        "privacy/requests/<uuid:request_id>/erase/",
        request_views.data_request_erase,
        name="data_request_erase",
    ),
    path(
        "patients/<uuid:patient_id>/holds/",
        request_views.legal_hold_place,
        name="legal_hold_place",
    ),
    path(
        "patients/<uuid:patient_id>/holds/<uuid:hold_id>/lift/",
        request_views.legal_hold_lift,
        name="legal_hold_lift",
    ),
    path(
        "privacy/requests/<uuid:request_id>/answer/",
        request_views.data_request_answer,
        name="data_request_answer",
    ),
    path("privacy/cookies/", privacy_views.cookie_policy, name="cookie_policy"),
    path("privacy/cookies/settings/", privacy_views.cookie_settings, name="cookie_settings"),
    path("dpo/record/", privacy_views.dpo_record, name="dpo_record"),
    path("dpo/record.csv", privacy_views.dpo_record_csv, name="dpo_record_csv"),
    path("dpo/record.json", privacy_views.dpo_record_json, name="dpo_record_json"),
    path("dpo/operator/", privacy_views.dpo_operator, name="dpo_operator"),
    path("dpo/policy/", privacy_views.dpo_policy, name="dpo_policy"),
    path("dpo/breaches/", privacy_views.dpo_breaches, name="dpo_breaches"),
    path(
        "dpo/retention/dry-run/", privacy_views.dpo_retention_dry_run, name="dpo_retention_dry_run"
    ),
    path("dpo/breaches/<uuid:breach_id>/", privacy_views.dpo_breach, name="dpo_breach"),
    path("dpo/subprocessors/", privacy_views.dpo_subprocessors, name="dpo_subprocessors"),
    path(
        "dpo/subprocessors/<uuid:subprocessor_id>/remove/",
        privacy_views.dpo_subprocessor_remove,
        name="dpo_subprocessor_remove",
    ),
    # API (versioned, token or session auth).
    path("api/v1/", include("dentalbridge.api.urls")),
]

handler400 = "dentalbridge.core.views.bad_request"
handler403 = "dentalbridge.core.views.permission_denied"
handler404 = "dentalbridge.core.views.page_not_found"
handler500 = "dentalbridge.core.views.server_error"
