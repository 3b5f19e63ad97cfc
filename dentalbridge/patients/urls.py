"""Routes of patients: the practice's patients and record (REC-1, REC-5), the portal (REC-4).

``urlpatterns`` are HTML pages; ``api_urlpatterns`` are mounted under ``api/v1/``.
"""

from django.urls import path

from dentalbridge.patients import api, views

patient = "patients/<uuid:patient_id>"

urlpatterns = [
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/new/", views.patient_create, name="patient_create"),
    path("patients/deleted/", views.patient_deleted_list, name="patient_deleted_list"),
    path("patients/shared/", views.patient_shared_list, name="patient_shared_list"),
    path("patients/archive/", views.archive_list, name="patient_archive_list"),
    path(
        "patients/archive/<uuid:archive_id>/",
        views.archive_detail,
        name="patient_archive_detail",
    ),
    path(f"{patient}/", views.patient_detail, name="patient_detail"),
    path(f"{patient}/edit/", views.patient_edit, name="patient_edit"),
    path(f"{patient}/delete/", views.patient_delete, name="patient_delete"),
    path(f"{patient}/restore/", views.patient_restore, name="patient_restore"),
    path(f"{patient}/care-team/", views.care_grant_create, name="care_grant_create"),
    path(
        f"{patient}/care-team/<uuid:grant_id>/revoke/",
        views.care_grant_revoke,
        name="care_grant_revoke",
    ),
    path(f"{patient}/audit/", views.patient_audit, name="patient_audit"),
    path(
        f"{patient}/audit/export.<str:fmt>",
        views.patient_audit_export,
        name="patient_audit_export",
    ),
    path(f"{patient}/record/new/", views.record_item_create, name="record_item_create"),
    path(
        f"{patient}/record/<uuid:item_id>/",
        views.record_item_detail,
        name="record_item_detail",
    ),
    path(
        f"{patient}/record/<uuid:item_id>/edit/",
        views.record_item_edit,
        name="record_item_edit",
    ),
    path(f"{patient}/portal-invitation/", views.portal_invite, name="portal_invite"),
    path(
        f"{patient}/guardian-consent/",
        views.guardian_consent,
        name="patient_guardian_consent",
    ),
    # The patient portal: one's own record only.
    path("portal/", views.portal_home, name="portal_home"),
    path("portal/join/<str:token>/", views.portal_join, name="portal_join"),
    path("portal/<uuid:patient_id>/", views.portal_record, name="portal_record"),
    path("portal/<uuid:patient_id>/copy.zip", views.portal_copy, name="portal_copy"),
]

api_urlpatterns = [
    path("patients/", api.PatientListView.as_view(), name="api_patients"),
    path(f"{patient}/", api.PatientDetailView.as_view(), name="api_patient"),
    path(f"{patient}/care-team/", api.CareTeamView.as_view(), name="api_care_team"),
    path(
        f"{patient}/care-team/<uuid:grant_id>/",
        api.CareGrantView.as_view(),
        name="api_care_grant",
    ),
    path(f"{patient}/record/", api.RecordView.as_view(), name="api_record"),
    path(
        f"{patient}/record/<uuid:item_id>/",
        api.RecordItemView.as_view(),
        name="api_record_item",
    ),
    path(f"{patient}/restore/", api.PatientRestoreView.as_view(), name="api_patient_restore"),
]
