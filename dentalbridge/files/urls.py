"""Routes of files: a record's files, downloads, shares with labs, and the tus upload server.

``urlpatterns`` are HTML pages; ``api_urlpatterns`` are mounted under ``api/v1/``.
"""

from dentalbridge.core.routes import endpoint, page
from dentalbridge.files import api, tus, views

patient = "patients/<uuid:patient_id>"

urlpatterns = [
    page(f"{patient}/record/<uuid:item_id>/files/", views.file_panel, name="record_item_files"),
    page(f"{patient}/files.zip", views.record_files_zip, name="patient_files_zip"),
    page(f"{patient}/scans/", views.patient_scans),
    page(
        f"{patient}/files/<uuid:asset_id>/release/",
        views.asset_release,
        name="patient_file_release",
    ),
    page(
        f"{patient}/files/<uuid:asset_id>/repair/", views.asset_repair, name="patient_file_repair"
    ),
    page("files/d/<str:token>/", views.file_download),
    page(f"{patient}/record/<uuid:item_id>/shares/", views.share_create, name="record_item_share"),
    page(
        f"{patient}/record/<uuid:item_id>/shares/<uuid:share_id>/revoke/",
        views.share_revoke,
        name="record_item_share_revoke",
    ),
    # What practices shared with the acting lab, and its designers' assignments.
    page("lab/shared/", views.lab_shares),
    page("lab/shared/<uuid:share_id>/", views.lab_share_detail),
    page("lab/shared/<uuid:share_id>/designers/", views.designer_assign, name="lab_share_assign"),
    page(
        "lab/shared/<uuid:share_id>/designers/<uuid:assignment_id>/revoke/",
        views.designer_unassign,
        name="lab_share_unassign",
    ),
]

api_urlpatterns = [
    endpoint("uploads/", tus.UploadCreateView, name="api_uploads"),
    endpoint("uploads/<uuid:upload_id>", tus.UploadView, name="api_upload"),
    endpoint(f"{patient}/files/", api.FileListView, name="api_patient_files"),
    endpoint(f"{patient}/files/<uuid:asset_id>/", api.FileDetailView, name="api_patient_file"),
]
