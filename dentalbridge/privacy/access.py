"""The one door to tenant and patient data (DESIGN.md §3, STYLE.md §2).

A ``Principal`` is who acts (user), for which organization (active membership), through which
channel (web session, API token, system), from where. Access functions load an object scoped to
the principal's organization, ask the policy, and raise ``NotFound`` both for "does not exist" and
"not yours" (ids cannot be probed), ``Forbidden`` only when the principal may see the object but
not do this to it.
"""

from dataclasses import dataclass, field

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from dentalbridge.core.errors import Forbidden, NotFound
from dentalbridge.core.text import search_text
from dentalbridge.organizations.models import (
    Invitation,
    LabConnection,
    Membership,
    Organization,
)
from dentalbridge.patients.models import (
    CareTeamGrant,
    Patient,
    PatientAccount,
    PatientArchive,
    PatientInvitation,
    RecordItem,
    RecordItemVersion,
)
from dentalbridge.privacy.audit import AuditAction, record
from dentalbridge.privacy.door import through_the_door
from dentalbridge.privacy.policy import Perm, may


@dataclass(frozen=True)
class Principal:
    user: object | None
    membership: Membership | None = None
    via: str = "web"
    token: object | None = field(default=None, repr=False)
    ip: str | None = None
    user_agent: str = ""

    @property
    def organization(self) -> Organization | None:
        return self.membership.organization if self.membership else None

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership else None

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None and self.user.is_authenticated

    def may(self, perm: Perm) -> bool:
        return may(self, perm)


def _acting_organization(principal: Principal, organization_id) -> Organization:
    """The organization named in a URL, if and only if it is the one the principal acts for."""
    organization = principal.organization
    if organization is None or str(organization.public_id) != str(organization_id):
        raise NotFound()
    return organization


def organization_access(principal: Principal, organization_id, perm: Perm) -> Organization:
    organization = _acting_organization(principal, organization_id)
    if not may(principal, Perm.ORGANIZATION_VIEW, organization):
        raise NotFound()
    if not may(principal, perm, organization):
        raise Forbidden()
    return organization


def members_query(principal: Principal, organization_id) -> QuerySet[Membership]:
    organization = organization_access(principal, organization_id, Perm.MEMBER_VIEW)
    return Membership.objects.filter(organization=organization).select_related("user")


def membership_access(principal: Principal, organization_id, membership_id, perm: Perm):
    organization = organization_access(principal, organization_id, Perm.MEMBER_VIEW)
    membership = (
        Membership.objects.filter(organization=organization, public_id=membership_id)
        .select_related("user", "organization")
        .first()
    )
    if membership is None:
        raise NotFound()
    if not may(principal, perm, organization):
        raise Forbidden()
    return membership


def invitations_query(principal: Principal, organization_id) -> QuerySet[Invitation]:
    organization = organization_access(principal, organization_id, Perm.INVITATION_MANAGE)
    return Invitation.objects.filter(organization=organization).select_related("invited_by")


def invitation_access(principal: Principal, organization_id, invitation_id) -> Invitation:
    invitation = invitations_query(principal, organization_id).filter(public_id=invitation_id)
    found = invitation.select_related("organization").first()
    if found is None:
        raise NotFound()
    return found


def connections_query(principal: Principal, organization_id) -> QuerySet[LabConnection]:
    """A practice sees its links to labs; a lab sees the practices linked to it."""
    organization = organization_access(principal, organization_id, Perm.CONNECTION_VIEW)
    side = "practice" if organization.is_practice else "lab"
    return LabConnection.objects.filter(**{side: organization}).select_related(
        "practice", "lab", "requested_by", "responded_by"
    )


def connection_access(principal: Principal, organization_id, connection_id, perm: Perm):
    connection = connections_query(principal, organization_id).filter(public_id=connection_id)
    found = connection.first()
    if found is None:
        raise NotFound()
    if not may(principal, perm, principal.organization):
        raise Forbidden()
    return found


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


def _patient_and_grant(principal: Principal, patient_id, perm: Perm, *, deleted: bool = False):
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
        from django.utils.translation import gettext as _

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
    patient, grant = _patient_and_grant(principal, patient_id, perm, deleted=deleted)
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
    patient, grant = _patient_and_grant(principal, patient_id, perm)
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


def patients_due_for_purge(cutoff) -> list[Patient]:
    """System use only (the retention task): patients deleted before ``cutoff``."""
    with through_the_door():
        return list(
            Patient.objects.filter(deleted_at__lt=cutoff).select_related(
                "organization", "attending_dentist"
            )
        )


def archives_due_for_removal(today) -> list[PatientArchive]:
    with through_the_door():
        return list(PatientArchive.objects.filter(keep_until__lt=today))


def archives_query(principal: Principal):
    """The practice's archive of purged records: owner only (the legal purpose is asked for when
    one is opened). Listing shows pseudonyms and dates only."""
    practice = _practice_for(principal, Perm.PATIENT_VIEW)
    if principal.role != "owner":
        raise Forbidden()
    with through_the_door():
        return PatientArchive.objects.filter(organization=practice).defer("content")


def _platform_dpo(principal: Principal) -> bool:
    organization = principal.organization
    return (
        organization is not None
        and organization.kind == "platform"
        and may(principal, Perm.PLATFORM_AUDIT, organization)
    )


def archive_access(principal: Principal, archive_id, *, purpose: str) -> PatientArchive:
    """One archived record, for a stated legal purpose (recorded in the audit log): the practice
    owner, or the platform's DPO (who finds the archive's id in the patient.purged event)."""
    if _platform_dpo(principal):
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


def platform_dpo_required(principal: Principal) -> None:
    """The DPO pages exist only for the platform's DPO (everyone else: 404)."""
    if not _platform_dpo(principal):
        raise NotFound()


def platform_audit_for_patient_id(principal: Principal, patient_id):
    """Every event about one patient id, across tenants, for the platform's DPO. It reads the
    audit log only — random ids, never identity — so a regulator's question ("who saw this
    patient's data?") is answerable even after the record was purged."""
    platform_dpo_required(principal)
    from dentalbridge.privacy.models import AuditEvent

    return AuditEvent.objects.filter(patient_id=patient_id).order_by("-seq")


# --- Files (FIL-1…FIL-7): stored files of the record ---------------------------------------------
#
# The practice sees every file of its patients: originals (as uploaded, possibly naming the
# patient) and their derivatives. Anyone else who may see a record — a care-team member of
# another practice — receives only what was made for outside eyes: the anonymized copy and the
# previews made from it, once ready (a copy held for the practice's confirmation does not exist
# for them).

OUTSIDE_ROLES = ("shared", "preview", "thumbnail")


def _files_seen_from_outside(assets):
    return assets.filter(role__in=OUTSIDE_ROLES, status="ready")


def files_of_items(patient: Patient, items, *, outside: bool) -> dict:
    """{item pk: [assets]} for items already obtained through the access layer; one query."""
    from dentalbridge.files.models import Asset

    with through_the_door():
        assets = Asset.objects.filter(item__in=[item.pk for item in items], patient=patient)
    if outside:
        assets = _files_seen_from_outside(assets)
    grouped: dict = {}
    for asset in assets.select_related("version").order_by("created_at"):
        grouped.setdefault(asset.item_id, []).append(asset)
    return grouped


def asset_access(principal: Principal, patient_id, asset_id, perm: Perm):
    """(asset, outside): one stored file of a patient, if the principal may ``perm`` the patient;
    ``outside`` says the principal is not of the practice and sees anonymized copies only."""
    from dentalbridge.files.models import Asset

    if principal.organization is not None and principal.organization.kind == "lab":
        if perm != Perm.PATIENT_VIEW:
            raise NotFound()
        asset = _asset_via_share(principal, asset_id)
        if str(asset.patient.public_id) != str(patient_id):
            raise NotFound()
        return asset, True
    patient, grant = _patient_and_grant(principal, patient_id, perm)
    with through_the_door():
        assets = Asset.objects.filter(patient=patient, public_id=asset_id)
    outside = grant is not None
    if outside:
        assets = _files_seen_from_outside(assets)
    asset = assets.select_related("item", "version", "patient_key__tenant_key", "source").first()
    if asset is None:
        raise NotFound()
    asset.patient = patient
    asset.grant = grant
    return asset, outside


def upload_target(principal: Principal, patient_id, item_id=None):
    """(patient, item or None): where a new upload goes; the practice's clinical staff only."""
    patient, _grant = _patient_and_grant(principal, patient_id, Perm.PATIENT_EDIT)
    item = None
    if item_id is not None:
        item = record_of(patient).filter(public_id=item_id).first()
        if item is None:
            raise NotFound()
    return patient, item


def upload_access(principal: Principal, upload_id):
    """An upload in progress: only the person who started it, acting for the same organization."""
    from dentalbridge.files.models import Upload

    if principal.user is None or principal.organization is None:
        raise NotFound()
    with through_the_door():
        upload = (
            Upload.objects.filter(public_id=upload_id, created_by=principal.user)
            .filter(
                Q(organization=principal.organization)
                | Q(acting_organization=principal.organization)
            )
            .filter(patient__deleted_at=None)
            .select_related("patient__organization", "item", "patient_key__tenant_key")
            .first()
        )
    if upload is None:
        raise NotFound()
    return upload


def uploads_expired(now) -> list:
    """System use (the clean-up task): unfinished uploads past their expiry."""
    from dentalbridge.files.models import Upload

    with through_the_door():
        return list(Upload.objects.filter(status="receiving", expires_at__lt=now))


def asset_for_pipeline(asset_id):
    """System use (the intake tasks): one asset with what processing it needs."""
    from dentalbridge.files.models import Asset

    with through_the_door():
        return (
            Asset.objects.filter(pk=asset_id)
            .select_related("patient__organization", "item", "version", "patient_key__tenant_key")
            .first()
        )


def derivatives_of(asset) -> list:
    from dentalbridge.files.models import Asset

    with through_the_door():
        return list(Asset.objects.filter(source=asset).select_related("patient_key__tenant_key"))


def assets_stalled(before) -> list:
    """System use: assets still processing with no progress since ``before``."""
    from dentalbridge.files.models import Asset

    with through_the_door():
        return list(Asset.objects.filter(status="processing", updated_at__lt=before, source=None))


def patient_key_current(patient: Patient):
    from dentalbridge.files.models import PatientKey

    with through_the_door():
        return (
            PatientKey.objects.filter(patient=patient, retired_at=None)
            .select_related("tenant_key")
            .order_by("-created_at")
            .first()
        )


def patient_keys_of_organization(organization) -> list:
    from dentalbridge.files.models import PatientKey

    with through_the_door():
        return list(
            PatientKey.objects.filter(patient__organization=organization).select_related(
                "tenant_key"
            )
        )


def files_of_patient(patient: Patient) -> tuple[list, list, list]:
    """(assets, uploads, keys) of a patient: system use, for retention."""
    from dentalbridge.files.models import Asset, PatientKey, Upload

    with through_the_door():
        assets = list(
            Asset.objects.filter(patient=patient).select_related("item", "version", "patient_key")
        )
        uploads = list(Upload.objects.filter(patient=patient))
        keys = list(PatientKey.objects.filter(patient=patient))
    return assets, uploads, keys


def storage_used(organization) -> int:
    """Bytes stored for ``organization``: finished files plus uploads still reserving space."""
    from django.db.models import Sum

    from dentalbridge.files.models import Asset, Upload

    with through_the_door():
        stored = Asset.objects.filter(organization=organization).aggregate(n=Sum("size"))["n"]
        pending = Upload.objects.filter(organization=organization, status="receiving").aggregate(
            n=Sum("length")
        )["n"]
    return (stored or 0) + (pending or 0)


def upload_locked(upload):
    """The upload row again, locked for the rest of the transaction (concurrent PATCHes)."""
    from dentalbridge.files.models import Upload

    with through_the_door():
        return Upload.objects.select_for_update().get(pk=upload.pk)


def record_item_current_version(item: RecordItem) -> RecordItemVersion:
    with through_the_door():
        return RecordItemVersion.objects.filter(item=item).order_by("-number").first()


# --- Shares with labs (FIL-3, DTR): pseudonym and anonymized copies only ----------------------


def _lab_for(principal: Principal) -> Organization:
    organization = principal.organization
    if organization is None or organization.kind != "lab":
        raise NotFound()
    if not may(principal, Perm.SHARED_FILES_VIEW, organization):
        raise NotFound()
    return organization


def _lab_shares(principal: Principal):
    """The lab's active shares; a designer's only while an assignment to them runs."""
    from dentalbridge.files.models import DesignerAssignment, Share

    lab = _lab_for(principal)
    now = timezone.now()
    with through_the_door():
        shares = Share.objects.filter(lab=lab, revoked_at=None, patient__deleted_at=None).filter(
            Q(expires_at=None) | Q(expires_at__gt=now)
        )
        if principal.role == "designer":
            assigned = DesignerAssignment.objects.filter(
                designer=principal.user, revoked_at=None, ends_at__gt=now
            ).values("share_id")
            on_orders = (
                _order_models()
                .OrderAttachment.objects.filter(
                    order__in=_active_assignments(principal.user, now).values("order_id")
                )
                .values("share_id")
            )
            shares = shares.filter(Q(pk__in=assigned) | Q(pk__in=on_orders))
    return shares.select_related("patient", "item", "practice")


def lab_shares(principal: Principal) -> list:
    shares = list(_lab_shares(principal))
    record(AuditAction.PATIENT_LISTED, principal=principal, data={"shared_with_lab": True})
    return shares


def lab_share_access(principal: Principal, share_id, *, audit: bool = True):
    share = _lab_shares(principal).filter(public_id=share_id).first()
    if share is None:
        raise NotFound()
    if audit:
        record(
            AuditAction.RECORD_ITEM_VIEWED,
            principal=principal,
            organization=principal.organization,
            patient=share.patient,
            target=share.item,
            reason=f"shared with the lab {share.public_id}",
            data={"share": str(share.public_id)},
        )
    return share


def lab_share_files(share) -> list:
    """The files a lab receives for a share: anonymized copies and their previews, ready."""
    from dentalbridge.files.models import Asset

    with through_the_door():
        assets = Asset.objects.filter(item=share.item)
    return list(
        _files_seen_from_outside(assets).select_related("version", "source").order_by("created_at")
    )


def lab_share_assignments(share) -> list:
    from dentalbridge.files.models import DesignerAssignment

    with through_the_door():
        return list(
            DesignerAssignment.objects.filter(share=share).select_related("designer", "assigned_by")
        )


def lab_assignment_access(principal: Principal, share_id, assignment_id):
    from dentalbridge.files.models import DesignerAssignment

    share = lab_share_access(principal, share_id, audit=False)
    if not may(principal, Perm.DESIGNER_ASSIGN, principal.organization):
        raise Forbidden()
    with through_the_door():
        assignment = DesignerAssignment.objects.filter(share=share, public_id=assignment_id).first()
    if assignment is None:
        raise NotFound()
    return assignment


def shares_of_item(item) -> list:
    """The shares of a record item obtained through the access layer (practice side)."""
    from dentalbridge.files.models import Share

    with through_the_door():
        return list(Share.objects.filter(item=item).select_related("lab", "shared_by"))


def _asset_via_share(principal: Principal, asset_id):
    """An anonymized file reached through an active share with the principal's lab."""
    from dentalbridge.files.models import Asset

    organization = principal.organization
    if organization is None or organization.kind != "lab":
        raise NotFound()
    with through_the_door():
        asset = (
            _files_seen_from_outside(Asset.objects.filter(public_id=asset_id))
            .select_related("item", "version", "patient", "patient_key__tenant_key", "source")
            .first()
        )
    if asset is None:
        raise NotFound()
    share = _lab_shares(principal).filter(item=asset.item_id).first()
    if share is None:
        raise NotFound()
    asset.grant = None
    asset.share = share
    return asset


def destroy_archived_keys(patient_public_id) -> int:
    """System use (retention): delete the keys kept for a purged patient's archive."""
    from dentalbridge.files.models import PatientKey

    with through_the_door():
        deleted, _by_model = PatientKey.objects.filter(
            archived_patient_id=patient_public_id, patient=None
        ).delete()
    return deleted


# --- Orders (ORD-1…ORD-8): the practice sees its orders; the lab sees what was sent to it, under
# the pseudonym; a freelance designer sees an order only while assigned to it -----------------


def _order_models():
    from dentalbridge.orders import models

    return models


def _active_assignments(user, now):
    models = _order_models()
    with through_the_door():
        return models.OrderAssignment.objects.filter(assignee=user, ended_at=None).filter(
            Q(ends_at=None) | Q(ends_at__gt=now)
        )


def _orders_of(principal: Principal):
    """(orders the principal's organization may see, side). Not audited: callers audit."""
    models = _order_models()
    organization = principal.organization
    if organization is None or principal.user is None or not may(principal, Perm.ORDER_VIEW):
        raise NotFound()
    with through_the_door():
        orders = models.Order.objects.all()
    if organization.is_practice:
        return orders.filter(practice=organization), "practice"
    if organization.kind != "lab":
        raise NotFound()
    orders = orders.filter(lab=organization).exclude(state="draft")
    if principal.role == "designer":
        assigned = _active_assignments(principal.user, timezone.now()).values("order_id")
        orders = orders.filter(pk__in=assigned)
    return orders, "lab"


def orders_query(principal: Principal, *, audit: bool = True):
    """(orders, side): the list pages' base query; listing is audited (without filters) — once
    per page: its counts ask with ``audit=False``."""
    orders, side = _orders_of(principal)
    if audit:
        record(AuditAction.ORDER_LISTED, principal=principal, data={"side": side})
    return orders.select_related("lab", "practice"), side


def orders_search(orders, side: str, text: str):
    """Orders whose reference or pseudonym holds ``text`` (any case: "r87w" finds O-R87W-PVGS);
    the practice also finds them by the patient's name. Never the lab: a name it typed must not
    tell it whose case an order is."""
    text = search_text(text, limit=40)
    if not text:
        return orders
    found = Q(reference__icontains=text) | Q(pseudonym__icontains=text)
    if side == "practice":
        found |= Q(patient__family_name__icontains=text) | Q(patient__given_name__icontains=text)
    return orders.filter(found)


def order_access(principal: Principal, order_id, perm: Perm = Perm.ORDER_VIEW, *, audit=True):
    """One order the principal's organization may see; ``order.side`` says from which side, and
    ``order.assigned`` whether the principal's user is assigned to it. Viewing is audited."""
    orders, side = _orders_of(principal)
    related = ["lab", "practice", "remake_of", "created_by"]
    if side == "practice":
        related.append("patient")
    order = (
        orders.filter(public_id=order_id)
        .annotate(patient_uuid=F("patient__public_id"))
        .select_related(*related)
        .first()
    )
    if order is None:
        raise NotFound()
    if not may(principal, perm, principal.organization):
        raise Forbidden()
    order.side = side
    order.assigned = (
        side == "lab"
        and _active_assignments(principal.user, timezone.now()).filter(order=order).exists()
    )
    if side == "lab":
        order.patient = None  # the lab works under the pseudonym only
    if audit:
        record(
            AuditAction.ORDER_VIEWED,
            principal=principal,
            target=order,
            patient=order_audit_patient(order),
            data={"side": side},
        )
    return order


def order_audit_patient(order):
    """What the audit log keeps of an order's patient: the random public id, for either side."""
    from types import SimpleNamespace

    uuid = getattr(order, "patient_uuid", None)
    return SimpleNamespace(public_id=uuid) if uuid else None


def order_locked(order):
    """The order row again, locked for the rest of the transaction (concurrent steps)."""
    models = _order_models()
    with through_the_door():
        locked = (
            models.Order.objects.select_for_update(of=("self",))
            .select_related("lab", "practice")
            .get(pk=order.pk)
        )
    locked.side, locked.assigned = order.side, order.assigned
    locked.patient_uuid = order.patient_uuid
    if order.side == "lab":
        locked.patient = None
    return locked


def order_items_replace(order, items) -> None:
    """The order's items become ``items`` (a draft being edited); one delete, one insert."""
    models = _order_models()
    for position, item in enumerate(items, start=1):
        item.order, item.position = order, position
    with through_the_door():
        models.OrderItem.objects.filter(order=order).delete()
        models.OrderItem.objects.bulk_create(items)


def order_attachment_delete(attachment) -> None:
    attachment.delete()


def order_patient(order):
    """The patient of an order reached from the practice side (None for the lab)."""
    if getattr(order, "side", None) != "practice" or order.patient_id is None:
        return None
    with through_the_door():
        return Patient.objects.filter(pk=order.patient_id).first()


def order_items(order) -> list:
    models = _order_models()
    with through_the_door():
        items = models.OrderItem.objects.filter(order=order)
    return list(items.select_related("implant_platform__system__manufacturer"))


def order_attachments(order) -> list:
    models = _order_models()
    with through_the_door():
        attachments = models.OrderAttachment.objects.filter(order=order)
    return list(attachments.select_related("item", "share"))


def order_assignments(order) -> list:
    models = _order_models()
    with through_the_door():
        assignments = models.OrderAssignment.objects.filter(order=order)
    return list(assignments.select_related("assignee", "assigned_by"))


def order_messages(order) -> list:
    """The thread, oldest first, each message with its read receipts; two queries."""
    models = _order_models()
    with through_the_door():
        reads = models.OrderMessageRead.objects.select_related("reader").order_by("read_at")
        messages = models.OrderMessage.objects.filter(order=order).prefetch_related(
            Prefetch("reads", queryset=reads)
        )
    return list(messages.select_related("author", "attachment"))


def order_messages_mark_read(order, user, messages) -> int:
    """Receipts for the messages ``user`` has not written nor read yet; one insert."""
    models = _order_models()
    unread = [
        m for m in messages
        if m.author_id != user.pk and all(r.reader_id != user.pk for r in m.reads.all())
    ]  # fmt: skip
    if not unread:
        return 0
    with through_the_door():
        models.OrderMessageRead.objects.bulk_create(
            [models.OrderMessageRead(message=m, reader=user) for m in unread],
            ignore_conflicts=True,
        )
    return len(unread)


def order_reference_taken(reference: str) -> bool:
    models = _order_models()
    with through_the_door():
        return models.Order.objects.filter(reference=reference).exists()


def prescribing_patient(principal: Principal, patient_id) -> Patient:
    """A patient of the principal's own practice, for whom it may prescribe (a care-team grant
    does not let another practice order work for the patient)."""
    patient, grant = _patient_and_grant(principal, patient_id, Perm.PATIENT_VIEW)
    if grant is not None:
        raise NotFound()
    if not may(principal, Perm.ORDER_PRESCRIBE, principal.organization):
        raise Forbidden()
    return patient


def record_item_of(patient: Patient, item_id) -> RecordItem:
    """A record item of this patient, or NotFound (another patient's or tenant's item)."""
    item = record_of(patient).filter(public_id=item_id).first()
    if item is None:
        raise NotFound()
    return item


def orders_by_ids(ids) -> list:
    """System use (tasks): orders by primary key, with both organizations."""
    models = _order_models()
    with through_the_door():
        return list(models.Order.objects.filter(pk__in=list(ids)).select_related("lab", "practice"))


def orders_due_in_lab(lab, days) -> dict:
    """{day: number of orders the lab works on that are due that day}: capacity planning."""
    from django.db.models import Count

    from dentalbridge.orders.workflow import LAB_WORK_STATES

    models = _order_models()
    with through_the_door():
        rows = (
            models.Order.objects.filter(
                lab=lab, state__in=LAB_WORK_STATES, confirmed_due_date__in=list(days)
            )
            .values("confirmed_due_date")
            .annotate(n=Count("pk"))
        )
        return {row["confirmed_due_date"]: row["n"] for row in rows}


def design_assets(order, items) -> dict:
    """{item pk: [assets]} of an order's design items (either side sees their processing state;
    what it may download is decided per file by ``asset_access``)."""
    from dentalbridge.files.models import Asset

    with through_the_door():
        assets = Asset.objects.filter(item__in=[item.pk for item in items])
    grouped: dict = {}
    for asset in assets.select_related("version", "patient").order_by("created_at"):
        grouped.setdefault(asset.item_id, []).append(asset)
    return grouped


def orders_of_organization(organization, side: str):
    """System use (aggregate reports that show counts, never a patient): an organization's
    orders from its side."""
    models = _order_models()
    with through_the_door():
        orders = models.Order.objects.all()
    if side == "practice":
        return orders.filter(practice=organization), side
    return orders.filter(lab=organization).exclude(state="draft"), side


def order_items_queryset():
    """For prefetching the items of orders already obtained through ``orders_query``."""
    models = _order_models()
    with through_the_door():
        return models.OrderItem.objects.all()


def order_assignments_queryset():
    models = _order_models()
    with through_the_door():
        return models.OrderAssignment.objects.select_related("assignee")


def order_remakes(order) -> list:
    """Remakes of an order, seen from the same side (the lab does not see the practice's
    drafts)."""
    models = _order_models()
    with through_the_door():
        remakes = models.Order.objects.filter(remake_of=order).order_by("created_at")
    if getattr(order, "side", None) != "practice":
        remakes = remakes.exclude(state="draft")
    return list(remakes)


def record_item_titles(items) -> dict:
    """{item pk: title of its latest version}: practice pages only (titles may name the
    patient); one query."""
    with through_the_door():
        versions = RecordItemVersion.objects.filter(item__in=[i.pk for i in items]).order_by(
            "item_id", "number"
        )
        return {v.item_id: v.title for v in versions}


def orders_of_patient(principal: Principal, patient) -> list:
    """The orders of a patient already obtained through ``patient_access``, for its practice."""
    organization = principal.organization
    if organization is None or organization.pk != patient.organization_id:
        return []
    if not may(principal, Perm.ORDER_VIEW, organization):
        return []
    models = _order_models()
    with through_the_door():
        return list(
            models.Order.objects.filter(patient=patient, practice=organization)
            .select_related("lab")
            .order_by("-created_at")
        )


DESIGN_UPLOAD_STATES = ("in_design",)


def design_upload_target(principal: Principal, order_id, *, for_message: bool = False):
    """(order, patient): where a lab's design file for an order goes — the order's patient's
    record at the practice. The lab's staff, or its designer while assigned, and only while the
    order is in design (ORD-3)."""
    order = order_access(principal, order_id, Perm.ORDER_VIEW, audit=False)
    if order.side != "lab":
        raise NotFound()
    if not may(principal, Perm.ORDER_WORK, principal.organization):
        raise Forbidden()
    if principal.role == "designer" and not order.assigned:
        raise NotFound()
    from dentalbridge.orders.workflow import OPEN_STATES

    if for_message and order.state not in OPEN_STATES:
        from django.utils.translation import gettext as _

        from dentalbridge.core.errors import Conflict

        raise Conflict(_("This order is finished: no more files."), code="order_finished")
    if not for_message and order.state not in DESIGN_UPLOAD_STATES:
        from django.utils.translation import gettext as _

        from dentalbridge.core.errors import Conflict

        raise Conflict(
            _("Design files can be uploaded only while the order is in design."),
            code="not_in_design",
        )
    with through_the_door():
        patient = (
            Patient.objects.filter(public_id=order.patient_uuid, deleted_at=None)
            .select_related("organization")
            .first()
        )
    if patient is None:
        raise NotFound()
    return order, patient


def order_patient_for_lab_upload(order):
    """System use inside a design upload already authorized by ``design_upload_target``."""
    with through_the_door():
        return Patient.objects.filter(public_id=order.patient_uuid).first()


def orders_in_lab_work() -> list:
    """System use (the late-order alert): orders a lab is working on, with both organizations."""
    from dentalbridge.orders.workflow import LAB_WORK_STATES

    models = _order_models()
    with through_the_door():
        return list(
            models.Order.objects.filter(state__in=LAB_WORK_STATES)
            .annotate(patient_uuid=F("patient__public_id"))
            .select_related("lab", "practice")
        )


# --- Data-subject requests (PRV-3, PRV-4) -----------------------------------------------------
# A request names its requester and, for a patient, the patient: reading one is reading patient
# data, so it comes through here like a record does.
def _data_request_model():
    from dentalbridge.privacy.models import DataRequest

    return DataRequest


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
        requests = _data_request_model().objects.filter(controller=organization)
    record(AuditAction.DATA_REQUESTS_LISTED, principal=principal)
    return requests.select_related("patient", "user", "received_via")


def data_request_access(principal: Principal, request_id, *, lock: bool = False):
    organization = data_request_controller(principal)
    with through_the_door():
        requests = _data_request_model().objects.filter(controller=organization)
        if lock:
            requests = requests.select_for_update(of=("self",))
        found = requests.select_related("patient", "user", "received_via").filter(
            public_id=request_id
        )
        found = found.first()
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
            _data_request_model()
            .objects.filter(user=user)
            .select_related("controller")
            .order_by("-created_at")
        )
        return list(mine[:limit] if limit else mine)


def data_request_for_export(request_id):
    """The request a download link names (the link's signature was checked by the caller)."""
    with through_the_door():
        return (
            _data_request_model()
            .objects.filter(public_id=request_id)
            .select_related("patient", "patient__organization", "user", "controller")
            .first()
        )


def data_request_by_verification(token_hash: str):
    with through_the_door():
        return (
            _data_request_model()
            .objects.select_for_update(of=("self",))
            .filter(verification_hash=token_hash)
            .first()
        )


def data_requests_open_due_by(moment) -> list:
    """Open requests due by ``moment`` (for the reminders), across controllers."""
    with through_the_door():
        return list(
            _data_request_model()
            .objects.filter(status="open", due_at__lte=moment)
            .select_related("controller")
        )


def data_requests_recent_from(email: str, since) -> int:
    with through_the_door():
        return (
            _data_request_model().objects.filter(email__iexact=email, created_at__gte=since).count()
        )


def patients_with_email(email: str) -> list[Patient]:
    """Patients (not deleted) whose record holds this e-mail address, in any practice: where a
    verified public request is routed. The routing is audited by the caller."""
    with through_the_door():
        return list(
            Patient.objects.filter(email__iexact=email.strip(), deleted_at=None).select_related(
                "organization"
            )
        )


def request_forward_target(principal: Principal, reference: str):
    """For a lab forwarding a patient's request (PRV-4): (order, patient) of one of the lab's
    received orders by its reference. The patient goes to the practice's request, never back to
    the lab."""
    organization = principal.organization
    if organization is None or organization.kind != "lab":
        raise NotFound()
    if not may(principal, Perm.DATA_REQUEST_FORWARD, organization):
        raise Forbidden()
    models = _order_models()
    with through_the_door():
        order = (
            models.Order.objects.filter(lab=organization, reference__iexact=reference.strip())
            .exclude(state="draft")
            .select_related("practice", "patient")
            .first()
        )
    if order is None:
        raise NotFound()
    return order, order.patient


def patient_export_sections(patient: Patient) -> dict[str, list]:
    """Every row that holds data of one patient, by section, for an access or portability
    request the controller's handler has opened (``data_request_access``, which audits). The
    sections are what ``privacy.portability`` serializes field by field from the register."""
    from dentalbridge.files import models as files
    from dentalbridge.privacy.models import AuditEvent, DataRequest, LegalHold

    orders = _order_models()
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
            "files": list(
                files.Asset.objects.filter(patient=patient).select_related("item", "version")
            ),
            "uploads": list(files.Upload.objects.filter(patient=patient)),
            "shares": list(files.Share.objects.filter(patient=patient).select_related("lab")),
            "designer_assignments": list(
                files.DesignerAssignment.objects.filter(share__patient=patient)
            ),
            "orders": list(
                orders.Order.objects.filter(patient=patient).select_related("lab", "practice")
            ),
            "order_items": list(orders.OrderItem.objects.filter(order__patient=patient)),
            "order_attachments": list(
                orders.OrderAttachment.objects.filter(order__patient=patient)
            ),
            "order_assignments": list(
                orders.OrderAssignment.objects.filter(order__patient=patient)
            ),
            "order_messages": list(orders.OrderMessage.objects.filter(order__patient=patient)),
            "order_message_reads": list(
                orders.OrderMessageRead.objects.filter(message__order__patient=patient)
            ),
            "data_requests": list(DataRequest.objects.filter(patient=patient)),
            "legal_holds": list(LegalHold.objects.filter(patient=patient)),
            "access_log": list(
                AuditEvent.objects.filter(patient_id=patient.public_id).order_by("seq")
            ),
        }


# --- Erasure and legal holds (PRV-3, PRV-5): system use, after the caller checked who acts ------
def legal_holds_of(patient: Patient, *, active: bool = True) -> list:
    from dentalbridge.privacy.models import LegalHold

    with through_the_door():
        holds = LegalHold.objects.filter(patient=patient)
        if active:
            holds = holds.filter(lifted_at=None)
        return list(holds.order_by("created_at"))


def legal_hold_access(principal: Principal, patient_id, hold_id):
    from dentalbridge.privacy.models import LegalHold

    patient = patient_access(principal, patient_id, Perm.PATIENT_VIEW, reason="legal hold")
    if not may(principal, Perm.DATA_REQUEST_HANDLE, patient.organization):
        raise Forbidden()
    with through_the_door():
        hold = LegalHold.objects.filter(patient=patient, public_id=hold_id).first()
    if hold is None:
        raise NotFound()
    return patient, hold


def patient_last_change(patient: Patient):
    """When the record last changed: the newest version of any item, or the patient row."""
    from django.db.models import Max

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


def orders_of_patient_anonymize(patient: Patient) -> int:
    """Keep a patient's orders as business records (ORD-6) but without their free text, which
    may name the person: notes, status notes, messages."""
    models = _order_models()
    with through_the_door():
        orders = models.Order.objects.filter(patient=patient)
        count = orders.update(preparation_notes="", technical_notes="", status_note="")
        models.OrderItem.objects.filter(order__patient=patient).update(notes="")
        models.OrderMessage.objects.filter(order__patient=patient).update(body="[erased]")
    return count


def data_requests_of_patient_anonymize(patient: Patient, *, except_request=None) -> int:
    with through_the_door():
        found = _data_request_model().objects.filter(patient=patient)
        if except_request is not None:
            found = found.exclude(pk=except_request.pk)
        return found.update(name="", email="", details="", answer="", outcome={})


def data_request_anonymize(request) -> None:
    with through_the_door():
        _data_request_model().objects.filter(pk=request.pk).update(
            name="", email="", details="", user=None
        )


def archives_of_patient(patient_ref) -> list[PatientArchive]:
    with through_the_door():
        return list(PatientArchive.objects.filter(patient_id=patient_ref))


def patient_by_ref(patient_ref) -> Patient | None:
    """System use (erasure replay after a restore): the patient with this id, deleted or not."""
    with through_the_door():
        return Patient.objects.filter(public_id=patient_ref).select_related("organization").first()


def patient_keys_delete(keys) -> int:
    from dentalbridge.files.models import PatientKey

    with through_the_door():
        deleted, _by_model = PatientKey.objects.filter(pk__in=[k.pk for k in keys]).delete()
    return deleted


def shares_of_patient_delete(patient: Patient) -> list:
    """Remove the lab-side copies of a patient's files (shares and their anonymized assets);
    returns the assets whose blobs the caller deletes."""
    from dentalbridge.files.models import Asset, AssetRole, Share

    with through_the_door():
        copies = list(Asset.objects.filter(patient=patient, role=AssetRole.SHARED))
        Share.objects.filter(patient=patient).delete()
        Asset.objects.filter(pk__in=[a.pk for a in copies]).delete()
    return copies


def assets_delete(assets) -> int:
    from dentalbridge.files.models import Asset

    with through_the_door():
        deleted, _by_model = Asset.objects.filter(pk__in=[a.pk for a in assets]).delete()
    return deleted


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


# --- Retention (PRV-5): system use by the retention engine ----------------------------------------
def data_requests_answered_before(cutoff, statuses):
    with through_the_door():
        return _data_request_model().objects.filter(status__in=statuses, answered_at__lt=cutoff)


def held_patient_ids() -> list[int]:
    from dentalbridge.privacy.models import LegalHold

    with through_the_door():
        return list(
            LegalHold.objects.filter(lifted_at=None, patient__isnull=False).values_list(
                "patient_id", flat=True
            )
        )


def orders_expired(cutoff_for, *, held):
    """Finished orders whose last change is before the cut-off of their practice's country."""
    models = _order_models()
    finished = ("closed", "cancelled", "declined")
    countries = list(
        Organization.objects.filter(kind="practice").values_list("country", flat=True).distinct()
    )
    match = Q()
    for country in countries:
        match |= Q(practice__country=country, state_changed_at__lt=cutoff_for(country))
    with through_the_door():
        orders = models.Order.objects.filter(state__in=finished).filter(match)
        if held:
            orders = orders.exclude(patient_id__in=held)
        # A remake keeps its original: the original goes when its last remake goes.
        return orders.exclude(pk__in=models.Order.objects.filter(remake_of__isnull=False).values(
            "remake_of_id"
        ))  # fmt: skip


def delete_matching(rows) -> int:
    """Delete a batch of the retention engine; returns the rows of the batch's own model (rows
    of other models deleted with them by cascade are not counted)."""
    with through_the_door():
        _total, by_model = rows.order_by().delete()
    return by_model.get(rows.model._meta.label, 0)


def labs_of_patient(patient: Patient) -> dict:
    """{lab: [order references]} of every lab that received data of this patient (orders sent
    to it, files shared with it): where a deletion instruction goes."""
    from dentalbridge.files.models import Share

    models = _order_models()
    labs: dict = {}
    with through_the_door():
        for order in (
            models.Order.objects.filter(patient=patient)
            .exclude(state="draft")
            .exclude(lab=None)
            .select_related("lab")
        ):
            labs.setdefault(order.lab, []).append(order.reference)
        for share in Share.objects.filter(patient=patient).select_related("lab"):
            labs.setdefault(share.lab, [])
    return labs
