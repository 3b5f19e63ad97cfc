"""Routes of gdpr: the processing register and notice (PRV-1, PRV-7, PRV-10), data-subject
requests (PRV-3, PRV-4), legal holds, and the platform DPO's pages (PRV-6, PRV-8)."""

from django.urls import path

from dentalbridge.gdpr import request_views, views

request = "privacy/requests/<uuid:request_id>"

urlpatterns = [
    # The register: generated notice, cookie policy and settings, one's own privacy page.
    path("privacy/", views.privacy_notice, name="privacy_notice"),
    path("privacy/cookies/", views.cookie_policy, name="cookie_policy"),
    path("privacy/cookies/settings/", views.cookie_settings, name="cookie_settings"),
    path("accounts/privacy/", views.my_privacy, name="my_privacy"),
    # Data-subject requests.
    path("privacy/request/", request_views.data_request_public, name="data_request_public"),
    path(
        "privacy/request/confirm/<str:token>/",
        request_views.data_request_verify,
        name="data_request_verify",
    ),
    path("accounts/privacy/requests/", request_views.my_data_requests, name="my_data_requests"),
    path("accounts/privacy/close/", request_views.close_my_account, name="close_my_account"),
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
    path(f"{request}/", request_views.data_request_detail, name="data_request_detail"),
    path(f"{request}/extend/", request_views.data_request_extend, name="data_request_extend"),
    path(f"{request}/execute/", request_views.data_request_execute, name="data_request_execute"),
    path(f"{request}/erase/", request_views.data_request_erase, name="data_request_erase"),
    path(f"{request}/answer/", request_views.data_request_answer, name="data_request_answer"),
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
    # The platform DPO: audit trails by patient id, legal archives for a stated purpose, the
    # Art. 30 record, breaches, retention, sub-processors.
    path("dpo/", views.dpo_home, name="dpo_home"),
    path(
        "dpo/patients/<uuid:patient_id>/audit/",
        views.dpo_patient_audit,
        name="dpo_patient_audit",
    ),
    path("dpo/archives/<uuid:archive_id>/", views.dpo_archive, name="dpo_archive"),
    path("dpo/record/", views.dpo_record, name="dpo_record"),
    path("dpo/record.csv", views.dpo_record_csv, name="dpo_record_csv"),
    path("dpo/record.json", views.dpo_record_json, name="dpo_record_json"),
    path("dpo/operator/", views.dpo_operator, name="dpo_operator"),
    path("dpo/policy/", views.dpo_policy, name="dpo_policy"),
    path("dpo/breaches/", views.dpo_breaches, name="dpo_breaches"),
    path("dpo/breaches/<uuid:breach_id>/", views.dpo_breach, name="dpo_breach"),
    path("dpo/retention/dry-run/", views.dpo_retention_dry_run, name="dpo_retention_dry_run"),
    path("dpo/subprocessors/", views.dpo_subprocessors, name="dpo_subprocessors"),
    path(
        "dpo/subprocessors/<uuid:subprocessor_id>/remove/",
        views.dpo_subprocessor_remove,
        name="dpo_subprocessor_remove",
    ),
]
