"""Stored files of the record (FIL-1…FIL-7): uploads in progress, assets, and the keys that
encrypt them.

An ``Asset`` is one stored file: an original as the practice uploaded it, or a derivative made
from one (the anonymized copy everyone outside the practice receives, a repaired scan, a web
preview, a thumbnail). Its bytes live in the storage of the tenant's data region as one or more
*parts*, each an `age <https://age-encryption.org>`_ file encrypted to the patient's key, so
destroying that key makes every copy unreadable (crypto-shredding).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dentalbridge.core.models import BaseModel
from dentalbridge.organizations.models import Organization
from dentalbridge.patients.models import CareTeamGrant, Patient, RecordItem, RecordItemVersion
from dentalbridge.privacy.door import GuardedManager


class TenantKey(BaseModel):
    """An organization's key-encryption key, itself wrapped by a master key (never stored
    in the clear). The newest active one wraps new patient keys; rotation adds a new one."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    key_id = models.CharField(max_length=32, unique=True)
    wrapped = models.TextField()
    master_key_id = models.CharField(max_length=32)
    retired_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key_id


class PatientKey(BaseModel):
    """A patient's data key: an age X25519 identity wrapped by the tenant key. Files are
    encrypted to its public ``recipient``; deleting the row shreds every file of the patient."""

    # Kept after the patient is purged while the legal archive keeps the files; deleted (which
    # shreds them) when the archive period ends.
    patient = models.ForeignKey(Patient, on_delete=models.SET_NULL, null=True, related_name="+")
    archived_patient_id = models.UUIDField(null=True, blank=True, db_index=True)
    key_id = models.CharField(max_length=32, unique=True)
    recipient = models.CharField(max_length=100)
    wrapped_identity = models.TextField()
    tenant_key = models.ForeignKey(TenantKey, on_delete=models.PROTECT, related_name="+")
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = GuardedManager()

    def __str__(self) -> str:
        return self.key_id


class AssetRole(models.TextChoices):
    ORIGINAL = "original", _("Original")
    SHARED = "shared", _("Anonymized copy")
    REPAIRED = "repaired", _("Repaired scan")
    PREVIEW = "preview", _("Web preview")
    THUMBNAIL = "thumbnail", _("Thumbnail")


class Jaw(models.TextChoices):
    NONE = "", _("—")
    UPPER = "upper", _("Upper jaw")
    LOWER = "lower", _("Lower jaw")
    BITE = "bite", _("Bite")


class AssetStatus(models.TextChoices):
    PROCESSING = "processing", _("Processing")
    READY = "ready", _("Ready")
    HELD = "held", _("Waiting for the practice to confirm")
    # An original the upload protocol acknowledged but a later check refused or could not finish:
    # kept, with the reason in ``error_message``; see ``report["unchecked"]`` (pipeline).
    UNCHECKED = "unchecked", _("Stored — not checked")
    REFUSED = "refused", _("Refused")
    FAILED = "failed", _("Failed")


class Asset(BaseModel):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(RecordItem, on_delete=models.CASCADE, related_name="assets")
    version = models.ForeignKey(
        RecordItemVersion, on_delete=models.CASCADE, null=True, related_name="assets"
    )
    role = models.CharField(max_length=16, choices=AssetRole.choices)
    source = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="derivatives"
    )
    # What people outside the practice see; generated, never derived from the uploaded name.
    filename = models.CharField(max_length=120)
    # As uploaded: may name the patient, so only the practice sees it.
    original_name = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=16, blank=True)
    jaw = models.CharField(max_length=8, choices=Jaw.choices, blank=True)
    media_type = models.CharField(max_length=100, default="application/octet-stream")
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    parts = models.JSONField(default=list)
    region = models.CharField(max_length=8)
    patient_key = models.ForeignKey(PatientKey, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=16, choices=AssetStatus.choices, default=AssetStatus.PROCESSING
    )
    step = models.CharField(max_length=32, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    # The intake run working on the file holds it until ``lease_until`` and renews it as it goes
    # (files.pipeline); an expired lease means its worker died, and the file is taken over.
    lease_until = models.DateTimeField(null=True, blank=True)
    leased_by = models.CharField(max_length=64, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    report = models.JSONField(default=dict, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = GuardedManager()
    # Not a column: files.access sets the care-team grant the asset was reached through (None
    # inside the practice, or for system use).
    grant: CareTeamGrant | None

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["organization", "role"])]

    def __str__(self) -> str:
        return self.filename


class UploadStatus(models.TextChoices):
    RECEIVING = "receiving", _("Receiving")
    COMPLETE = "complete", _("Complete")
    CANCELLED = "cancelled", _("Cancelled")


class Upload(BaseModel):
    """A resumable upload in progress (tus 1.0). Parts arrive encrypted; when the last byte is
    in, the parts become the original ``Asset`` and the intake pipeline takes over."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(RecordItem, on_delete=models.CASCADE, null=True, related_name="+")
    kind = models.CharField(max_length=16, blank=True)
    jaw = models.CharField(max_length=8, choices=Jaw.choices, blank=True)
    title = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    filename = models.CharField(max_length=255)
    length = models.BigIntegerField()
    offset = models.BigIntegerField(default=0)
    format = models.CharField(max_length=16, blank=True)
    sha256_expected = models.CharField(max_length=64, blank=True)
    parts = models.JSONField(default=list)
    region = models.CharField(max_length=8)
    patient_key = models.ForeignKey(PatientKey, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=16, choices=UploadStatus.choices, default=UploadStatus.RECEIVING
    )
    expires_at = models.DateTimeField(db_index=True)
    asset = models.ForeignKey(Asset, on_delete=models.SET_NULL, null=True, related_name="+")
    # A lab uploading a design for an order (ORD-3): it stores into the practice's record (the
    # controller's, counted in its quota) and the upload belongs to the lab's uploader.
    acting_organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    order_id = models.UUIDField(null=True, blank=True)

    objects = GuardedManager()

    def __str__(self) -> str:
        return str(self.public_id)


class Share(BaseModel):
    """A record item's files shared by the practice with a connected lab (FIL-3, DTR). The lab
    sees the patient's pseudonym, the practice's note and the anonymized copies — never the
    originals, the patient's identity or the item's title. Revoked or expired, it is gone."""

    item = models.ForeignKey(RecordItem, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    practice = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    lab = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(_("note for the lab"), max_length=500, blank=True)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField(_("until"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = GuardedManager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(self.public_id)

    def is_active_at(self, when) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > when)


class DesignerAssignment(BaseModel):
    """A freelance designer of the lab, given one share until ``ends_at`` by the lab manager."""

    share = models.ForeignKey(Share, on_delete=models.CASCADE, related_name="assignments")
    designer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    ends_at = models.DateTimeField(_("until"))
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = GuardedManager()

    def __str__(self) -> str:
        return str(self.public_id)

    def is_active_at(self, when) -> bool:
        return self.revoked_at is None and self.ends_at > when
