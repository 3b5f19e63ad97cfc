"""The GDPR workflows' tables: the operator's part of the register, consent, data-subject
requests, legal holds, erasures, retention runs, breaches and deletion instructions.

They were created by the privacy app and keep its table names (``privacy_*``): moving them here
changed no table (migrations ``privacy.0010`` and ``gdpr.0001`` move them in Django's state only).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from dentalbridge.core.models import BaseModel
from dentalbridge.privacy.door import GuardedManager


class OperatorDetails(BaseModel):
    """What only the operator of an installation knows about itself, for the privacy notice and
    the Art. 30 record (PRV-10): who runs it, how to reach its data protection officer. One row,
    kept by the platform's DPO."""

    name = models.CharField(_("operator (controller) name"), max_length=200)
    address = models.TextField(_("postal address"), max_length=500)
    email = models.EmailField(_("contact e-mail"))
    # Untyped on purpose, as Organization.country (see there).
    country = CountryField(_("country of establishment"))  # type: ignore[call-overload]
    dpo_name = models.CharField(_("data protection officer"), max_length=200)
    dpo_email = models.EmailField(_("DPO e-mail"))
    dpo_address = models.TextField(_("DPO postal address"), max_length=500, blank=True)

    class Meta:
        db_table = "privacy_operatordetails"

    def __str__(self) -> str:
        return self.name


class Safeguard(models.TextChoices):
    """Where data goes and what makes a transfer lawful (Chapter V GDPR)."""

    EEA = "eea", _("Within the EU/EEA: no transfer")
    ADEQUACY = "adequacy", _("Adequacy decision (Art. 45)")
    SCC = "scc", _("Standard contractual clauses (Art. 46(2)(c))")
    EXPLICIT_CONSENT = "art49", _("Explicit consent of the person (Art. 49(1)(a))")


class SubProcessor(BaseModel):
    """A company the operator engages to process personal data (hosting, storage, e-mail…),
    listed in the notice and the Art. 30 record (PRV-7). Kept by the platform's DPO."""

    name = models.CharField(_("name"), max_length=200)
    service = models.CharField(_("service"), max_length=300)
    # Untyped on purpose, as Organization.country (see there).
    location = CountryField(_("where the data is processed"))  # type: ignore[call-overload]
    safeguard = models.CharField(_("transfer safeguard"), max_length=16, choices=Safeguard.choices)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "privacy_subprocessor"
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class PolicyVersion(models.Model):
    """A published version of the privacy notice (PRV-9). Publishing one tells the people it
    concerns by e-mail; where a consent-based purpose changed (``reconsent_purposes``), consents
    given under an earlier version no longer count until given again."""

    number = models.PositiveIntegerField(unique=True)
    published_at = models.DateTimeField()
    summary = models.TextField(_("what changed"), max_length=4000)
    reconsent_purposes = models.JSONField(default=list, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    announced_at = models.DateTimeField(null=True, blank=True)
    notified = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "privacy_policyversion"
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"v{self.number}"


class ConsentMethod(models.TextChoices):
    FORM = "form", _("Checkbox on a form")
    COOKIE_BANNER = "cookie_banner", _("Cookie banner")
    COOKIE_SETTINGS = "cookie_settings", _("Cookie settings")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
    DATA_REQUEST = "data_request", _("Withdrawal request")


class ConsentRecord(models.Model):
    """One line of the consent ledger (PRV-2): a person (or a browser, by a random id) gave or
    withdrew consent for one purpose, when, how, with which words on the screen, under which
    version of the notice. Lines are only added; the latest line per subject and purpose is the
    state, and every earlier one stays as proof."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    visitor_id = models.CharField(max_length=32, blank=True, db_index=True)
    purpose = models.CharField(max_length=40)
    given = models.BooleanField()
    policy_version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, null=True, related_name="+"
    )
    method = models.CharField(max_length=20, choices=ConsentMethod.choices)
    text_shown = models.TextField(max_length=2000)
    language = models.CharField(max_length=8, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        db_table = "privacy_consentrecord"
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["user", "purpose", "created_at"], name="consent_user")]

    def __str__(self) -> str:
        return f"{self.purpose} {'given' if self.given else 'withdrawn'}"


class RequestKind(models.TextChoices):
    """The rights of Arts. 15-22 and account closing (PRV-3, ACC-6)."""

    ACCESS = "access", _("Access: a copy of my data")
    PORTABILITY = "portability", _("Portability: my data for another provider")
    RECTIFICATION = "rectification", _("Rectification: correct my data")
    ERASURE = "erasure", _("Erasure: delete my data")
    RESTRICTION = "restriction", _("Restriction: only store my data for now")
    OBJECTION = "objection", _("Objection: stop a processing (including profiling)")
    WITHDRAWAL = "withdrawal", _("Withdrawal of consent")
    ACCOUNT_CLOSURE = "account_closure", _("Close my account")


class RequestStatus(models.TextChoices):
    UNVERIFIED = (
        "unverified",
        pgettext_lazy("data request status", "Waiting for e-mail confirmation"),
    )
    OPEN = "open", pgettext_lazy("data request status", "Open")
    DONE = "done", pgettext_lazy("data request status", "Answered")
    REFUSED = "refused", pgettext_lazy("data request status", "Refused")


class DataRequest(BaseModel):
    """A data-subject request with its clock (PRV-3): one month from receipt (30 days), which the
    controller may extend once by 60 days with a reason. ``controller`` is the organization that
    decides — the practice for a patient's record, the platform for accounts; a request about a
    patient that reaches a lab is routed to the practice (``received_via`` keeps where it came in,
    PRV-4)."""

    reference = models.CharField(max_length=16, unique=True)
    kind = models.CharField(max_length=20, choices=RequestKind.choices)
    status = models.CharField(max_length=12, choices=RequestStatus.choices)
    controller = models.ForeignKey(
        "organizations.Organization", on_delete=models.PROTECT, related_name="+"
    )
    received_via = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The patient's random id outlives an erasure: the request stays answerable and provable.
    patient_ref = models.UUIDField(null=True, blank=True, db_index=True)
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    details = models.TextField(max_length=5000, blank=True)
    verification_hash = models.CharField(max_length=64, blank=True, db_index=True)
    verification_expires_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    extension_reason = models.CharField(max_length=1000, blank=True)
    reminders = models.JSONField(default=list, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answer = models.TextField(max_length=10000, blank=True)
    outcome = models.JSONField(default=dict, blank=True)

    objects = GuardedManager()

    class Meta:
        db_table = "privacy_datarequest"
        ordering = ["due_at", "created_at"]
        indexes = [models.Index(fields=["controller", "status", "due_at"], name="dsr_queue")]

    def __str__(self) -> str:
        return self.reference

    @property
    def extended(self) -> bool:
        return bool(self.extension_reason)

    @property
    def overdue(self) -> bool:
        """Past its deadline: still open after it, or answered after it."""
        if self.due_at is None:
            return False
        return (self.answered_at or timezone.now()) > self.due_at


class HoldKind(models.TextChoices):
    LITIGATION = "litigation", _("Litigation or a claim")
    AUTHORITY = "authority", _("An authority's investigation")
    TAX = "tax", _("Tax or accounting audit")
    OTHER = "other", _("Another legal reason")


class LegalHold(BaseModel):
    """A legal hold on a patient's record (PRV-5): while active, neither erasure nor retention
    deletes anything of it. Placed and lifted with a reason, both audited."""

    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, null=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=HoldKind.choices)
    reason = models.CharField(max_length=500)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    lift_reason = models.CharField(max_length=500, blank=True)

    objects = GuardedManager()

    class Meta:
        db_table = "privacy_legalhold"

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason}"


class ErasureRecord(models.Model):
    """What an erasure removed (PRV-3), by random ids only: kept in the database and, line by
    line, in the erasure log outside it (``ERASURE_LOG``), so that erasures are replayed after a
    backup taken before them is restored."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    executed_at = models.DateTimeField(default=timezone.now)
    organization_id = models.UUIDField()
    patient_ref = models.UUIDField(null=True, blank=True, db_index=True)
    user_ref = models.UUIDField(null=True, blank=True, db_index=True)
    receipt = models.JSONField(default=dict)

    class Meta:
        db_table = "privacy_erasurerecord"
        ordering = ["executed_at"]

    def __str__(self) -> str:
        return f"erasure {self.patient_ref or self.user_ref}"


class RetentionRun(models.Model):
    """One pass of the retention engine (PRV-5): per rule, what was found expired and deleted.
    A dry run counts only."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    dry_run = models.BooleanField(default=False)
    report = models.JSONField(default=list)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        db_table = "privacy_retentionrun"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"retention {self.started_at:%Y-%m-%d %H:%M}{' (dry run)' if self.dry_run else ''}"


class Breach(BaseModel):
    """A personal-data breach (PRV-8, Art. 33-34): what happened, since when, whose data, the
    likely consequences and the measures; a 72-hour clock from detection to the notification of
    the supervisory authority; and the notice to the people affected (COM-5)."""

    reference = models.CharField(max_length=16, unique=True)
    title = models.CharField(_("what happened, in a line"), max_length=200)
    description = models.TextField(_("what happened"), max_length=10000)
    detected_at = models.DateTimeField(_("detected at"))
    occurred_at = models.DateTimeField(_("started at (if known)"), null=True, blank=True)
    categories = models.JSONField(default=list)
    subjects_count = models.PositiveIntegerField(_("people affected (approximately)"))
    consequences = models.TextField(_("likely consequences"), max_length=5000)
    measures = models.TextField(_("measures taken or proposed"), max_length=5000)
    high_risk = models.BooleanField(
        _("likely a high risk to the people affected (they must be told, Art. 34)"), default=False
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    authority_notified_at = models.DateTimeField(null=True, blank=True)
    authority_reference = models.CharField(max_length=100, blank=True)
    late_reason = models.CharField(max_length=1000, blank=True)
    people_notified_at = models.DateTimeField(null=True, blank=True)
    people_notified = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "privacy_breach"
        ordering = ["-detected_at"]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def authority_due_at(self):
        from datetime import timedelta

        return self.detected_at + timedelta(hours=72)

    @property
    def authority_overdue(self) -> bool:
        return self.authority_notified_at is None and timezone.now() > self.authority_due_at


class DeletionInstruction(BaseModel):
    """A practice's instruction to a lab, its processor, to delete a case's data from the lab's
    own systems (PRV-4): what the lab may have downloaded, outside the platform. Created by an
    erasure; the lab confirms within ``due_at`` (30 days); the practice sees it done. Names the
    case by pseudonym and order references only."""

    practice = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    lab = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+"
    )
    pseudonym = models.CharField(max_length=12)
    order_references = models.JSONField(default=list)
    request_reference = models.CharField(max_length=16, blank=True)
    due_at = models.DateTimeField(db_index=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    reminders = models.JSONField(default=list, blank=True)

    class Meta:
        db_table = "privacy_deletioninstruction"
        ordering = ["due_at"]

    def __str__(self) -> str:
        return f"{self.lab} {self.pseudonym}"

    @property
    def overdue(self) -> bool:
        return self.done_at is None and timezone.now() > self.due_at
