"""Authorization-matrix rows of files: a record's files, downloads, shares with labs, tus uploads.

Collected by tests/test_authorization_matrix.py (the vocabulary is in tests/matrix.py).
"""

from conftest import acting
from dentalbridge.files import access as files_access
from dentalbridge.organizations.models import LabConnection
from dentalbridge.patients.tests.matrix import a_patient, new_patient
from tests.matrix import ASSIGNED_ONLY, EVERY_PRACTICE_ROLE, LOGIN, NA, NOT_TECHNICIAN, Case, Others


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


def a_scanned_patient(w):
    return {"patient_id": a_scan(w)["patient_id"]}


def the_share(w):
    return {"share_id": a_share(w)["share_id"]}


TUS = lambda w: {"Tus-Resumable": "1.0.0"}  # noqa: E731


PATIENT = "patients/<uuid:patient_id>"  # the prefix of its routes, as in urls.py

ROWS: dict[str, Case] = {
    "api/v1/uploads/": Case.endpoint(
        "post", ("assistant", 201), EVERY_PRACTICE_ROLE, headers=upload_headers
    ),
    "api/v1/uploads/<uuid:upload_id>": Case.endpoint(
        "head",
        ("dentist", 200),
        # An upload belongs to whoever started it.
        Others(wrong=("assistant", 404), other=("other_owner", 404)),
        kwargs=an_upload,
        headers=TUS,
    ),
    f"{PATIENT}/record/<uuid:item_id>/files/": Case.page(
        ("assistant", 200), EVERY_PRACTICE_ROLE, kwargs=a_scan_item
    ),
    f"{PATIENT}/files.zip": Case.page(
        ("assistant", 200), EVERY_PRACTICE_ROLE, kwargs=a_scanned_patient
    ),
    f"{PATIENT}/scans/": Case.page(
        ("assistant", 200), EVERY_PRACTICE_ROLE, kwargs=a_patient, other=("manager", 404)
    ),
    f"{PATIENT}/files/<uuid:asset_id>/release/": Case.post(
        ("dentist", 302), EVERY_PRACTICE_ROLE, kwargs=a_scan
    ),
    f"{PATIENT}/files/<uuid:asset_id>/repair/": Case.post(
        ("dentist", 302), EVERY_PRACTICE_ROLE, kwargs=a_scan
    ),
    f"{PATIENT}/record/<uuid:item_id>/shares/": Case.post(
        ("dentist", 302),
        EVERY_PRACTICE_ROLE,
        kwargs=a_scan_item,
        data=lambda w: {"lab": str(w.lab.public_id), "note": "Crown 16"},
    ),
    f"{PATIENT}/record/<uuid:item_id>/shares/<uuid:share_id>/revoke/": Case.post(
        ("assistant", 302), EVERY_PRACTICE_ROLE, kwargs=a_share
    ),
    "lab/shared/": Case(
        right=("technician", 200),
        wrong=NA("every lab role; a designer sees only the shares assigned to them"),
        other=NA("lists only the acting lab's shares"),
    ),
    "lab/shared/<uuid:share_id>/": Case.page(("technician", 200), ASSIGNED_ONLY, kwargs=the_share),
    "lab/shared/<uuid:share_id>/designers/": Case.post(
        ("manager", 302),
        NOT_TECHNICIAN,
        kwargs=the_share,
        data=lambda w: {"designer": str(w.designer.public_id), "until": "2099-01-01"},
    ),
    "lab/shared/<uuid:share_id>/designers/<uuid:assignment_id>/revoke/": Case.post(
        ("manager", 302), NOT_TECHNICIAN, kwargs=an_assignment
    ),
    f"api/v1/{PATIENT}/files/": Case.endpoint(
        "get", ("assistant", 200), EVERY_PRACTICE_ROLE, kwargs=a_scanned_patient
    ),
    f"api/v1/{PATIENT}/files/<uuid:asset_id>/": Case.endpoint(
        "get", ("assistant", 200), EVERY_PRACTICE_ROLE, kwargs=a_scan, other=("manager", 404)
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
