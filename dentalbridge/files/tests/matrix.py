"""Authorization-matrix rows of files: a record's files, downloads, shares with labs, tus uploads.

Collected by tests/test_authorization_matrix.py (the vocabulary is in tests/matrix.py).
"""

from conftest import acting
from dentalbridge.files import access as files_access
from dentalbridge.organizations.models import LabConnection
from dentalbridge.patients.tests.matrix import NO_PATIENT_ROLE, a_patient, new_patient
from tests.matrix import LOGIN, NA, Case


def a_scan(w):
    from dentalbridge.files.tests.factories import stored_scan

    patient = new_patient(w)
    asset = stored_scan(acting(w.owner, w.practice), patient)
    return {"patient_id": patient.public_id, "asset_id": asset.public_id}


def a_scan_item(w):
    from dentalbridge.files.tests.factories import stored_scan

    patient = new_patient(w)
    asset = stored_scan(acting(w.owner, w.practice), patient)
    return {"patient_id": patient.public_id, "item_id": asset.item.public_id}


def a_download_link(w):
    from dentalbridge.files import delivery
    from dentalbridge.privacy.policy import Perm

    ids = a_scan(w)
    owner = acting(w.owner, w.practice)
    asset, _outside = files_access.asset_access(
        owner, ids["patient_id"], ids["asset_id"], Perm.PATIENT_VIEW
    )
    return delivery.link_for(owner, asset)


def a_share(w):
    from dentalbridge.files import services
    from dentalbridge.organizations.models import ConnectionStatus

    LabConnection.objects.get_or_create(
        practice=w.practice, lab=w.lab, defaults={"status": ConnectionStatus.ACCEPTED}
    )
    ids = a_scan_item(w)
    share = services.share_create(
        actor=acting(w.dentist, w.practice), lab_id=w.lab.public_id, **ids
    )
    return {**ids, "share_id": share.public_id}


def an_assignment(w):
    import datetime

    from django.utils import timezone

    from dentalbridge.files import services

    share_id = a_share(w)["share_id"]
    assignment = services.designer_assign(
        actor=acting(w.manager, w.lab),
        share_id=share_id,
        designer_id=w.designer.public_id,
        ends_at=timezone.now() + datetime.timedelta(days=2),
    )
    return {"share_id": share_id, "assignment_id": assignment.public_id}


def an_upload(w):
    from dentalbridge.files import uploads

    patient = new_patient(w)
    upload = uploads.upload_create(
        actor=acting(w.dentist, w.practice),
        length=100,
        metadata={"filename": "scan.stl", "patient": str(patient.public_id)},
    )
    return {"upload_id": upload.public_id}


def upload_headers(w):
    from dentalbridge.files.tests.tus_client import metadata

    patient = new_patient(w)
    meta = metadata(filename="scan.stl", patient=patient.public_id)
    return {"Tus-Resumable": "1.0.0", "Upload-Length": "100", "Upload-Metadata": meta}


TUS = lambda w: {"Tus-Resumable": "1.0.0"}  # noqa: E731


ROWS: dict[str, Case] = {
    "api/v1/uploads/": Case(
        api=True,
        method="post",
        headers=upload_headers,
        right=("assistant", 201),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/uploads/<uuid:upload_id>": Case(
        api=True,
        method="head",
        kwargs=an_upload,
        headers=TUS,
        right=("dentist", 200),
        wrong=("assistant", 404),  # an upload belongs to whoever started it
        other=("other_owner", 404),
        anon=401,
    ),
    "patients/<uuid:patient_id>/record/<uuid:item_id>/files/": Case(
        kwargs=a_scan_item,
        right=("assistant", 200),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/files.zip": Case(
        kwargs=lambda w: {"patient_id": a_scan(w)["patient_id"]},
        right=("assistant", 200),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/scans/": Case(
        kwargs=a_patient, right=("assistant", 200), wrong=NO_PATIENT_ROLE, other=("manager", 404)
    ),
    "patients/<uuid:patient_id>/files/<uuid:asset_id>/release/": Case(
        method="post",
        kwargs=a_scan,
        right=("dentist", 302),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/files/<uuid:asset_id>/repair/": Case(
        method="post",
        kwargs=a_scan,
        right=("dentist", 302),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/record/<uuid:item_id>/shares/": Case(
        method="post",
        kwargs=a_scan_item,
        data=lambda w: {"lab": str(w.lab.public_id), "note": "Crown 16"},
        right=("dentist", 302),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/record/<uuid:item_id>/shares/<uuid:share_id>/revoke/": Case(
        method="post",
        kwargs=a_share,
        right=("assistant", 302),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "lab/shared/": Case(
        right=("technician", 200),
        wrong=NA("every lab role; a designer sees only the shares assigned to them"),
        other=NA("lists only the acting lab's shares"),
    ),
    "lab/shared/<uuid:share_id>/": Case(
        kwargs=lambda w: {"share_id": a_share(w)["share_id"]},
        right=("technician", 200),
        wrong=("designer", 404),  # not assigned to it
        other=("other_manager", 404),
    ),
    "lab/shared/<uuid:share_id>/designers/": Case(
        method="post",
        kwargs=lambda w: {"share_id": a_share(w)["share_id"]},
        data=lambda w: {"designer": str(w.designer.public_id), "until": "2099-01-01"},
        right=("manager", 302),
        wrong=("technician", 403),
        other=("other_manager", 404),
    ),
    "lab/shared/<uuid:share_id>/designers/<uuid:assignment_id>/revoke/": Case(
        method="post",
        kwargs=an_assignment,
        right=("manager", 302),
        wrong=("technician", 403),
        other=("other_manager", 404),
    ),
    "api/v1/patients/<uuid:patient_id>/files/": Case(
        api=True,
        kwargs=lambda w: {"patient_id": a_scan(w)["patient_id"]},
        right=("assistant", 200),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/patients/<uuid:patient_id>/files/<uuid:asset_id>/": Case(
        api=True,
        kwargs=a_scan,
        right=("assistant", 200),
        wrong=NO_PATIENT_ROLE,
        other=("manager", 404),
        anon=401,
    ),
    "files/d/<str:token>/": Case(
        path=a_download_link,
        right=("owner", 200),
        wrong=("assistant", 404),  # a browser link works only for whom it was made
        other=("other_owner", 404),
        anon=404,
    ),
}

# Patient data per persona: see PATIENT_DATA in dentalbridge/patients/tests/matrix.py.
PATIENT_DATA = {
    "record_item_files": (
        ("patient_id", "item_id"),
        (200, 200, 200, 404, 404, 404, 404, 404, LOGIN),
    ),
    "patient_files_zip": (("patient_id",), (302, 302, 302, 404, 404, 404, 404, 404, LOGIN)),
    "patient_scans": (("patient_id",), (200, 200, 200, 404, 404, 404, 404, 404, LOGIN)),
    "api_patient_files": (("patient_id",), (200, 200, 200, 404, 404, 404, 404, 404, 401)),
}
PATIENT_DATA_SKIPPED = {
    "patient_file_release": "POST actions on a file (general matrix)",
    "patient_file_repair": "POST actions on a file (general matrix)",
    "api_patient_file": "one file: general matrix and the files tests",
    "record_item_share": "POST: share with a lab (general matrix)",
    "record_item_share_revoke": "POST only (general matrix)",
}
