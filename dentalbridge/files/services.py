"""Actions on stored files: releasing a held anonymized copy, repairing a scan."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from dentalbridge.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dentalbridge.files import access, formats, mesh, pipeline
from dentalbridge.files.models import Asset, AssetRole, AssetStatus, DesignerAssignment, Share
from dentalbridge.files.sandbox import SandboxError
from dentalbridge.organizations.models import Organization
from dentalbridge.patients import access as patients_access
from dentalbridge.patients.models import RecordItemVersion
from dentalbridge.privacy.audit import AuditAction, record
from dentalbridge.privacy.policy import Perm
from dentalbridge.privacy.principal import Principal, Purpose, SystemActor


def release_held(*, actor: Principal, patient_id: UUID | str, asset_id: UUID | str) -> Asset:
    """The practice has looked at a copy held for possible identity in its pixels (burned-in
    annotations), or made from a file our checks could not finish ("stored — not checked"), and
    confirms it may be shared outside the practice. A file a check proved bad is never shared."""
    asset, outside = access.asset_access(actor, patient_id, asset_id, Perm.PATIENT_EDIT)
    if outside:
        raise NotFound()
    unchecked = asset.report.get("unchecked") if asset.status == AssetStatus.UNCHECKED else None
    if unchecked is not None and not unchecked.get("shareable"):
        raise Conflict(
            _(
                "This file failed its check: it stays in the record, but it cannot be shared "
                "outside the practice."
            ),
            code="not_shareable",
        )
    shared = asset if asset.role == AssetRole.SHARED else None
    if shared is None:
        shared = next((d for d in access.derivatives_of(asset) if d.role == AssetRole.SHARED), None)
    if shared is None or shared.status != AssetStatus.HELD:
        raise Conflict(_("This file is not waiting for confirmation."), code="not_held")
    with transaction.atomic():
        shared.status = AssetStatus.READY
        shared.confirmed_by = actor.user
        shared.confirmed_at = timezone.now()
        shared.save(update_fields=["status", "confirmed_by", "confirmed_at", "updated_at"])
        record(
            AuditAction.FILE_RELEASED,
            principal=actor,
            patient=shared.patient,
            target=shared,
            data={"reason": shared.report.get("hold_reason") or ""},
        )
    return shared


def repair_request(*, actor: Principal, patient_id: UUID | str, asset_id: UUID | str) -> None:
    asset, outside = access.asset_access(actor, patient_id, asset_id, Perm.PATIENT_EDIT)
    if outside or asset.role not in (AssetRole.ORIGINAL, AssetRole.REPAIRED):
        raise NotFound()
    if asset.format not in pipeline.MESH_FORMATS or asset.status != AssetStatus.READY:
        raise Conflict(_("Only a checked scan can be repaired."), code="not_repairable")
    with transaction.atomic():
        record(
            AuditAction.FILE_REPAIR_REQUESTED,
            principal=actor,
            patient=asset.patient,
            target=asset,
        )
        transaction.on_commit(lambda: repair_asset.enqueue(asset.pk, actor.user.pk))  # type: ignore[union-attr]  # a member acts


@task(queue_name="files")
def repair_asset(asset_pk: int, user_pk: int | None = None) -> dict[str, object]:
    """Repair a scan into a new version of its record item; the original stays as it was."""
    from dentalbridge.accounts.models import User

    # Repairing a checked scan is intake work; the task has the user's id, not their principal.
    asset = access.asset_for_pipeline(SystemActor(Purpose.INTAKE), asset_pk)
    if asset is None or asset.status != AssetStatus.READY:
        return {"skipped": True}
    author = User.objects.filter(pk=user_pk).first() if user_pk else None
    with pipeline.workdir() as work:
        plain = work / "original"
        pipeline.decrypt_to(asset, plain)
        repaired_path = work / "repaired.stl"
        try:
            result = mesh.repair_mesh(
                str(plain), str(repaired_path), fmt=pipeline.MESH_FORMATS[asset.format]
            )
        except SandboxError as error:
            asset.report["repair"] = {"error": str(error)}
            asset.save(update_fields=["report", "updated_at"])
            return {"failed": str(error)}
        current = patients_access.record_item_current_version(asset.item)
        with transaction.atomic():
            version = RecordItemVersion(
                item=asset.item,
                number=current.number + 1,
                title=current.title,
                text=current.text,
                taken_on=current.taken_on,
                author=author,
            )
            version.save(force_insert=True)
            repaired = Asset(
                organization=asset.organization,
                patient=asset.patient,
                item=asset.item,
                version=version,
                role=AssetRole.REPAIRED,
                filename=f"{asset.patient.pseudonym}-scan-v{version.number}-repaired.stl",
                original_name="",
                format="stl-binary",
                jaw=asset.jaw,
                media_type=formats.media_type_for("stl-binary"),
                region=asset.region,
                patient_key=access.patient_key_current(asset.patient) or asset.patient_key,
                step="queued",
                report={"repair": result, "repaired_from": str(asset.public_id)},
                created_by=author,
            )
            part = pipeline.write_file_blob(
                asset,
                pipeline.derivative_part_name(asset, f"repaired-v{version.number}"),
                repaired_path,
                repaired.patient_key,
            )
            repaired.size = part.length
            repaired.sha256 = part.sha256
            repaired.parts = [part.as_json(0)]
            repaired.save(force_insert=True)
            record(
                AuditAction.RECORD_ITEM_UPDATED,
                organization=asset.organization,
                patient=asset.patient,
                target=asset.item,
                reason="scan repaired",
                data={"version": version.number, "from": str(asset.public_id)},
            )
            transaction.on_commit(lambda: pipeline.start(repaired.pk))
    return {"asset": str(repaired.public_id), "version": version.number}


# --- Sharing with labs ------------------------------------------------------------------------


def _connected_lab(practice: Organization, lab_id: UUID | str) -> Organization:
    from dentalbridge.organizations.selectors import connected_lab

    lab = connected_lab(practice, lab_id)
    if lab is None:
        raise ValidationFailed(
            _("Choose a lab your practice is connected with."),
            fields={"lab": [_("Not a connected lab.")]},
        )
    return lab


def share_create(
    *,
    actor: Principal,
    patient_id: UUID | str,
    item_id: UUID | str,
    lab_id: UUID | str,
    note: str = "",
    expires_at: datetime | None = None,
) -> Share:
    """Share a record item's anonymized files with a connected lab."""
    item = patients_access.record_item_access(actor, patient_id, item_id, Perm.PATIENT_EDIT)
    patient = item.patient
    if actor.organization is None or actor.organization.pk != patient.organization_id:
        raise NotFound()
    if not patient.may_leave_the_practice:
        raise Conflict(
            _("This patient is a minor: record the guardian's consent before sharing."),
            code="guardian_consent_missing",
        )
    lab = _connected_lab(patient.organization, lab_id)
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            fields={"note": [_("At most %(limit)d characters.") % {"limit": 500}]},
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            fields={"expires_at": [_("Choose a moment in the future.")]},
        )
    with transaction.atomic():
        share = Share(
            item=item,
            patient=patient,
            practice=patient.organization,
            lab=lab,
            note=note,
            shared_by=actor.user,
            expires_at=expires_at,
        )
        share.save(force_insert=True)
        record(
            AuditAction.FILES_SHARED,
            principal=actor,
            patient=patient,
            target=item,
            data={"lab": str(lab.public_id), "share": str(share.public_id)},
        )
    return share


def share_revoke(
    *, actor: Principal, patient_id: UUID | str, item_id: UUID | str, share_id: UUID | str
) -> Share:
    item = patients_access.record_item_access(actor, patient_id, item_id, Perm.PATIENT_EDIT)
    if actor.organization is None or actor.organization.pk != item.patient.organization_id:
        raise NotFound()
    share = next(
        (s for s in access.shares_of_item(item) if str(s.public_id) == str(share_id)), None
    )
    if share is None:
        raise NotFound()
    if share.revoked_at is None:
        with transaction.atomic():
            share.revoked_at = timezone.now()
            share.save(update_fields=["revoked_at", "updated_at"])
            record(
                AuditAction.FILES_SHARE_REVOKED,
                principal=actor,
                patient=item.patient,
                target=item,
                data={"lab": str(share.lab.public_id), "share": str(share.public_id)},
            )
    return share


def designer_assign(
    *, actor: Principal, share_id: UUID | str, designer_id: UUID | str, ends_at: datetime | None
) -> DesignerAssignment:
    """The lab manager gives one share to a freelance designer of the lab, until ``ends_at``."""
    from dentalbridge.organizations.models import Membership, Role

    share = access.lab_share_access(actor, share_id, audit=False)
    if not actor.may(Perm.DESIGNER_ASSIGN):
        raise Forbidden()
    membership = (
        Membership.objects.filter(
            organization=actor.organization, user__public_id=designer_id, role=Role.DESIGNER
        )
        .select_related("user")
        .first()
    )
    if membership is None:
        raise ValidationFailed(
            _("Choose a designer of your lab."), fields={"designer": [_("Not a designer here.")]}
        )
    if ends_at is None or ends_at <= timezone.now():
        raise ValidationFailed(
            _("Please correct the highlighted fields."),
            fields={"ends_at": [_("Choose a moment in the future.")]},
        )
    with transaction.atomic():
        assignment = DesignerAssignment(
            share=share, designer=membership.user, assigned_by=actor.user, ends_at=ends_at
        )
        assignment.save(force_insert=True)
        record(
            AuditAction.DESIGNER_ASSIGNED,
            principal=actor,
            patient=share.patient,
            target=share.item,
            data={"designer": str(membership.user.public_id), "until": ends_at.isoformat()},
        )
    return assignment


def designer_unassign(
    *, actor: Principal, share_id: UUID | str, assignment_id: UUID | str
) -> DesignerAssignment:
    assignment = access.lab_assignment_access(actor, share_id, assignment_id)
    if assignment.revoked_at is None:
        with transaction.atomic():
            assignment.revoked_at = timezone.now()
            assignment.save(update_fields=["revoked_at", "updated_at"])
            record(
                AuditAction.DESIGNER_UNASSIGNED,
                principal=actor,
                patient=assignment.share.patient,
                target=assignment.share.item,
                data={"designer": str(assignment.designer.public_id)},
            )
    return assignment
