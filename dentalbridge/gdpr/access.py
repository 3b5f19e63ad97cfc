"""The GDPR workflows' door keeper: data-subject requests and legal holds (they name patients,
so reading one is reading patient data), the retention engine's batches, and what a request's
answer gathers from every app (PRV-3, PRV-4, PRV-5)."""

from typing import Any

from django.db.models import QuerySet

from dentalbridge.core.errors import Forbidden, NotFound
from dentalbridge.files import access as files_access
from dentalbridge.gdpr.models import DataRequest, LegalHold
from dentalbridge.orders import access as orders_access
from dentalbridge.organizations.models import Organization
from dentalbridge.patients import access as patients_access
from dentalbridge.patients.access import patient_access
from dentalbridge.patients.models import Patient
from dentalbridge.privacy.audit import AuditAction, record, record_system_read
from dentalbridge.privacy.door import through_the_door
from dentalbridge.privacy.models import AuditEvent
from dentalbridge.privacy.policy import Perm, may, platform_dpo_required
from dentalbridge.privacy.principal import Principal, SystemActor, system_only


def platform_audit_for_patient_id(principal: Principal, patient_id):
    """Every event about one patient id, across tenants, for the platform's DPO. It reads the
    audit log only — random ids, never identity — so a regulator's question ("who saw this
    patient's data?") is answerable even after the record was purged."""
    platform_dpo_required(principal)
    return AuditEvent.objects.filter(patient_id=patient_id).order_by("-seq")


# --- Data-subject requests (PRV-3, PRV-4) -----------------------------------------------------
def data_request_controller(principal: Principal) -> Organization:
    """The organization whose requests the principal handles (practice owner, platform DPO)."""
    organization = principal.organization
    if organization is None or principal.user is None:
        raise NotFound()
    if not may(principal, Perm.DATA_REQUEST_HANDLE, organization):
        raise NotFound()
    return organization


def data_requests_query(principal: Principal):
    """The controller's queue; listing is audited (it shows requesters' names)."""
    organization = data_request_controller(principal)
    with through_the_door():
        requests = DataRequest.objects.filter(controller=organization)
    record(AuditAction.DATA_REQUESTS_LISTED, principal=principal)
    return requests.select_related("patient", "user", "received_via")


def data_request_access(principal: Principal, request_id, *, lock: bool = False):
    organization = data_request_controller(principal)
    with through_the_door():
        requests = DataRequest.objects.filter(controller=organization)
        if lock:
            requests = requests.select_for_update(of=("self",))
        found = (
            requests.select_related("patient", "user", "received_via")
            .filter(public_id=request_id)
            .first()
        )
    if found is None:
        raise NotFound()
    record(
        AuditAction.DATA_REQUEST_VIEWED,
        principal=principal,
        target=found,
        patient=found.patient,
        data={"kind": found.kind},
    )
    return found


def data_requests_of_user(user, *, limit: int | None = 50) -> list:
    """One's own requests (self-service), newest first."""
    with through_the_door():
        mine = (
            DataRequest.objects.filter(user=user)
            .select_related("controller")
            .order_by("-created_at")
        )
        return list(mine[:limit] if limit else mine)


def data_request_for_export(system: SystemActor, request_id) -> DataRequest | None:
    """System use (``Purpose.DATA_REQUESTS``): the request a download link names (the link's
    signature was checked by the caller; whoever holds it is nobody the platform knows)."""
    system_only(system)
    with through_the_door():
        found = (
            DataRequest.objects.filter(public_id=request_id)
            .select_related("patient", "patient__organization", "user", "controller")
            .first()
        )
    if found is None:
        record_system_read(system, "data_request_for_export", count=0)
    else:
        record_system_read(system, "data_request_for_export", target=found, patient=found.patient)
    return found


def data_request_by_verification(token_hash: str):
    with through_the_door():
        return (
            DataRequest.objects.select_for_update(of=("self",))
            .filter(verification_hash=token_hash)
            .first()
        )


def data_requests_open_due_by(system: SystemActor, moment) -> list:
    """System use (``Purpose.DATA_REQUESTS``, the reminders task): open requests due by
    ``moment``, across controllers."""
    system_only(system)
    with through_the_door():
        due = list(
            DataRequest.objects.filter(status="open", due_at__lte=moment).select_related(
                "controller"
            )
        )
    record_system_read(system, "data_requests_open_due_by", count=len(due))
    return due


def data_requests_recent_from(email: str, since) -> int:
    with through_the_door():
        return DataRequest.objects.filter(email__iexact=email, created_at__gte=since).count()


# --- Copies, erasure and legal holds (PRV-3, PRV-5) --------------------------------------------
def patient_export_sections(system: SystemActor, patient: Patient) -> dict[str, list]:
    """System use (``Purpose.DATA_REQUESTS``): every row that holds data of one patient, by
    section, for the copy an access or portability request was answered with (the download
    link's request, ``data_request_for_export``). Each app gives its own rows; the sections are
    what ``gdpr.portability`` serializes field by field from the register."""
    system_only(system)
    with through_the_door():
        own: dict[str, list[Any]] = {
            "data_requests": list(DataRequest.objects.filter(patient=patient)),
            "legal_holds": list(LegalHold.objects.filter(patient=patient)),
        }
    sections = {
        **patients_access.export_rows(patient),
        **files_access.export_rows(patient),
        **orders_access.export_rows(patient),
        **own,
    }
    # Audited before the access log is read, so the copy shows this read too.
    record_system_read(system, "patient_export_sections", target=patient, patient=patient)
    access_log = AuditEvent.objects.filter(patient_id=patient.public_id).order_by("seq")
    return {**sections, "access_log": list(access_log)}


def keeps_legal_holds(principal: Principal, patient: Patient) -> bool:
    """Does the principal keep the legal holds of this patient's practice (its owner)?"""
    practice = principal.organization
    return (
        practice is not None
        and practice.pk == patient.organization_id
        and may(principal, Perm.DATA_REQUEST_HANDLE, practice)
    )


def legal_holds_of(principal: Principal, patient: Patient, *, active: bool = True) -> list:
    """The legal holds of a patient the principal is seeing (the patient's page, an erasure
    request's page): for whoever keeps the holds of the patient's practice, ``Forbidden`` for
    anyone else. Not audited: the page that shows them audited the patient or request it
    shows."""
    if not keeps_legal_holds(principal, patient):
        raise Forbidden()
    return _legal_holds(patient, active=active)


def active_holds_of_patient(system: SystemActor, patient: Patient) -> list:
    """System use (``Purpose.ERASURE``): the active legal holds of a patient, which keep
    everything from an erasure or its replay."""
    system_only(system)
    holds = _legal_holds(patient, active=True)
    record_system_read(system, "active_holds_of_patient", target=patient, patient=patient)
    return holds


def _legal_holds(patient: Patient, *, active: bool) -> list:
    with through_the_door():
        holds = LegalHold.objects.filter(patient=patient)
        if active:
            holds = holds.filter(lifted_at=None)
        return list(holds.order_by("created_at"))


def legal_hold_access(principal: Principal, patient_id, hold_id):
    patient = patient_access(principal, patient_id, Perm.PATIENT_VIEW, reason="legal hold")
    if not may(principal, Perm.DATA_REQUEST_HANDLE, patient.organization):
        raise Forbidden()
    with through_the_door():
        hold = LegalHold.objects.filter(patient=patient, public_id=hold_id).first()
    if hold is None:
        raise NotFound()
    return patient, hold


def data_requests_of_patient_anonymize(patient: Patient, *, except_request=None) -> int:
    with through_the_door():
        found = DataRequest.objects.filter(patient=patient)
        if except_request is not None:
            found = found.exclude(pk=except_request.pk)
        return found.update(name="", email="", details="", answer="", outcome={})


def data_request_anonymize(request) -> None:
    """Blank the requester's details on a request the caller holds (``data_request_access``): a
    write, audited by the action that makes it (an erasure's answer, ``patient.erased``)."""
    with through_the_door():
        DataRequest.objects.filter(pk=request.pk).update(name="", email="", details="", user=None)


# --- Retention (PRV-5): system use by the retention engine ----------------------------------------
def data_requests_answered_before(system: SystemActor, cutoff, statuses) -> QuerySet[DataRequest]:
    """System use (``Purpose.RETENTION``): the requests answered (with one of ``statuses``)
    before ``cutoff``, as a query the engine counts and deletes in batches (the run's report and
    its ``privacy.retention_run`` event say how many)."""
    system_only(system)
    with through_the_door():
        answered = DataRequest.objects.filter(status__in=statuses, answered_at__lt=cutoff)
    record_system_read(system, "data_requests_answered_before")
    return answered


def held_patient_ids(system: SystemActor) -> list[int]:
    """System use (``Purpose.RETENTION``): the patients an active legal hold keeps (their row
    ids), whose data the retention engine skips."""
    system_only(system)
    with through_the_door():
        held = list(
            LegalHold.objects.filter(lifted_at=None, patient__isnull=False).values_list(
                "patient_id", flat=True
            )
        )
    record_system_read(system, "held_patient_ids", count=len(held))
    return held


def delete_matching(rows) -> int:
    """Delete a batch of the retention engine; returns the rows of the batch's own model (rows
    of other models deleted with them by cascade are not counted). A write, not a read: the
    run's ``privacy.retention_run`` event and report say what each rule deleted."""
    with through_the_door():
        _total, by_model = rows.order_by().delete()
    return by_model.get(rows.model._meta.label, 0)


def labs_of_patient(system: SystemActor, patient: Patient) -> dict:
    """System use (deletion instructions): {lab: [order references]} of every lab that received
    data of this patient (orders sent to it, files shared with it): where a deletion instruction
    goes."""
    system_only(system)
    labs: dict = {}
    for lab, reference in orders_access.sent_orders_of_patient(system, patient):
        labs.setdefault(lab, []).append(reference)
    for lab in files_access.share_labs_of_patient(system, patient):
        labs.setdefault(lab, [])
    record_system_read(system, "labs_of_patient", target=patient, patient=patient)
    return labs
