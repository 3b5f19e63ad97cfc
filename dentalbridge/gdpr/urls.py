"""Routes of gdpr: the processing register and notice (PRV-1, PRV-7, PRV-10), data-subject
requests (PRV-3, PRV-4), legal holds, and the platform DPO's pages (PRV-6, PRV-8)."""

from dentalbridge.core.routes import page
from dentalbridge.gdpr import request_views, views

request = "privacy/requests/<uuid:request_id>"

urlpatterns = [
    # The register: generated notice, cookie policy and settings, one's own privacy page.
    page("privacy/", views.privacy_notice),
    page("privacy/cookies/", views.cookie_policy),
    page("privacy/cookies/settings/", views.cookie_settings),
    page("accounts/privacy/", views.my_privacy),
    # Data-subject requests.
    page("privacy/request/", request_views.data_request_public),
    page("privacy/request/confirm/<str:token>/", request_views.data_request_verify),
    page("accounts/privacy/requests/", request_views.my_data_requests),
    page("accounts/privacy/close/", request_views.close_my_account),
    page("privacy/download/<str:token>/", request_views.data_request_download),
    page("privacy/requests/", request_views.data_request_list),
    page("privacy/deletions/", request_views.deletion_instructions),
    page("privacy/requests/forward/", request_views.data_request_forward),
    page(f"{request}/", request_views.data_request_detail),
    page(f"{request}/extend/", request_views.data_request_extend),
    page(f"{request}/execute/", request_views.data_request_execute),
    page(f"{request}/erase/", request_views.data_request_erase),
    page(f"{request}/answer/", request_views.data_request_answer),
    page("patients/<uuid:patient_id>/holds/", request_views.legal_hold_place),
    page("patients/<uuid:patient_id>/holds/<uuid:hold_id>/lift/", request_views.legal_hold_lift),
    # The platform DPO: audit trails by patient id, legal archives for a stated purpose, the
    # Art. 30 record, breaches, retention, sub-processors.
    page("dpo/", views.dpo_home),
    page("dpo/patients/<uuid:patient_id>/audit/", views.dpo_patient_audit),
    page("dpo/archives/<uuid:archive_id>/", views.dpo_archive),
    page("dpo/record/", views.dpo_record),
    page("dpo/record.csv", views.dpo_record_csv),
    page("dpo/record.json", views.dpo_record_json),
    page("dpo/operator/", views.dpo_operator),
    page("dpo/policy/", views.dpo_policy),
    page("dpo/breaches/", views.dpo_breaches),
    page("dpo/breaches/<uuid:breach_id>/", views.dpo_breach),
    page("dpo/retention/dry-run/", views.dpo_retention_dry_run),
    page("dpo/subprocessors/", views.dpo_subprocessors),
    page("dpo/subprocessors/<uuid:subprocessor_id>/remove/", views.dpo_subprocessor_remove),
]
