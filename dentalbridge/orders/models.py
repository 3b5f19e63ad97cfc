"""Manufacturing orders (ORD-1…ORD-8): the prescription a practice sends a lab, the lab's
calendar and catalogue, the implant library, assignments, and the thread on each order.

An ``Order`` belongs to a patient of the practice, so it is patient data: its rows (and those
hanging from it) are read only through the access layer. The lab side sees the ``pseudonym``
copied onto the order, never the patient.
"""

from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dentalbridge.core.models import BaseModel
from dentalbridge.orders.prescription import Arch, Material, RestorationType
from dentalbridge.orders.workflow import OrderState
from dentalbridge.organizations.models import Organization
from dentalbridge.patients.models import Patient, RecordItem
from dentalbridge.privacy.door import GuardedManager

# --- The implant library (ORD-5): shared rows (organization empty) and each lab's additions ---


class ImplantManufacturer(BaseModel):
    name = models.CharField(_("manufacturer"), max_length=80)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"], condition=Q(organization=None), name="implant_maker_shared_unique"
            ),
            models.UniqueConstraint(
                fields=["organization", "name"], name="implant_maker_lab_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ImplantSystem(BaseModel):
    manufacturer = models.ForeignKey(
        ImplantManufacturer, on_delete=models.CASCADE, related_name="systems"
    )
    name = models.CharField(_("system"), max_length=80)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["manufacturer", "name"],
                condition=Q(organization=None),
                name="implant_system_shared_unique",
            ),
            models.UniqueConstraint(
                fields=["manufacturer", "organization", "name"], name="implant_system_lab_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.manufacturer} {self.name}"


class ImplantPlatform(BaseModel):
    system = models.ForeignKey(ImplantSystem, on_delete=models.CASCADE, related_name="platforms")
    name = models.CharField(_("platform"), max_length=80)
    diameter = models.DecimalField(
        _("diameter (mm)"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "name"],
                condition=Q(organization=None),
                name="implant_platform_shared_unique",
            ),
            models.UniqueConstraint(
                fields=["system", "organization", "name"], name="implant_platform_lab_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.system} — {self.name}"


# --- The lab's calendar and catalogue (ORD-7) -----------------------------------------------


class RemakeReason(models.TextChoices):
    FIT = "fit", _("Fit")
    SHADE = "shade", _("Shade")
    FRACTURE = "fracture", _("Fracture")
    DESIGN = "design", _("Design")
    IMPRESSION = "impression", _("Impression or scan")
    OCCLUSION = "occlusion", _("Occlusion / bite")
    PATIENT = "patient", _("Patient's request")
    OTHER = "other", _("Other")


class CostBearer(models.TextChoices):
    LAB = "lab", _("The lab (no charge)")
    PRACTICE = "practice", _("The practice")
    SHARED = "shared", _("Shared (half each)")


# What a lab's policy says when it has not set its own: the lab answers for its own work within
# the warranty; what starts at the chair is the practice's.
DEFAULT_REMAKE_POLICY: dict[str, str] = {
    RemakeReason.FIT: CostBearer.LAB,
    RemakeReason.SHADE: CostBearer.SHARED,
    RemakeReason.FRACTURE: CostBearer.LAB,
    RemakeReason.DESIGN: CostBearer.LAB,
    RemakeReason.IMPRESSION: CostBearer.PRACTICE,
    RemakeReason.OCCLUSION: CostBearer.SHARED,
    RemakeReason.PATIENT: CostBearer.PRACTICE,
    RemakeReason.OTHER: CostBearer.PRACTICE,
}


class LabSettings(BaseModel):
    lab = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="lab_settings")
    weekdays = models.JSONField(_("working days"), default=list)  # 0 = Monday
    holiday_region = models.CharField(
        _("region for public holidays"),
        max_length=10,
        blank=True,
        help_text=_("A subdivision code such as BY or 25; empty: national holidays only."),
    )
    default_lead_days = models.PositiveSmallIntegerField(
        _("default lead time (working days)"), default=5
    )
    daily_capacity = models.PositiveIntegerField(
        _("orders due per day"),
        null=True,
        blank=True,
        help_text=_("Empty: no limit. Used to propose return dates."),
    )
    remake_policy = models.JSONField(default=dict, blank=True)
    remake_warranty_days = models.PositiveSmallIntegerField(
        _("remake warranty (days after delivery)"), default=365
    )
    late_alert_days = models.PositiveSmallIntegerField(
        _("alert this many working days before an order is due"), default=1
    )

    def __str__(self) -> str:
        return f"settings of {self.lab}"


class LabClosure(BaseModel):
    lab = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    first_day = models.DateField(_("from"))
    last_day = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=120, blank=True)

    class Meta:
        ordering = ["first_day"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=models.F("first_day")), name="closure_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.first_day}-{self.last_day}"


class LabProduct(BaseModel):
    """One line of a lab's catalogue: a restoration type in a material, with its lead time."""

    lab = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    restoration_type = models.CharField(
        _("restoration"), max_length=24, choices=RestorationType.choices
    )
    material = models.CharField(_("material"), max_length=24, choices=Material.choices)
    lead_days = models.PositiveSmallIntegerField(_("lead time (working days)"), default=5)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["restoration_type", "material"]
        constraints = [
            models.UniqueConstraint(
                fields=["lab", "restoration_type", "material"], name="lab_product_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_restoration_type_display()} — {self.get_material_display()}"


# --- Orders ------------------------------------------------------------------------------------


class Order(BaseModel):
    reference = models.CharField(max_length=16, unique=True)
    practice = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    lab = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Orders outlive a purged patient for the business relationship (ORD-6): the link goes, the
    # pseudonym the lab knew stays.
    patient = models.ForeignKey(Patient, on_delete=models.SET_NULL, null=True, related_name="+")
    pseudonym = models.CharField(max_length=12)
    state = models.CharField(max_length=24, choices=OrderState.choices, default=OrderState.DRAFT)
    resume_state = models.CharField(max_length=24, choices=OrderState.choices, blank=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    requires_approval = models.BooleanField(_("design approval before manufacturing"), default=True)
    due_date = models.DateField(_("wanted back by"), null=True, blank=True)
    confirmed_due_date = models.DateField(
        _("return date confirmed by the lab"), null=True, blank=True
    )
    preparation_notes = models.TextField(
        _("preparation and margin notes"), max_length=4000, blank=True
    )
    technical_notes = models.TextField(_("technical specifications"), max_length=4000, blank=True)
    status_note = models.CharField(max_length=1000, blank=True)
    remake_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="remakes"
    )
    remake_reason = models.CharField(max_length=16, choices=RemakeReason.choices, blank=True)
    remake_cost_bearer = models.CharField(max_length=16, choices=CostBearer.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    late_alert_sent_for = models.DateField(null=True, blank=True)

    objects = GuardedManager()
    # Not columns: orders.access sets which side reads the order ("practice" or "lab") and
    # whether the reader is assigned to it (and annotates the patient's public id, for the audit
    # log). A lab is never shown this row: it gets an ``OrderForLab`` (lab_view.py).
    side: str
    assigned: bool

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["lab", "state", "confirmed_due_date"], name="order_lab_inbox"),
            models.Index(fields=["practice", "state", "created_at"], name="order_practice_list"),
            # The finished tab: newest changes first, without sorting a lab's whole history.
            models.Index(fields=["lab", "-state_changed_at"], name="order_lab_changed"),
            models.Index(fields=["practice", "-state_changed_at"], name="order_practice_changed"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def promised_date(self) -> date | None:
        return self.confirmed_due_date or self.due_date


class OrderItem(BaseModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=1)
    restoration_type = models.CharField(
        _("restoration"), max_length=24, choices=RestorationType.choices
    )
    teeth = models.JSONField(_("teeth"), default=list, blank=True)
    pontics = models.JSONField(_("pontics"), default=list, blank=True)
    arch = models.CharField(_("jaw"), max_length=8, choices=Arch.choices, blank=True)
    material = models.CharField(_("material"), max_length=24, choices=Material.choices, blank=True)
    shade = models.CharField(_("shade"), max_length=8, blank=True)
    implant_platform = models.ForeignKey(
        ImplantPlatform, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.CharField(_("notes"), max_length=1000, blank=True)

    objects = GuardedManager()

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.order} #{self.position}"


class AttachmentKind(models.TextChoices):
    PRESCRIPTION = "prescription", _("Sent with the prescription")
    DESIGN = "design", _("Design")
    MESSAGE = "message", _("Message attachment")


class OrderAttachment(BaseModel):
    """A record item whose files go with the order; the lab receives them through a share."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="attachments")
    item = models.ForeignKey(RecordItem, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=AttachmentKind.choices)
    share = models.ForeignKey(
        "files.Share", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = GuardedManager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["order", "item"], name="order_attachment_once")
        ]

    def __str__(self) -> str:
        return str(self.public_id)


class AssignmentKind(models.TextChoices):
    TECHNICIAN = "technician", _("Technician")
    DESIGNER = "designer", _("Designer")


class OrderAssignment(BaseModel):
    """A lab member or freelance designer given an order; a designer sees the order, its files
    and its thread only while an assignment runs (DESIGN.md §2)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="assignments")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=AssignmentKind.choices)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = GuardedManager()

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["assignee", "ended_at"], name="assignment_assignee")]

    def __str__(self) -> str:
        return str(self.public_id)

    def is_active_at(self, when: datetime) -> bool:
        return self.ended_at is None and (self.ends_at is None or self.ends_at > when)


class MessageKind(models.TextChoices):
    MESSAGE = "message", _("Message")
    STEP = "step", _("Note on a step")


class OrderMessage(BaseModel):
    """One post in the order's thread (ORD-4, COM-1): a message, or the reason given with a step
    (a declined order, a question, requested changes)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=8, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    transition = models.CharField(max_length=24, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    side = models.CharField(max_length=8)  # "practice" or "lab"
    body = models.TextField(max_length=4000)
    attachment = models.ForeignKey(
        RecordItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = GuardedManager()
    # Not a column: the order page (selectors.order_page) sets the link to the attached file as
    # the reading side may open it, or None.
    file_link: str | None

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return str(self.public_id)


class OrderMessageRead(models.Model):
    """A read receipt: who has seen a message of the thread, and when."""

    message = models.ForeignKey(OrderMessage, on_delete=models.CASCADE, related_name="reads")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(auto_now_add=True)

    objects = GuardedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "reader"], name="one_receipt_per_reader")
        ]

    def __str__(self) -> str:
        return f"{self.reader_id} read {self.message_id}"
