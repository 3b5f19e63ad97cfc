"""Patients (REC-1): owned by a practice, the GDPR controller. Identity lives only here; labs will
see the pseudonym (REC-7)."""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dentalbridge.core.models import BaseModel
from dentalbridge.privacy.door import GuardedManager

# Below this age a guardian must consent before the record leaves the practice (STS: minors).
AGE_OF_DIGITAL_CONSENT = 16


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    INTERSEX = "intersex", _("Intersex")
    UNKNOWN = "unknown", _("Not stated")


class Patient(BaseModel):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="patients"
    )
    pseudonym = models.CharField(_("pseudonym"), max_length=12)
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    date_of_birth = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=16, choices=Sex.choices, default=Sex.UNKNOWN)
    gender = models.CharField(_("gender identity"), max_length=50, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    attending_dentist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("attending dentist"),
    )
    external_reference = models.CharField(_("practice reference"), max_length=64, blank=True)
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    guardian_name = models.CharField(_("guardian's name"), max_length=150, blank=True)
    guardian_contact = models.CharField(_("guardian's phone or e-mail"), max_length=254, blank=True)
    guardian_consent_at = models.DateTimeField(
        _("guardian consent recorded"), null=True, blank=True
    )
    guardian_consent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Restriction of processing (Art. 18, PRV-3): while set, the access layer lets nothing but
    # storage, the patient's own portal and legal claims touch the record.
    restricted_at = models.DateTimeField(null=True, blank=True)
    restriction_reason = models.CharField(max_length=500, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = GuardedManager()

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "pseudonym"], name="pseudonym_unique_in_practice"
            )
        ]
        indexes = [models.Index(fields=["organization", "family_name"], name="patient_org_name")]

    def __str__(self) -> str:
        return self.pseudonym

    def age_on(self, day: date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())

    @property
    def is_minor(self) -> bool:
        return self.age < AGE_OF_DIGITAL_CONSENT

    @property
    def may_leave_the_practice(self) -> bool:
        """A minor's record is shared outside the practice only with recorded guardian consent."""
        return not self.is_minor or self.guardian_consent_at is not None


class CareTeamGrant(BaseModel):
    """Access to one patient, given to a physician (of this or another practice) by the attending
    dentist, or by a grantee whose grant allows it (REC-3). A grant works only while it and every
    grant it descends from are neither revoked nor expired."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_grants")
    grantee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_grants"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    reason = models.CharField(_("reason"), max_length=300)
    may_grant_others = models.BooleanField(_("may add others"), default=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = GuardedManager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"grant {self.public_id}"

    def is_active_at(self, moment) -> bool:
        grant: CareTeamGrant | None = self
        while grant is not None:
            if grant.revoked_at is not None:
                return False
            if grant.expires_at is not None and grant.expires_at <= moment:
                return False
            grant = grant.parent
        return True

    @property
    def is_active(self) -> bool:
        return self.is_active_at(timezone.now())


class RecordItemKind(models.TextChoices):
    NOTE = "note", _("Note")
    DOCUMENT = "document", _("Document")
    SCAN = "scan", _("Intraoral scan")
    CBCT = "cbct", _("CBCT study")
    PHOTO = "photo", _("Photo")
    RADIOGRAPH = "radiograph", _("Radiograph")
    VIDEO = "video", _("Video")
    DESIGN = "design", _("Design from the lab")


class RecordItem(BaseModel):
    """One piece of a patient's record (REC-2). Its content lives in versions: editing adds a
    version and keeps every earlier one viewable (REC-6). Files attach with the files pipeline."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="record_items")
    kind = models.CharField(_("kind"), max_length=16, choices=RecordItemKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = GuardedManager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id}"

    @property
    def current_version(self) -> "RecordItemVersion":
        """The latest version, from the versions the access layer prefetched."""
        return list(self.versions.all())[-1]


class RecordItemVersion(models.Model):
    """An immutable state of a record item; the highest number is the current one."""

    item = models.ForeignKey(RecordItem, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), max_length=20_000, blank=True)
    taken_on = models.DateField(_("date"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GuardedManager()

    class Meta:
        ordering = ["item", "number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="one_version_number_per_item")
        ]

    def __str__(self) -> str:
        return f"v{self.number}"


class PatientAccount(BaseModel):
    """A user who is this patient, and may see their own record in the portal (REC-4)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="accounts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="patient_accounts"
    )

    objects = GuardedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "user"], name="one_account_link_per_patient")
        ]

    def __str__(self) -> str:
        return f"portal account {self.public_id}"


class PatientInvitation(BaseModel):
    """The practice's e-mailed invitation to the portal; the secret is stored only as a hash."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    objects = GuardedManager()

    def __str__(self) -> str:
        return f"portal invitation {self.public_id}"


class PatientArchive(BaseModel):
    """What remains of a purged record: the copy the law requires the practice to keep for the
    archive period of its country (REC-5). Readable only by the practice owner, for a stated
    legal purpose; removed when the period ends."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="patient_archives"
    )
    patient_id = models.UUIDField(db_index=True)
    pseudonym = models.CharField(max_length=12)
    content = models.JSONField()
    deleted_at = models.DateTimeField()
    keep_until = models.DateField(db_index=True)

    objects = GuardedManager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"archive of {self.pseudonym}"
