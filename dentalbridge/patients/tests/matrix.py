"""Authorization-matrix rows of patients: patients, their record, the care team, archives, the
portal.

Collected by tests/test_authorization_matrix.py (the vocabulary is in tests/matrix.py).
"""

from datetime import date

from conftest import acting
from dentalbridge.patients import access as patients_access
from tests.matrix import LOGIN, NA, Case


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


NO_PATIENT_ROLE = NA("every practice role may do this; labs and the platform are other tenants")
LAB = ("manager", 404)  # a lab has no patient list at all


ROWS: dict[str, Case] = {
    "patients/": Case(right=("assistant", 200), wrong=NO_PATIENT_ROLE, other=LAB),
    "patients/new/": Case(right=("assistant", 200), wrong=NO_PATIENT_ROLE, other=LAB),
    "patients/deleted/": Case(right=("dentist", 200), wrong=("assistant", 403), other=LAB),
    "patients/<uuid:patient_id>/": Case(
        kwargs=a_patient,
        right=("assistant", 200),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/edit/": Case(
        kwargs=a_patient,
        right=("assistant", 200),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/delete/": Case(
        method="post",
        kwargs=a_patient,
        right=("dentist", 302),
        wrong=("assistant", 403),
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/restore/": Case(
        method="post",
        kwargs=a_deleted_patient,
        right=("owner", 302),
        wrong=("assistant", 403),
        other=("other_owner", 404),
    ),
    "patients/shared/": Case(
        right=("other_owner", 200),
        wrong=NA("lists only what is shared with oneself"),
        other=NA("lists only what is shared with oneself: no tenant's list"),
    ),
    "patients/archive/": Case(right=("owner", 200), wrong=("dentist", 403), other=LAB),
    "patients/archive/<uuid:archive_id>/": Case(
        method="post",
        kwargs=an_archive,
        data=lambda w: {"purpose": "Claim 2026/17"},
        right=("owner", 200),
        wrong=("dentist", 403),
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/care-team/": Case(
        method="post",
        kwargs=a_patient_of_the_dentist,
        data=lambda w: GRANT,
        right=("dentist", 302),
        wrong=("assistant", 403),  # not the attending dentist
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/care-team/<uuid:grant_id>/revoke/": Case(
        method="post",
        kwargs=a_grant,
        right=("owner", 302),
        wrong=("assistant", 403),
        other=("other_manager", 404),
    ),
    "patients/<uuid:patient_id>/audit/": Case(
        kwargs=a_patient, right=("owner", 200), wrong=("dentist", 403), other=("other_owner", 404)
    ),
    "patients/<uuid:patient_id>/audit/export.<str:fmt>": Case(
        kwargs=lambda w: {**a_patient(w), "fmt": "csv"},
        right=("owner", 200),
        wrong=("assistant", 403),
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/record/new/": Case(
        kwargs=a_patient,
        right=("assistant", 200),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/record/<uuid:item_id>/": Case(
        kwargs=an_item, right=("assistant", 200), wrong=NO_PATIENT_ROLE, other=("other_owner", 404)
    ),
    "patients/<uuid:patient_id>/record/<uuid:item_id>/edit/": Case(
        method="post",
        kwargs=an_item,
        data=lambda w: {"title": "Renamed"},
        right=("dentist", 302),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "patients/<uuid:patient_id>/portal-invitation/": Case(
        method="post",
        kwargs=a_patient,
        data=lambda w: {"email": "maria.matrix@patient.example"},
        right=("assistant", 302),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
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
    "portal/<uuid:patient_id>/": Case(
        kwargs=a_portal_record,
        right=("patient_user", 200),
        wrong=("owner", 404),  # the practice uses its own pages, not the patient's portal
        other=("other_patient_user", 404),
    ),
    "portal/<uuid:patient_id>/copy.zip": Case(
        kwargs=a_portal_record,
        right=("patient_user", 200),
        wrong=("owner", 404),
        other=("other_patient_user", 404),
    ),
    "patients/<uuid:patient_id>/guardian-consent/": Case(
        method="post",
        kwargs=a_minor,
        right=("assistant", 302),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
    ),
    "api/v1/patients/": Case(
        api=True, right=("assistant", 200), wrong=NO_PATIENT_ROLE, other=LAB, anon=401
    ),
    "api/v1/patients/<uuid:patient_id>/": Case(
        api=True,
        method="patch",
        kwargs=a_patient,
        data=lambda w: {"notes": "Prefers morning appointments"},
        right=("assistant", 200),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/patients/<uuid:patient_id>/care-team/": Case(
        api=True,
        method="post",
        kwargs=a_patient_of_the_dentist,
        data=lambda w: GRANT,
        right=("dentist", 201),
        wrong=("assistant", 403),
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/patients/<uuid:patient_id>/care-team/<uuid:grant_id>/": Case(
        api=True,
        method="delete",
        kwargs=a_grant,
        right=("dentist", 204),
        wrong=("assistant", 403),
        other=("other_manager", 404),
        anon=401,
    ),
    "api/v1/patients/<uuid:patient_id>/record/": Case(
        api=True,
        method="post",
        kwargs=a_patient,
        data=lambda w: {"kind": "photo", "title": "Frontal smile"},
        right=("assistant", 201),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/patients/<uuid:patient_id>/record/<uuid:item_id>/": Case(
        api=True,
        method="patch",
        kwargs=an_item,
        data=lambda w: {"text": "Updated"},
        right=("dentist", 200),
        wrong=NO_PATIENT_ROLE,
        other=("other_owner", 404),
        anon=401,
    ),
    "api/v1/patients/<uuid:patient_id>/restore/": Case(
        api=True,
        method="post",
        kwargs=a_deleted_patient,
        right=("dentist", 200),
        wrong=("assistant", 403),
        other=("other_owner", 404),
        anon=401,
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
