"""Routes of patients: the practice's patients and record (REC-1, REC-5), the portal (REC-4).

``urlpatterns`` are HTML pages; ``api_urlpatterns`` are mounted under ``api/v1/``.
"""

from dentalbridge.core.routes import endpoint, page
from dentalbridge.patients import api, views

patient = "patients/<uuid:patient_id>"

urlpatterns = [
    page("patients/", views.patient_list),
    page("patients/new/", views.patient_create),
    page("patients/deleted/", views.patient_deleted_list),
    page("patients/shared/", views.patient_shared_list),
    page("patients/archive/", views.archive_list, name="patient_archive_list"),
    page(
        "patients/archive/<uuid:archive_id>/", views.archive_detail, name="patient_archive_detail"
    ),
    page(f"{patient}/", views.patient_detail),
    page(f"{patient}/edit/", views.patient_edit),
    page(f"{patient}/delete/", views.patient_delete),
    page(f"{patient}/restore/", views.patient_restore),
    page(f"{patient}/care-team/", views.care_grant_create),
    page(f"{patient}/care-team/<uuid:grant_id>/revoke/", views.care_grant_revoke),
    page(f"{patient}/audit/", views.patient_audit),
    page(f"{patient}/audit/export.<str:fmt>", views.patient_audit_export),
    page(f"{patient}/record/new/", views.record_item_create),
    page(f"{patient}/record/<uuid:item_id>/", views.record_item_detail),
    page(f"{patient}/record/<uuid:item_id>/edit/", views.record_item_edit),
    page(f"{patient}/portal-invitation/", views.portal_invite),
    page(f"{patient}/guardian-consent/", views.guardian_consent, name="patient_guardian_consent"),
    # The patient portal: one's own record only.
    page("portal/", views.portal_home),
    page("portal/join/<str:token>/", views.portal_join),
    page("portal/<uuid:patient_id>/", views.portal_record),
    page("portal/<uuid:patient_id>/copy.zip", views.portal_copy),
]

api_urlpatterns = [
    endpoint("patients/", api.PatientListView, name="api_patients"),
    endpoint(f"{patient}/", api.PatientDetailView, name="api_patient"),
    endpoint(f"{patient}/care-team/", api.CareTeamView, name="api_care_team"),
    endpoint(f"{patient}/care-team/<uuid:grant_id>/", api.CareGrantView, name="api_care_grant"),
    endpoint(f"{patient}/record/", api.RecordView, name="api_record"),
    endpoint(f"{patient}/record/<uuid:item_id>/", api.RecordItemView, name="api_record_item"),
    endpoint(f"{patient}/restore/", api.PatientRestoreView, name="api_patient_restore"),
]
