"""The patients' door keeper (REC-1…REC-6): the only code that turns an id into a patient, a
record item, a care-team grant, a portal link or an archive. Each function loads for a principal,
asks the policy, audits the read in the caller's transaction and returns what the principal may
see; functions documented as *system use* serve tasks and the GDPR workflows: they take a
``SystemActor`` (the purpose, and the person who started the work if any) instead of a principal,
and audit the read under that purpose."""

from django.db.models import Max, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dentalbridge.core.errors import Forbidden, NotFound
from dentalbridge.core.text import search_text
from dentalbridge.organizations.models import Membership, Organization
from dentalbridge.patients.models import (
    CareTeamGrant,
    Patient,
    PatientAccount,
    PatientArchive,
    PatientInvitation,
    RecordItem,
    RecordItemVersion,
)
from dentalbridge.privacy.audit import AuditAction, record, record_system_read
from dentalbridge.privacy.door import through_the_door
from dentalbridge.privacy.policy import Perm, is_platform_dpo, may
from dentalbridge.privacy.principal import Principal, SystemActor, system_only

# --- Patients (REC-1): the only place that opens the door to patient rows ---------------------


def _practice_for(principal: Principal, perm: Perm) -> Organization:
    """The practice the principal acts for, if its role may ``perm`` there; otherwise the patient
    data simply does not exist for it (404)."""
    organization = principal.organization
    if organization is None or not organization.is_practice or not may(principal, perm):
        raise NotFound()
    return organization


def patients_practice(principal: Principal, perm: Perm) -> Organization:
    """The practice in which ``principal`` may ``perm`` patients (for creating one)."""
    practice = _practice_for(principal, Perm.PATIENT_VIEW)
    if not may(principal, perm, practice):
        raise Forbidden()
    return practice


def patients_query(principal: Principal, *, search: str = "", deleted: bool = False):
    """The practice's patients, newest-name order, optionally searched by name, pseudonym or
    practice reference. Listing is a read of patient data, so it is audited (without the search
    text, which may itself be a name)."""
    practice = _practice_for(principal, Perm.PATIENT_VIEW)
    with through_the_door():
        patients = Patient.objects.filter(organization=practice, deleted_at__isnull=not deleted)
    search = search_text(search)
    if search:
        patients = patients.filter(
            Q(family_name__icontains=search)
            | Q(given_name__icontains=search)
            | Q(pseudonym__iexact=search)
            | Q(external_reference__iexact=search)
        )
    record(
        AuditAction.PATIENT_LISTED,
        principal=principal,
        data={"searched": bool(search), "deleted": deleted},
    )
    return patients.select_related("attending_dentist")


def patient_and_grant(principal: Principal, patient_id, perm: Perm, *, deleted: bool = False):
    """(patient, grant): the patient if the principal may ``perm`` it — through its role in the
    patient's practice (grant is None) or through an active care-team grant (read only). Not
    audited: callers audit what they do with it."""
    if principal.user is None or principal.organization is None:
        raise NotFound()
    with through_the_door():
        patient = (
            Patient.objects.filter(public_id=patient_id, deleted_at__isnull=not deleted)
            .select_related("organization", "attending_dentist")
            .first()
        )
    if patient is None:
        raise NotFound()
    practice = principal.organization
    if patient.organization_id == practice.pk and may(principal, Perm.PATIENT_VIEW, practice):
        if not may(principal, perm, practice):
            raise Forbidden()
        _refuse_if_restricted(patient)
        return patient, None
    grant = None if deleted else active_grant(principal, patient)
    if grant is None:
        raise NotFound()
    if perm != Perm.PATIENT_VIEW:
        raise Forbidden()
    _refuse_if_restricted(patient)
    return patient, grant


def _refuse_if_restricted(patient: Patient) -> None:
    """Art. 18: a restricted record is only stored (and open to the patient and to the
    controller's handling of the request); no other processing."""
    if patient.restricted_at is not None:
        raise Forbidden(
            _(
                "This record is restricted at the patient's request: it is only stored until "
                "the matter is settled. Lift the restriction from the request first."
            ),
            code="restricted",
        )


def _grant_reason(grant, reason: str = "") -> tuple[str, dict]:
    if grant is None:
        return reason, {}
    return f"care team grant {grant.public_id}", {"grant": str(grant.public_id)}


def patient_access(
    principal: Principal, patient_id, perm: Perm, *, deleted: bool = False, reason: str = ""
) -> Patient:
    """One patient: of the practice the principal acts for (its role decides what it may do), or
    shared with the principal's user through an active care-team grant (read only; each use is
    audited with the grant as its reason). Viewing is audited here; writes are audited by the
    service that makes them, in the same transaction."""
    patient, grant = patient_and_grant(principal, patient_id, perm, deleted=deleted)
    if perm == Perm.PATIENT_VIEW:
        why, data = _grant_reason(grant, reason)
        record(
            AuditAction.PATIENT_VIEWED,
            principal=principal,
            patient=patient,
            target=patient,
            reason=why,
            data=data,
        )
    return patient


# --- The record (REC-2, REC-6) ---------------------------------------------------------------


def record_of(patient: Patient):
    """The record items of a patient obtained through the access layer, newest first, each with
    its versions (oldest first) — two queries, whatever the number of items."""
    with through_the_door():
        versions = RecordItemVersion.objects.select_related("author").order_by("number")
        items = RecordItem.objects.filter(patient=patient).prefetch_related(
            Prefetch("versions", queryset=versions)
        )
    return items.order_by("-created_at")


def record_item_access(principal: Principal, patient_id, item_id, perm: Perm) -> RecordItem:
    """One record item with its versions; opening it is audited (with the grant, if that is how
    the principal sees it)."""
    patient, grant = patient_and_grant(principal, patient_id, perm)
    item = record_of(patient).filter(public_id=item_id).first()
    if item is None:
        raise NotFound()
    item.patient = patient
    if perm == Perm.PATIENT_VIEW:
        why, data = _grant_reason(grant)
        record(
            AuditAction.RECORD_ITEM_VIEWED,
            principal=principal,
            patient=patient,
            target=item,
            reason=why,
            data=data,
        )
    return item


def record_item_latest_number(item: RecordItem) -> int:
    with through_the_door():
        latest = RecordItemVersion.objects.filter(item=item).order_by("-number").first()
    return latest.number if latest else 0


def active_grant(principal: Principal, patient: Patient) -> CareTeamGrant | None:
    """The principal's user's active grant on ``patient``, if any (the whole chain is checked)."""
    now = timezone.now()
    with through_the_door():
        grants = CareTeamGrant.objects.filter(
            patient=patient, grantee=principal.user, revoked_at=None
        ).select_related("parent__parent__parent")
        return next((grant for grant in grants if grant.is_active_at(now)), None)


def patients_shared_with(principal: Principal) -> list[Patient]:
    """Patients of other practices shared with the principal's user ("Shared with me")."""
    if principal.user is None:
        raise NotFound()
    now = timezone.now()
    with through_the_door():
        grants = CareTeamGrant.objects.filter(
            grantee=principal.user, revoked_at=None, patient__deleted_at=None
        ).select_related("patient__organization", "parent__parent__parent")
        patients = {g.patient.pk: g.patient for g in grants if g.is_active_at(now)}
    record(AuditAction.PATIENT_LISTED, principal=principal, data={"shared": True})
    return sorted(patients.values(), key=lambda p: (p.family_name, p.given_name))


def care_grants_of(patient: Patient):
    """The care team of a patient already obtained through ``patient_access`` (a Patient object
    cannot be had any other way, so holding one is proof of access)."""
    with through_the_door():
        grants = CareTeamGrant.objects.filter(patient=patient)
    return grants.select_related("grantee", "granted_by", "revoked_by", "parent__parent__parent")


def care_grants_query(principal: Principal, patient_id):
    """The care team of a patient, for the practice's team and for anyone on the team."""
    patient = patient_access(principal, patient_id, Perm.PATIENT_VIEW, reason="care team")
    return patient, care_grants_of(patient)


def care_grant_access(principal: Principal, patient_id, grant_id) -> CareTeamGrant:
    patient, grants = care_grants_query(principal, patient_id)
    grant = grants.filter(public_id=grant_id).first()
    if grant is None:
        raise NotFound()
    grant.patient = patient
    return grant


def pseudonym_taken(practice: Organization, pseudonym: str) -> bool:
    with through_the_door():
        return Patient.objects.filter(organization=practice, pseudonym=pseudonym).exists()


def practice_has_patients(practice: Organization) -> bool:
    """Whether the practice holds any record, deleted ones included (a yes or no, no patient
    data: the demo loader asks it to add its fictional patients only once)."""
    with through_the_door():
        return Patient.objects.filter(organization=practice).exists()


# --- The patient portal (REC-4) ------------------------------------------------------------------


def is_patient_user(user) -> bool:
    """Does this person see a record of their own in the portal? (They then need a second
    factor, like everyone who reaches health data.)"""
    if not user.is_authenticated:
        return False
    with through_the_door():
        return PatientAccount.objects.filter(user=user, patient__deleted_at=None).exists()


def portal_patients(principal: Principal) -> list[Patient]:
    """The records that are the principal's own, and nothing else."""
    if principal.user is None:
        raise NotFound()
    with through_the_door():
        accounts = PatientAccount.objects.filter(
            user=principal.user, patient__deleted_at=None
        ).select_related("patient__organization")
        patients = [account.patient for account in accounts]
    record(AuditAction.PATIENT_LISTED, principal=principal, data={"portal": True})
    return patients


def portal_patient_access(principal: Principal, patient_id) -> Patient:
    """The principal's own record; anybody else's is 404, whatever the id."""
    if principal.user is None:
        raise NotFound()
    with through_the_door():
        account = (
            PatientAccount.objects.filter(
                user=principal.user, patient__public_id=patient_id, patient__deleted_at=None
            )
            .select_related("patient__organization", "patient__attending_dentist")
            .first()
        )
    if account is None:
        raise NotFound()
    patient = account.patient
    record(
        AuditAction.PATIENT_VIEWED,
        principal=principal,
        patient=patient,
        target=patient,
        reason="patient portal: the patient's own record",
    )
    return patient


def patient_invitation_lookup(token_hash: str) -> PatientInvitation | None:
    with through_the_door():
        return (
            PatientInvitation.objects.filter(token_hash=token_hash, patient__deleted_at=None)
            .select_related("patient__organization")
            .first()
        )


def patient_account_exists(patient: Patient, user) -> bool:
    with through_the_door():
        return PatientAccount.objects.filter(patient=patient, user=user).exists()


# --- Retention (REC-5): what the scheduled purge may touch ------------------------------------


def patients_due_for_purge(system: SystemActor, cutoff) -> list[Patient]:
    """System use only (the retention task): patients deleted before ``cutoff``."""
    system_only(system)
    with through_the_door():
        due = list(
            Patient.objects.filter(deleted_at__lt=cutoff).select_related(
                "organization", "attending_dentist"
            )
        )
    record_system_read(system, "patients_due_for_purge", count=len(due))
    return due


def archives_due_for_removal(system: SystemActor, today) -> list[PatientArchive]:
    """System use only (the retention task): archives whose archive period ended before
    ``today``."""
    system_only(system)
    with through_the_door():
        due = list(PatientArchive.objects.filter(keep_until__lt=today))
    record_system_read(system, "archives_due_for_removal", count=len(due))
    return due


def archives_query(principal: Principal):
    """The practice's archive of purged records: owner only (the legal purpose is asked for when
    one is opened). Listing shows pseudonyms and dates only."""
    practice = _practice_for(principal, Perm.PATIENT_VIEW)
    if principal.role != "owner":
        raise Forbidden()
    with through_the_door():
        return PatientArchive.objects.filter(organization=practice).defer("content")


def archive_access(principal: Principal, archive_id, *, purpose: str) -> PatientArchive:
    """One archived record, for a stated legal purpose (recorded in the audit log): the practice
    owner, or the platform's DPO (who finds the archive's id in the patient.purged event)."""
    if is_platform_dpo(principal):
        with through_the_door():
            archive = PatientArchive.objects.filter(public_id=archive_id).first()
    else:
        archive = archives_query(principal).defer(None).filter(public_id=archive_id).first()
    if archive is None:
        raise NotFound()
    record(
        AuditAction.ARCHIVE_VIEWED,
        principal=principal,
        target=archive,
        reason=purpose[:300],
        data={"patient": str(archive.patient_id)},
    )
    return archive


def record_item_current_version(item: RecordItem) -> RecordItemVersion:
    """An item is made with its first version, so it always has one."""
    with through_the_door():
        return RecordItemVersion.objects.filter(item=item).latest("number")


def record_item_of(patient: Patient, item_id) -> RecordItem:
    """A record item of this patient, or NotFound (another patient's or tenant's item)."""
    item = record_of(patient).filter(public_id=item_id).first()
    if item is None:
        raise NotFound()
    return item


def record_item_titles(items) -> dict:
    """{item pk: title of its latest version}: practice pages only (titles may name the
    patient); one query."""
    with through_the_door():
        versions = RecordItemVersion.objects.filter(item__in=[i.pk for i in items]).order_by(
            "item_id", "number"
        )
        return {v.item_id: v.title for v in versions}


def patients_with_email(system: SystemActor, email: str) -> list[Patient]:
    """System use (``Purpose.DATA_REQUESTS``): patients (not deleted) whose record holds this
    e-mail address, in any practice: where a verified public request is routed. The read names
    how many matched, never the address; the routing itself is audited by the caller."""
    system_only(system)
    with through_the_door():
        found = list(
            Patient.objects.filter(email__iexact=email.strip(), deleted_at=None).select_related(
                "organization"
            )
        )
    record_system_read(system, "patients_with_email", count=len(found))
    return found


def patient_last_change(patient: Patient):
    """When the record last changed: the newest version of any item, or the patient row."""
    with through_the_door():
        newest = RecordItemVersion.objects.filter(item__patient=patient).aggregate(
            last=Max("created_at")
        )["last"]
    return max(filter(None, (newest, patient.updated_at, patient.created_at)))


def patient_portal_users(patient: Patient) -> list:
    with through_the_door():
        return [
            a.user for a in PatientAccount.objects.filter(patient=patient).select_related("user")
        ]


def user_is_only_a_patient_of(user, patient: Patient) -> bool:
    """The account exists only to see this one record (no membership, no other record)."""
    with through_the_door():
        other_records = PatientAccount.objects.filter(user=user).exclude(patient=patient).exists()
    return not other_records and not Membership.objects.filter(user=user).exists()


def archives_of_patient(system: SystemActor, patient_ref) -> list[PatientArchive]:
    """System use (erasure): the archive copies kept of the patient with this id."""
    system_only(system)
    with through_the_door():
        archives = list(PatientArchive.objects.filter(patient_id=patient_ref))
    record_system_read(system, "archives_of_patient", count=len(archives))
    return archives


def patient_by_ref(system: SystemActor, patient_ref) -> Patient | None:
    """System use (erasure replay after a restore): the patient with this id, deleted or not."""
    system_only(system)
    with through_the_door():
        patient = (
            Patient.objects.filter(public_id=patient_ref).select_related("organization").first()
        )
    if patient is None:
        record_system_read(system, "patient_by_ref", count=0)
    else:
        record_system_read(system, "patient_by_ref", target=patient, patient=patient)
    return patient


def portal_links_delete(patient: Patient) -> int:
    with through_the_door():
        accounts, _ = PatientAccount.objects.filter(patient=patient).delete()
        invitations, _ = PatientInvitation.objects.filter(patient=patient).delete()
        grants, _ = CareTeamGrant.objects.filter(patient=patient).delete()
    return accounts + invitations + grants


def patient_erase_row(patient: Patient) -> None:
    """Delete the patient row; the record cascades (items, versions, files' rows, shares…)."""
    with through_the_door():
        Patient.objects.filter(pk=patient.pk).delete()


def patient_restriction_set(patient: Patient, *, reason: str | None) -> None:
    """Set (reason given) or lift (None) the restriction of a patient's record."""
    with through_the_door():
        Patient.objects.filter(pk=patient.pk).update(
            restricted_at=timezone.now() if reason is not None else None,
            restriction_reason=(reason or "")[:500],
        )


def export_rows(patient: Patient) -> dict[str, list]:
    """The patients app's rows of one patient, by section, for an access or portability request
    (``gdpr.access.patient_export_sections``)."""
    with through_the_door():
        return {
            "patient": [patient],
            "record_items": list(RecordItem.objects.filter(patient=patient)),
            "record_item_versions": list(
                RecordItemVersion.objects.filter(item__patient=patient).select_related("item")
            ),
            "care_team": list(
                CareTeamGrant.objects.filter(patient=patient).select_related("grantee")
            ),
            "portal_invitations": list(PatientInvitation.objects.filter(patient=patient)),
        }
