"""Tenants and who acts for them (ACC-2, DESIGN.md §2)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from dentalbridge.core.models import BaseModel
from dentalbridge.core.text import Text
from dentalbridge.privacy.policy import Role


class OrganizationKind(models.TextChoices):
    PRACTICE = "practice", _("Dental practice")
    LAB = "lab", _("Dental laboratory")
    PLATFORM = "platform", _("Platform operator")


ROLES_BY_KIND: dict[str, tuple[str, ...]] = {
    OrganizationKind.PRACTICE: (Role.OWNER, Role.DENTIST, Role.ASSISTANT),
    OrganizationKind.LAB: (Role.MANAGER, Role.TECHNICIAN, Role.DESIGNER),
    OrganizationKind.PLATFORM: (Role.DPO, Role.SUPPORT),
}

# The role a creator of an organization receives.
FOUNDING_ROLE: dict[str, Role] = {
    OrganizationKind.PRACTICE: Role.OWNER,
    OrganizationKind.LAB: Role.MANAGER,
    OrganizationKind.PLATFORM: Role.DPO,
}


class DataRegion(models.TextChoices):
    EU = "eu", _("European Union")
    CH = "ch", _("Switzerland")
    UK = "uk", _("United Kingdom")
    US = "us", _("United States")
    CN = "cn", _("China")


class Salutation(models.TextChoices):
    NONE = "", _("—")
    DR = "dr", _("Dr")
    MR = "mr", _("Mr")
    MS = "ms", _("Ms")
    MX = "mx", _("Mx")


class Organization(BaseModel):
    kind = models.CharField(_("kind"), max_length=16, choices=OrganizationKind.choices)
    name = models.CharField(_("name"), max_length=200)
    # The stubs' overloads take no positional verbose name; typed through them, the plugin would
    # make the value a str (CharField) instead of a Country, so the field stays untyped.
    country = CountryField(_("country"))  # type: ignore[call-overload]
    data_region = models.CharField(
        _("data region"), max_length=8, choices=DataRegion.choices, default=DataRegion.EU
    )
    storage_quota = models.BigIntegerField(
        _("storage quota (bytes)"),
        null=True,
        blank=True,
        help_text=_("Empty: the platform's default (FILES_QUOTA_BYTES)."),
    )
    salutation = models.CharField(
        _("salutation"), max_length=8, choices=Salutation.choices, blank=True
    )
    contact_person = models.CharField(_("contact person"), max_length=150, blank=True)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    fiscal_code = models.CharField(_("fiscal code"), max_length=20, blank=True)
    sdi_code = models.CharField(_("SDI code"), max_length=7, blank=True)
    pec = models.EmailField(_("certified e-mail (PEC)"), blank=True)
    registration_number = models.CharField(
        _("company registration number"), max_length=40, blank=True
    )
    billing_email = models.EmailField(_("billing e-mail"), blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["practice", "lab", "platform"]),
                name="organization_kind_valid",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_practice(self) -> bool:
        return self.kind == OrganizationKind.PRACTICE


class Membership(BaseModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)

    class Meta:
        ordering = ["organization__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.role} @ {self.organization}"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class Invitation(BaseModel):
    """An e-mailed invitation to join an organization; the secret is stored only as a hash."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization} ({self.role})"

    @property
    def status(self) -> InvitationStatus:
        if self.accepted_at:
            return InvitationStatus.ACCEPTED
        if self.revoked_at:
            return InvitationStatus.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    def get_status_display(self) -> Text:
        return InvitationStatus(self.status).label


class ConnectionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the lab")
    ACCEPTED = "accepted", _("Connected")
    DECLINED = "declined", _("Declined")
    ENDED = "ended", _("Ended")


class LabConnection(BaseModel):
    """A practice's link to a lab it works with; the lab accepts it (ACC-2)."""

    practice = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="lab_connections"
    )
    lab = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="practice_connections"
    )
    status = models.CharField(
        max_length=16, choices=ConnectionStatus.choices, default=ConnectionStatus.PENDING
    )
    message = models.CharField(_("message to the lab"), max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "lab"], name="one_connection_per_pair")
        ]

    def __str__(self) -> str:
        return f"{self.practice} ↔ {self.lab} ({self.status})"
