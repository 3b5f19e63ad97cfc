"""Authorization-matrix rows of patients: patients, their record, the care team, archives, the
portal.

Collected by tests/test_authorization_matrix.py (the vocabulary is in tests/matrix.py).
"""

from datetime import date

from conftest import acting
from dentalbridge.patients import access as patients_access
from tests.matrix import EVERY_PRACTICE_ROLE, LOGIN, NA, NOT_ASSISTANT, NOT_DENTIST, Case, Others


def new_patient(w, **overrides):
    from dentalbridge.patients.services import patient_create

    fields = {"given_name": "Maria", "family_name": "Matrix", "date_of_birth": date(1970, 1, 1)}
    return patient_create(actor=acting(w.owner, w.practice), **{**fields, **overrides})


def a_patient(w):
    return {"patient_id": new_patient(w).public_id}


def a_deleted_patient(w):
    from dentalbridge.patients.services import patient_delete

    patient = new_patient(w)
    patient_delete(actor=acting(w.owner, w.practice), patient_id=patient.public_id)
    return {"patient_id": patient.public_id}


def a_minor(w):
    today = date.today()  # noqa: DTZ011 — a birth date, calendar day only
    born = today.replace(year=today.year - 9, day=min(today.day, 28))
    patient = new_patient(w, date_of_birth=born, guardian_name="G", guardian_contact="g@x.example")
    return {"patient_id": patient.public_id}


def a_grant(w):
    from dentalbridge.patients.services import care_grant_create

    patient = new_patient(w, attending_dentist=w.dentist)
    grant = care_grant_create(
        actor=acting(w.dentist, w.practice),
        patient_id=patient.public_id,
        grantee_email=w.other_owner.email,
        reason="Second opinion",
    )
    return {"patient_id": patient.public_id, "grant_id": grant.public_id}


def a_patient_of_the_dentist(w):
    return {"patient_id": new_patient(w, attending_dentist=w.dentist).public_id}


GRANT = {"grantee_email": "oscar.other@other.example", "reason": "Second opinion"}


def an_item(w):
    from dentalbridge.patients.services import record_item_create

    patient = new_patient(w)
    item = record_item_create(
        actor=acting(w.owner, w.practice), patient_id=patient.public_id, kind="note", title="N"
    )
    return {"patient_id": patient.public_id, "item_id": item.public_id}


def _portal_user(w, email, family_name):
    """A person with a portal account on a patient of Smile Studio (TOTP enrolled)."""
    from conftest import make_user
    from dentalbridge.patients.models import PatientAccount

    user = make_user(email, family_name)
    patient = new_patient(w, family_name=family_name, email=email)
    PatientAccount(patient=patient, user=user).save(force_insert=True)
    return user, patient


def a_portal_record(w):
    w.patient_user, patient = _portal_user(w, "pia.patient@patient.example", "Patient")
    w.other_patient_user, _ = _portal_user(w, "otto.other@patient.example", "Other")
    return {"patient_id": patient.public_id}


def a_portal_invitation(w):
    return {"token": "not-a-portal-invitation"}


def an_archive(w):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from dentalbridge.patients.retention import patients_purge_due
    from dentalbridge.patients.services import patient_delete

    patient = new_patient(w)
    patient_delete(actor=acting(w.owner, w.practice), patient_id=patient.public_id)
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        patients_purge_due()
    archive = patients_access.archives_query(acting(w.owner, w.practice)).get()
    return {"archive_id": archive.public_id}


LAB = ("manager", 404)  # a lab has no patient list at all
# The patient's own portal: the practice uses its own pages (404), another patient sees nothing.
OWN_RECORD = Others(wrong=("owner", 404), other=("other_patient_user", 404))


PATIENT = "patients/<uuid:patient_id>"  # the prefix of its routes, as in urls.py

ROWS: dict[str, Case] = {
    "patients/": Case.page(("assistant", 200), EVERY_PRACTICE_ROLE, other=LAB),
    "patients/new/": Case.page(("assistant", 200), EVERY_PRACTICE_ROLE, other=LAB),
    "patients/deleted/": Case.page(("dentist", 200), NOT_ASSISTANT, other=LAB),
    f"{PATIENT}/": Case.page(("assistant", 200), EVERY_PRACTICE_ROLE, kwargs=a_patient),
    f"{PATIENT}/edit/": Case.page(("assistant", 200), EVERY_PRACTICE_ROLE, kwargs=a_patient),
    f"{PATIENT}/delete/": Case.post(("dentist", 302), NOT_ASSISTANT, kwargs=a_patient),
    f"{PATIENT}/restore/": Case.post(("owner", 302), NOT_ASSISTANT, kwargs=a_deleted_patient),
    "patients/shared/": Case(
        right=("other_owner", 200),
        wrong=NA("lists only what is shared with oneself"),
        other=NA("lists only what is shared with oneself: no tenant's list"),
    ),
    "patients/archive/": Case.page(("owner", 200), NOT_DENTIST, other=LAB),
    "patients/archive/<uuid:archive_id>/": Case.post(
        ("owner", 200), NOT_DENTIST, kwargs=an_archive, data={"purpose": "Claim 2026/17"}
    ),
    # The assistant is not the attending dentist.
    f"{PATIENT}/care-team/": Case.post(
        ("dentist", 302), NOT_ASSISTANT, kwargs=a_patient_of_the_dentist, data=GRANT
    ),
    # The other practice's owner is the grantee here: another lab's manager is the stranger.
    f"{PATIENT}/care-team/<uuid:grant_id>/revoke/": Case.post(
        ("owner", 302), NOT_ASSISTANT, kwargs=a_grant, other=("other_manager", 404)
    ),
    f"{PATIENT}/audit/": Case.page(("owner", 200), NOT_DENTIST, kwargs=a_patient),
    f"{PATIENT}/audit/export.<str:fmt>": Case.page(
        ("owner", 200), NOT_ASSISTANT, kwargs=lambda w: {**a_patient(w), "fmt": "csv"}
    ),
    f"{PATIENT}/record/new/": Case.page(("assistant", 200), EVERY_PRACTICE_ROLE, kwargs=a_patient),
    f"{PATIENT}/record/<uuid:item_id>/": Case.page(
        ("assistant", 200), EVERY_PRACTICE_ROLE, kwargs=an_item
    ),
    f"{PATIENT}/record/<uuid:item_id>/edit/": Case.post(
        ("dentist", 302), EVERY_PRACTICE_ROLE, kwargs=an_item, data={"title": "Renamed"}
    ),
    f"{PATIENT}/portal-invitation/": Case.post(
        ("assistant", 302),
        EVERY_PRACTICE_ROLE,
        kwargs=a_patient,
        data={"email": "maria.matrix@patient.example"},
    ),
    "portal/": Case(
        kwargs=lambda w: (a_portal_record(w), {})[1],
        right=("patient_user", 302),
        wrong=NA("every user sees their own records only"),
        other=NA("lists only one's own records"),
    ),
    "portal/join/<str:token>/": Case(
        kwargs=a_portal_invitation, right=("newcomer", 200), other=NA("the token is the key")
    ),
    "portal/<uuid:patient_id>/": Case.page(
        ("patient_user", 200), OWN_RECORD, kwargs=a_portal_record
    ),
    "portal/<uuid:patient_id>/copy.zip": Case.page(
        ("patient_user", 200), OWN_RECORD, kwargs=a_portal_record
    ),
    f"{PATIENT}/guardian-consent/": Case.post(
        ("assistant", 302), EVERY_PRACTICE_ROLE, kwargs=a_minor
    ),
    "api/v1/patients/": Case.endpoint("get", ("assistant", 200), EVERY_PRACTICE_ROLE, other=LAB),
    f"api/v1/{PATIENT}/": Case.endpoint(
        "patch",
        ("assistant", 200),
        EVERY_PRACTICE_ROLE,
        kwargs=a_patient,
        data={"notes": "Prefers morning appointments"},
    ),
    f"api/v1/{PATIENT}/care-team/": Case.endpoint(
        "post", ("dentist", 201), NOT_ASSISTANT, kwargs=a_patient_of_the_dentist, data=GRANT
    ),
    f"api/v1/{PATIENT}/care-team/<uuid:grant_id>/": Case.endpoint(
        "delete", ("dentist", 204), NOT_ASSISTANT, kwargs=a_grant, other=("other_manager", 404)
    ),
    f"api/v1/{PATIENT}/record/": Case.endpoint(
        "post",
        ("assistant", 201),
        EVERY_PRACTICE_ROLE,
        kwargs=a_patient,
        data={"kind": "photo", "title": "Frontal smile"},
    ),
    f"api/v1/{PATIENT}/record/<uuid:item_id>/": Case.endpoint(
        "patch", ("dentist", 200), EVERY_PRACTICE_ROLE, kwargs=an_item, data={"text": "Updated"}
    ),
    f"api/v1/{PATIENT}/restore/": Case.endpoint(
        "post", ("dentist", 200), NOT_ASSISTANT, kwargs=a_deleted_patient
    ),
}

# Patient data per persona (tests/test_patient_matrix.py): route name → (kwargs keys, outcome for
# each of tests.matrix.PERSONAS: owner, dentist, assistant, other dentist, lab manager, designer,
# patient, other patient, anonymous). 404 "not there for you", 403 "your role may not".
PATIENT_DATA = {
    "patient_list": ((), (200, 200, 200, 200, 404, 404, 404, 404, LOGIN)),
    "patient_deleted_list": ((), (200, 200, 403, 200, 404, 404, 404, 404, LOGIN)),
    "patient_archive_list": ((), (200, 403, 403, 200, 404, 404, 404, 404, LOGIN)),
    "patient_shared_list": ((), (200, 200, 200, 200, 200, 200, 200, 200, LOGIN)),
    "patient_detail": (("patient_id",), (200, 200, 200, 404, 404, 404, 404, 404, LOGIN)),
    "patient_edit": (("patient_id",), (200, 200, 200, 404, 404, 404, 404, 404, LOGIN)),
    "patient_audit": (("patient_id",), (200, 403, 403, 404, 404, 403, 403, 403, LOGIN)),
    "record_item_create": (("patient_id",), (200, 200, 200, 404, 404, 404, 404, 404, LOGIN)),
    "record_item_detail": (
        ("patient_id", "item_id"),
        (200, 200, 200, 404, 404, 404, 404, 404, LOGIN),
    ),
    "portal_record": (("patient_id",), (404, 404, 404, 404, 404, 404, 200, 404, LOGIN)),
    "portal_copy": (("patient_id",), (404, 404, 404, 404, 404, 404, 200, 404, LOGIN)),
    "api_patients": ((), (200, 200, 200, 200, 404, 404, 404, 404, 401)),
    "api_patient": (("patient_id",), (200, 200, 200, 404, 404, 404, 404, 404, 401)),
    "api_record": (("patient_id",), (200, 200, 200, 404, 404, 404, 404, 404, 401)),
    "api_record_item": (
        ("patient_id", "item_id"),
        (200, 200, 200, 404, 404, 404, 404, 404, 401),
    ),
    "api_care_team": (("patient_id",), (200, 200, 200, 404, 404, 404, 404, 404, 401)),
}
# Routes of patient data that PATIENT_DATA does not read by GET, and why.
PATIENT_DATA_SKIPPED = {
    "patient_create": "a form, no patient data",
    "patient_delete": "POST only (general matrix)",
    "patient_restore": "POST only (general matrix)",
    "patient_guardian_consent": "POST only (general matrix)",
    "patient_audit_export": "covered with the audit page (same access function)",
    "patient_archive_detail": "opens only by POST with a purpose (general matrix)",
    "record_item_edit": "an edit form; its POST is in the general matrix",
    "portal_join": "an invitation token's page: no record before it is accepted",
    "portal_home": "one's own records, or a redirect to portal_record",
    "portal_invite": "POST only (general matrix)",
    "api_patient_restore": "POST only (general matrix)",
}
