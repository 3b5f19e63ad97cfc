"""The files' door keeper (FIL-1…FIL-7): stored files of the record, uploads in progress, keys,
and what labs and designers reach through shares (pseudonym and anonymized copies only).

The practice sees every file of its patients: originals (as uploaded, possibly naming the
patient) and their derivatives. Anyone else who may see a record — a care-team member of
another practice — receives only what was made for outside eyes: the anonymized copy and the
previews made from it, once ready (a copy held for the practice's confirmation does not exist
for them)."""

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from dentalbridge.core.errors import Forbidden, NotFound
from dentalbridge.files.models import (
    Asset,
    AssetRole,
    DesignerAssignment,
    PatientKey,
    Share,
    Upload,
)
from dentalbridge.organizations.models import Organization
from dentalbridge.patients.access import patient_and_grant, record_of
from dentalbridge.patients.models import Patient, RecordItem
from dentalbridge.privacy.audit import AuditAction, record, record_system_read
from dentalbridge.privacy.door import through_the_door
from dentalbridge.privacy.policy import Perm, may
from dentalbridge.privacy.principal import Principal, SystemActor, system_only

# --- Files (FIL-1…FIL-7): stored files of the record ---------------------------------------------
#
# The practice sees every file of its patients: originals (as uploaded, possibly naming the
# patient) and their derivatives. Anyone else who may see a record — a care-team member of
# another practice — receives only what was made for outside eyes: the anonymized copy and the
# previews made from it, once ready (a copy held for the practice's confirmation does not exist
# for them).

OUTSIDE_ROLES = ("shared", "preview", "thumbnail")


def _files_seen_from_outside(assets):
    """Ready copies for outside eyes; a preview or thumbnail only once the copy it was made from
    is ready too — while that copy is held for a dentist's confirmation (identity in its pixels,
    or a file our checks could not finish), so are the pictures of it."""
    with through_the_door():
        copy_ready = Asset.objects.filter(source=OuterRef("source"), role="shared", status="ready")
    return assets.filter(role__in=OUTSIDE_ROLES, status="ready").filter(
        Q(role="shared") | Exists(copy_ready)
    )


def files_of_items(patient: Patient, items, *, outside: bool) -> dict:
    """{item pk: [assets]} for items already obtained through the access layer; one query."""
    with through_the_door():
        assets = Asset.objects.filter(item__in=[item.pk for item in items], patient=patient)
    if outside:
        assets = _files_seen_from_outside(assets)
    grouped: dict = {}
    for asset in assets.select_related("version").order_by("created_at"):
        grouped.setdefault(asset.item_id, []).append(asset)
    return grouped


def asset_access(
    principal: Principal, patient_id: UUID | str, asset_id: UUID | str, perm: Perm
) -> tuple[Asset, bool]:
    """(asset, outside): one stored file of a patient, if the principal may ``perm`` the patient;
    ``outside`` says the principal is not of the practice and sees anonymized copies only."""
    if principal.organization is not None and principal.organization.kind == "lab":
        if perm != Perm.PATIENT_VIEW:
            raise NotFound()
        asset = _asset_via_share(principal, asset_id)
        if str(asset.patient.public_id) != str(patient_id):
            raise NotFound()
        return asset, True
    patient, grant = patient_and_grant(principal, patient_id, perm)
    with through_the_door():
        assets = Asset.objects.filter(patient=patient, public_id=asset_id)
    outside = grant is not None
    if outside:
        assets = _files_seen_from_outside(assets)
    found = assets.select_related("item", "version", "patient_key__tenant_key", "source").first()
    if found is None:
        raise NotFound()
    found.patient = patient
    found.grant = grant
    return found, outside


def upload_target(principal: Principal, patient_id, item_id=None):
    """(patient, item or None): where a new upload goes; the practice's clinical staff only."""
    patient, _grant = patient_and_grant(principal, patient_id, Perm.PATIENT_EDIT)
    item = None
    if item_id is not None:
        item = record_of(patient).filter(public_id=item_id).first()
        if item is None:
            raise NotFound()
    return patient, item


def upload_access(principal: Principal, upload_id):
    """An upload in progress: only the person who started it, acting for the same organization."""
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


def uploads_expired(system: SystemActor, now) -> list:
    """System use (the clean-up task): unfinished uploads past their expiry."""
    system_only(system)
    with through_the_door():
        expired = list(Upload.objects.filter(status="receiving", expires_at__lt=now))
    record_system_read(system, "uploads_expired", count=len(expired))
    return expired


def asset_for_pipeline(system: SystemActor, asset_id: int) -> Asset | None:
    """System use (the intake tasks): one asset with what processing it needs."""
    system_only(system)
    with through_the_door():
        asset = (
            Asset.objects.filter(pk=asset_id)
            .select_related("patient__organization", "item", "version", "patient_key__tenant_key")
            .first()
        )
    if asset is None:
        record_system_read(system, "asset_for_pipeline", count=0)
    else:
        record_system_read(system, "asset_for_pipeline", target=asset, patient=asset.patient)
    return asset


def derivatives_of(asset: Asset) -> list[Asset]:
    with through_the_door():
        return list(Asset.objects.filter(source=asset).select_related("patient_key__tenant_key"))


def assets_stalled(system: SystemActor, now, unleased_before) -> list:
    """System use: originals still processing whose intake stopped — its lease ran out (the
    worker holding it died), or it never started and nothing happened since
    ``unleased_before``."""
    system_only(system)
    with through_the_door():
        stalled = list(
            Asset.objects.filter(status="processing", source=None).filter(
                Q(lease_until__lt=now) | Q(lease_until=None, updated_at__lt=unleased_before)
            )
        )
    record_system_read(system, "assets_stalled", count=len(stalled))
    return stalled


def asset_lease(asset: Asset, owner: str, until) -> bool:
    """Take or renew the intake's lease on ``asset`` (still processing) for ``owner`` until
    ``until``; False if another run holds an unexpired lease or the file is done. One statement,
    so two runs can never both hold it."""
    now = timezone.now()
    with through_the_door():
        taken = (
            Asset.objects.filter(pk=asset.pk, status="processing")
            .filter(Q(lease_until=None) | Q(lease_until__lt=now) | Q(leased_by=owner))
            .update(lease_until=until, leased_by=owner)
        )
    if taken:
        asset.lease_until, asset.leased_by = until, owner
    return bool(taken)


def asset_lease_end(asset: Asset, owner: str) -> None:
    """Give the lease back (the run finished, whatever its outcome)."""
    with through_the_door():
        Asset.objects.filter(pk=asset.pk, leased_by=owner).update(lease_until=None, leased_by="")
    asset.lease_until, asset.leased_by = None, ""


def patient_key_current(patient: Patient) -> PatientKey | None:
    with through_the_door():
        return (
            PatientKey.objects.filter(patient=patient, retired_at=None)
            .select_related("tenant_key")
            .order_by("-created_at")
            .first()
        )


def patient_keys_of_organization(organization) -> list:
    with through_the_door():
        return list(
            PatientKey.objects.filter(patient__organization=organization).select_related(
                "tenant_key"
            )
        )


def files_of_patient(system: SystemActor, patient: Patient) -> tuple[list, list, list]:
    """(assets, uploads, keys) of a patient: system use, for retention and erasure."""
    system_only(system)
    with through_the_door():
        assets = list(
            Asset.objects.filter(patient=patient).select_related("item", "version", "patient_key")
        )
        uploads = list(Upload.objects.filter(patient=patient))
        keys = list(PatientKey.objects.filter(patient=patient))
    record_system_read(system, "files_of_patient", target=patient, patient=patient)
    return assets, uploads, keys


def storage_used(organization) -> int:
    """Bytes stored for ``organization``: finished files plus uploads still reserving space."""
    with through_the_door():
        stored = Asset.objects.filter(organization=organization).aggregate(n=Sum("size"))["n"]
        pending = Upload.objects.filter(organization=organization, status="receiving").aggregate(
            n=Sum("length")
        )["n"]
    return (stored or 0) + (pending or 0)


def upload_locked(upload):
    """The upload row again, locked for the rest of the transaction (concurrent PATCHes)."""
    with through_the_door():
        return Upload.objects.select_for_update().get(pk=upload.pk)


# --- Shares with labs (FIL-3, DTR): pseudonym and anonymized copies only ----------------------


def _lab_for(principal: Principal) -> Organization:
    organization = principal.organization
    if organization is None or organization.kind != "lab":
        raise NotFound()
    if not may(principal, Perm.SHARED_FILES_VIEW, organization):
        raise NotFound()
    return organization


# Apps above files widen what a designer reaches: orders lets a designer assigned to an order
# reach the files attached to it. They register a source here (a function of user and moment
# returning a query of share ids) instead of files importing them.
_designer_share_sources: list[Callable[[object, datetime], QuerySet]] = []


def designer_share_source_register(source: Callable[[object, datetime], QuerySet]) -> None:
    if source not in _designer_share_sources:
        _designer_share_sources.append(source)


def _lab_shares(principal: Principal) -> QuerySet[Share]:
    """The lab's active shares; a designer's only while an assignment to them runs (to the share
    itself, or through a registered source such as an order's assignment)."""
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
            reachable = Q(pk__in=assigned)
            for source in _designer_share_sources:
                reachable |= Q(pk__in=source(principal.user, now))
            shares = shares.filter(reachable)
    return shares.select_related("patient", "item", "practice")


def lab_shares(principal: Principal) -> list:
    shares = list(_lab_shares(principal))
    record(AuditAction.PATIENT_LISTED, principal=principal, data={"shared_with_lab": True})
    return shares


def lab_share_access(principal: Principal, share_id: UUID | str, *, audit: bool = True) -> Share:
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
    with through_the_door():
        assets = Asset.objects.filter(item=share.item)
    return list(
        _files_seen_from_outside(assets).select_related("version", "source").order_by("created_at")
    )


def lab_share_assignments(share) -> list:
    with through_the_door():
        return list(
            DesignerAssignment.objects.filter(share=share).select_related("designer", "assigned_by")
        )


def lab_assignment_access(
    principal: Principal, share_id: UUID | str, assignment_id: UUID | str
) -> DesignerAssignment:
    share = lab_share_access(principal, share_id, audit=False)
    if not may(principal, Perm.DESIGNER_ASSIGN, principal.organization):
        raise Forbidden()
    with through_the_door():
        assignment = DesignerAssignment.objects.filter(share=share, public_id=assignment_id).first()
    if assignment is None:
        raise NotFound()
    return assignment


def shares_of_item(item: RecordItem) -> list[Share]:
    """The shares of a record item obtained through the access layer (practice side)."""
    with through_the_door():
        return list(Share.objects.filter(item=item).select_related("lab", "shared_by"))


def _asset_via_share(principal: Principal, asset_id: UUID | str) -> Asset:
    """An anonymized file reached through an active share with the principal's lab."""
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


def destroy_archived_keys(system: SystemActor, patient_public_id) -> int:
    """System use (retention, erasure): delete the keys kept for a purged patient's archive. The
    caller audits the destruction against the archive; this audits the read of the keys."""
    system_only(system)
    with through_the_door():
        deleted, _by_model = PatientKey.objects.filter(
            archived_patient_id=patient_public_id, patient=None
        ).delete()
    record_system_read(system, "destroy_archived_keys", count=deleted)
    return deleted


def design_assets(order, items) -> dict:
    """{item pk: [assets]} of an order's design items (either side sees their processing state;
    what it may download is decided per file by ``asset_access``)."""
    with through_the_door():
        assets = Asset.objects.filter(item__in=[item.pk for item in items])
    grouped: dict = {}
    for asset in assets.select_related("version", "patient").order_by("created_at"):
        grouped.setdefault(asset.item_id, []).append(asset)
    return grouped


def patient_keys_delete(keys) -> int:
    with through_the_door():
        deleted, _by_model = PatientKey.objects.filter(pk__in=[k.pk for k in keys]).delete()
    return deleted


def shares_of_patient_delete(patient: Patient) -> list:
    """Remove the lab-side copies of a patient's files (shares and their anonymized assets);
    returns the assets whose blobs the caller deletes."""
    with through_the_door():
        copies = list(Asset.objects.filter(patient=patient, role=AssetRole.SHARED))
        Share.objects.filter(patient=patient).delete()
        Asset.objects.filter(pk__in=[a.pk for a in copies]).delete()
    return copies


def assets_delete(assets) -> int:
    with through_the_door():
        deleted, _by_model = Asset.objects.filter(pk__in=[a.pk for a in assets]).delete()
    return deleted


def share_labs_of_patient(system: SystemActor, patient: Patient) -> list[Organization]:
    """System use (deletion instructions): the labs a patient's files were shared with."""
    system_only(system)
    with through_the_door():
        labs = [share.lab for share in Share.objects.filter(patient=patient).select_related("lab")]
    record_system_read(system, "share_labs_of_patient", target=patient, patient=patient)
    return labs


def export_rows(patient: Patient) -> dict[str, list]:
    """The files app's rows of one patient, by section, for an access or portability request
    (``gdpr.access.patient_export_sections``)."""
    with through_the_door():
        return {
            "files": list(Asset.objects.filter(patient=patient).select_related("item", "version")),
            "uploads": list(Upload.objects.filter(patient=patient)),
            "shares": list(Share.objects.filter(patient=patient).select_related("lab")),
            "designer_assignments": list(DesignerAssignment.objects.filter(share__patient=patient)),
        }
