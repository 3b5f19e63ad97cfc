"""Routes of files: a record's files, downloads, shares with labs, and the tus upload server.

``urlpatterns`` are HTML pages; ``api_urlpatterns`` are mounted under ``api/v1/``.
"""

from django.urls import path

from dentalbridge.files import api, tus, views

patient = "patients/<uuid:patient_id>"

urlpatterns = [
    path(f"{patient}/record/<uuid:item_id>/files/", views.file_panel, name="record_item_files"),
    path(f"{patient}/files.zip", views.record_files_zip, name="patient_files_zip"),
    path(f"{patient}/scans/", views.patient_scans, name="patient_scans"),
    path(
        f"{patient}/files/<uuid:asset_id>/release/",
        views.asset_release,
        name="patient_file_release",
    ),
    path(
        f"{patient}/files/<uuid:asset_id>/repair/",
        views.asset_repair,
        name="patient_file_repair",
    ),
    path("files/d/<str:token>/", views.file_download, name="file_download"),
    path(
        f"{patient}/record/<uuid:item_id>/shares/",
        views.share_create,
        name="record_item_share",
    ),
    path(
        f"{patient}/record/<uuid:item_id>/shares/<uuid:share_id>/revoke/",
        views.share_revoke,
        name="record_item_share_revoke",
    ),
    # What practices shared with the acting lab, and its designers' assignments.
    path("lab/shared/", views.lab_shares, name="lab_shares"),
    path("lab/shared/<uuid:share_id>/", views.lab_share_detail, name="lab_share_detail"),
    path("lab/shared/<uuid:share_id>/designers/", views.designer_assign, name="lab_share_assign"),
    path(
        "lab/shared/<uuid:share_id>/designers/<uuid:assignment_id>/revoke/",
        views.designer_unassign,
        name="lab_share_unassign",
    ),
]

api_urlpatterns = [
    path("uploads/", tus.UploadCreateView.as_view(), name="api_uploads"),
    path("uploads/<uuid:upload_id>", tus.UploadView.as_view(), name="api_upload"),
    path(f"{patient}/files/", api.FileListView.as_view(), name="api_patient_files"),
    path(
        f"{patient}/files/<uuid:asset_id>/",
        api.FileDetailView.as_view(),
        name="api_patient_file",
    ),
]
