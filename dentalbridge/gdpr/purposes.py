"""The processing register (PRV-1, PRV-7, PRV-10): why the platform processes personal data.

This module is the one declaration. The privacy notice (Arts. 13-14), the record of processing
activities (Art. 30), the cookie policy and the retention periods the purge jobs use are all
generated from it, so they cannot disagree. It is versioned with the code; what only the operator
knows — who runs the installation, its DPO, its hosting and mail providers — is entered by the
platform's DPO (``privacy.models.OperatorDetails`` and ``SubProcessor``) and joined in at render
time. Retention periods can be overridden per category and country by the operator
(``RETENTION_OVERRIDES``), because counsel, not code, has the last word on them.

Every field of every model that holds personal data is listed under a data category
(``DataCategory.fields``); ``uncovered_fields`` finds the ones that are not, and a test fails on
them, so the map cannot silently fall behind the code. A foreign key holds no personal value of
its own (the row it points to does), so relations are not listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class Basis:
    """Legal bases: Art. 6(1) for all personal data, Art. 9(2) in addition for health data."""

    CONSENT = "6(1)(a)"
    CONTRACT = "6(1)(b)"
    LEGAL_OBLIGATION = "6(1)(c)"
    LEGITIMATE_INTEREST = "6(1)(f)"
    HEALTH_EXPLICIT_CONSENT = "9(2)(a)"
    HEALTH_CARE = "9(2)(h)"
    LEGAL_CLAIMS = "9(2)(f)"

    LABELS = {
        CONSENT: _("Consent (Art. 6(1)(a) GDPR)"),
        CONTRACT: _("Performance of a contract (Art. 6(1)(b) GDPR)"),
        LEGAL_OBLIGATION: _("Legal obligation (Art. 6(1)(c) GDPR)"),
        LEGITIMATE_INTEREST: _("Legitimate interests (Art. 6(1)(f) GDPR)"),
        HEALTH_EXPLICIT_CONSENT: _("Explicit consent for health data (Art. 9(2)(a) GDPR)"),
        HEALTH_CARE: _(
            "Provision of health care under the responsibility of a health professional bound "
            "by secrecy (Art. 9(2)(h) and 9(3) GDPR)"
        ),
        LEGAL_CLAIMS: _("Establishment, exercise or defence of legal claims (Art. 9(2)(f) GDPR)"),
    }


@dataclass(frozen=True)
class Period:
    """A length of time a retention rule keeps data: years and/or days."""

    years: int = 0
    days: int = 0

    def after(self, day: date) -> date:
        """The day this period ends when it starts on ``day``."""
        try:
            moved = day.replace(year=day.year + self.years)
        except ValueError:  # 29 February in a year without one
            moved = day.replace(year=day.year + self.years, day=28)
        return moved + timedelta(days=self.days)

    def before(self, day: date) -> date:
        """The start day a period must have had to end on ``day`` (cut-off for the purge)."""
        try:
            moved = day.replace(year=day.year - self.years)
        except ValueError:
            moved = day.replace(year=day.year - self.years, day=28)
        return moved - timedelta(days=self.days)

    def __str__(self) -> str:
        parts = []
        if self.years:
            parts.append(ngettext("%(n)d year", "%(n)d years", self.years) % {"n": self.years})
        if self.days:
            parts.append(ngettext("%(n)d day", "%(n)d days", self.days) % {"n": self.days})
        return " + ".join(parts) or str(_("none"))

    @classmethod
    def parse(cls, text: str) -> Period:
        """``"10y"``, ``"30d"``, ``"1y30d"`` — how operators write periods in the environment."""
        text = text.strip().lower()
        years = days = 0
        number = ""
        for char in text:
            if char.isdigit() and char.isascii():
                number += char
            elif char in "yd" and number:
                if char == "y":
                    years = int(number)
                else:
                    days = int(number)
                number = ""
            else:
                raise ValueError(f"not a period: {text!r} (write e.g. 10y, 30d or 1y30d)")
        if number or not (years or days):
            raise ValueError(f"not a period: {text!r} (write e.g. 10y, 30d or 1y30d)")
        return cls(years=years, days=days)


@dataclass(frozen=True)
class Retention:
    """How long data of one category is kept, by jurisdiction, counted from ``starts``.

    ``by_country`` holds ISO 3166 alpha-2 codes; ``default`` applies elsewhere. ``reason`` says
    why the period is what it is (the law or the need) in words the notice can show.
    """

    key: str
    default: Period
    starts: object  # lazy text: the event the period counts from
    reason: object  # lazy text
    by_country: dict[str, Period] = field(default_factory=dict)


@dataclass(frozen=True)
class DataCategory:
    key: str
    name: object
    description: object
    subjects: tuple[str, ...]
    retention: str  # a key of RETENTION
    health: bool = False  # a special category (Art. 9)
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Recipient:
    """Who receives data for a purpose, in which role, where (transfers outside the EEA need a
    safeguard)."""

    name: object
    role: object
    location: object = _("Where the operator hosts the platform (see sub-processors)")


@dataclass(frozen=True)
class Purpose:
    key: str
    name: object
    description: object
    basis: str
    categories: tuple[str, ...]
    subjects: tuple[str, ...]
    source: object
    health_basis: str = ""
    recipients: tuple[Recipient, ...] = ()
    # Who decides why and how: the operator of the installation, or the practice (the platform
    # and the labs are then its processors, Art. 28).
    controller: str = "operator"
    consent_required: bool = False  # processing checks the consent ledger at run time
    automated_decisions: bool = False
    # A purpose that exists only when the operator switches it on (e.g. an analytics script):
    # the name of the setting; the notice leaves the purpose out while it is empty.
    requires_setting: str = ""

    def active(self) -> bool:
        if not self.requires_setting:
            return True
        head, _, key = self.requires_setting.partition(".")
        value = getattr(settings, head, None)
        return bool(value.get(key) if key and isinstance(value, dict) else value)


SUBJECTS = {
    "patient": _("Patients of the practices"),
    "guardian": _("Parents and guardians of patients"),
    "staff": _("Staff of practices and laboratories (dentists, assistants, technicians)"),
    "designer": _("Freelance dental designers"),
    "contact": _("Contact persons of practices and laboratories"),
    "requester": _("People who send a data-protection request without an account"),
    "visitor": _("Visitors of the website"),
}

SOURCES = {
    "practice": _("The practice that treats the patient (entered or uploaded by its team)"),
    "self": _("The person themselves (sign-up, profile, requests)"),
    "platform": _("Generated by the platform while it is used (logs, notifications)"),
}

PRACTICE_AS_CONTROLLER = _(
    "For patient records the practice is the controller; the operator of this platform and the "
    "laboratories a practice orders from process them on its behalf (Art. 28 GDPR)."
)


# --- Data categories --------------------------------------------------------------------------
# Each data category's retention rule, by key (DataCategory.retention).
RETENTION: dict[str, Retention] = {
    rule.key: rule
    for rule in (
        # Medical archive periods: defaults to be confirmed by the operator's counsel for each
        # jurisdiction it serves (RETENTION_OVERRIDES). NL: WGBO art. 7:454 BW, 20 years; IT and RO:
        # 10 years for outpatient dental records is common practice.
        Retention(
            key="medical_archive",
            default=Period(years=10),
            by_country={"NL": Period(years=20), "IT": Period(years=10), "RO": Period(years=10)},
            starts=_("the end of the restore period after the practice deleted the record"),
            reason=_("Medical record-keeping law of the practice's country"),
        ),
        Retention(
            key="orders",
            default=Period(years=10),
            starts=_("the order's last change (closed, cancelled or declined)"),
            reason=_("Business records: the relationship plus 10 years (ORD-6)"),
        ),
        Retention(
            key="closed_accounts",
            default=Period(years=2),
            starts=_("the closing of the account (invisible to others within 10 days)"),
            reason=_("Closing an account purges it within 2 years, except what law keeps (ACC-6)"),
        ),
        Retention(
            key="credentials",
            default=Period(days=0),
            starts=_("the moment they are replaced, revoked or expire"),
            reason=_("Only needed while valid"),
        ),
        Retention(
            key="business_records",
            default=Period(years=10),
            by_country={"NL": Period(years=7), "IT": Period(years=10), "RO": Period(years=10)},
            starts=_("the end of the business relationship"),
            reason=_("Tax and accounting law of the organization's country"),
        ),
        Retention(
            key="communications",
            default=Period(days=90),
            starts=_("sending (e-mails) or reading (notifications)"),
            reason=_("Needed only to deliver and to answer questions about delivery"),
        ),
        Retention(
            key="security_log",
            default=Period(years=10),
            starts=_("the event"),
            reason=_(
                "Accountability for access to health records (Art. 5(2), 32 GDPR); the log is "
                "tamper-evident and contains no names"
            ),
        ),
        Retention(
            key="work_queue",
            default=Period(days=30),
            starts=_("the end of the task"),
            reason=_("Needed only to run and retry the work"),
        ),
        Retention(
            key="consent_proof",
            default=Period(years=3),
            starts=_("the withdrawal of the consent or the closing of the account"),
            reason=_(
                "Proof that consent was given (Art. 7(1) GDPR), as long as a claim is possible"
            ),
        ),
        Retention(
            key="request_records",
            default=Period(years=3),
            starts=_("the answer to the request"),
            reason=_(
                "Proof that the request was answered lawfully and in time (Art. 5(2), 12 GDPR)"
            ),
        ),
        Retention(
            key="browsing",
            default=Period(days=395),
            starts=_("the visit"),
            reason=_(
                "Kept by the analytics or marketing service at most 13 months, as regulators advise"
            ),
        ),
    )
}

# Each category's fields are declared by the app that stores them (<app>/register.py), and
# collected into CATEGORIES when the GDPR app is ready (collect_app_declarations); the fields
# below are those of the GDPR app itself and of the libraries it runs on.
CATEGORIES: tuple[DataCategory, ...] = (
    DataCategory(
        key="patient_identity",
        name=_("Patient identity and contact details"),
        description=_(
            "Name, date of birth, sex and gender, e-mail, phone, address, the practice's own "
            "reference, and a guardian's name, contact and consent for minors."
        ),
        subjects=("patient", "guardian"),
        retention="medical_archive",
    ),
    DataCategory(
        key="health_record",
        name=_("Dental health record"),
        description=_(
            "Clinical notes, intraoral scans, CBCT studies, photos, radiographs and documents, "
            "with their versions; prescriptions and manufacturing orders for restorations; "
            "messages about a case; the care team with access to a record."
        ),
        subjects=("patient",),
        health=True,
        retention="medical_archive",
        fields={
            "gdpr.LegalHold": ("kind", "reason", "lifted_at", "lift_reason"),
        },
    ),
    DataCategory(
        key="pseudonym",
        name=_("Case pseudonym"),
        description=_(
            "The code a laboratory and a designer see instead of the patient (for example "
            "P-7KX2-41). It identifies nobody without the practice's record."
        ),
        subjects=("patient",),
        health=True,
        retention="medical_archive",
    ),
    DataCategory(
        key="orders",
        name=_("Orders between practices and laboratories"),
        description=_(
            "Order references, states and dates, remakes and who bears their cost, assignments "
            "of technicians and designers, read receipts."
        ),
        subjects=("staff", "designer"),
        retention="orders",
    ),
    DataCategory(
        key="account",
        name=_("Account and profile"),
        description=_(
            "E-mail addresses, name, phone, language, profile photo and professional details, "
            "memberships and roles, sign-in dates, second factors and linked sign-in providers."
        ),
        subjects=("staff", "designer", "patient"),
        retention="closed_accounts",
        fields={
            "account.EmailAddress": ("email", "verified", "primary"),
            "mfa.Authenticator": ("type", "data", "created_at", "last_used_at"),
            "socialaccount.SocialAccount": (
                "provider",
                "uid",
                "last_login",
                "date_joined",
                "extra_data",
            ),
            "socialaccount.SocialToken": ("token", "token_secret", "expires_at"),
        },
    ),
    DataCategory(
        key="credentials",
        name=_("Credentials"),
        description=_(
            "Password hashes, API token hashes and one-time links; never the secrets themselves."
        ),
        subjects=("staff", "designer", "patient"),
        retention="credentials",
        fields={
            "account.EmailConfirmation": ("key", "sent", "created"),
        },
    ),
    DataCategory(
        key="business_contact",
        name=_("Business contact details of practices and laboratories"),
        description=_(
            "Contact person, salutation, address, tax and registration numbers, certified e-mail "
            "(PEC) and billing e-mail — personal data where the practice is a sole trader."
        ),
        subjects=("contact",),
        retention="business_records",
        fields={
            "gdpr.OperatorDetails": (
                "name",
                "address",
                "email",
                "country",
                "dpo_name",
                "dpo_email",
                "dpo_address",
            ),
        },
    ),
    DataCategory(
        key="communications",
        name=_("Notifications and e-mails"),
        description=_(
            "Notifications in the platform, e-mails sent (recipient, subject, text) and "
            "delivery errors, and the notification choices of each person."
        ),
        subjects=("staff", "designer", "patient"),
        retention="communications",
    ),
    DataCategory(
        key="security_log",
        name=_("Audit and security log"),
        description=_(
            "Who read or changed what, when, for which organization, from which address and "
            "browser; sign-in sessions. Patients appear only as a random identifier."
        ),
        subjects=("staff", "designer", "patient"),
        retention="security_log",
        fields={
            "usersessions.UserSession": (
                "created_at",
                "ip",
                "last_seen_at",
                "session_key",
                "user_agent",
                "data",
            ),
            "sessions.Session": ("session_key", "session_data", "expire_date"),
            "admin.LogEntry": ("action_time", "object_id", "object_repr", "change_message"),
        },
    ),
    DataCategory(
        key="consents",
        name=_("Consents"),
        description=_(
            "Which consents a person gave or withdrew, when, how, with which words on the "
            "screen, under which version of this notice, from which address and browser."
        ),
        subjects=("staff", "designer", "patient", "visitor"),
        retention="consent_proof",
        fields={
            "gdpr.ConsentRecord": (
                "created_at",
                "visitor_id",
                "purpose",
                "given",
                "method",
                "text_shown",
                "language",
                "ip",
                "user_agent",
            ),
        },
    ),
    DataCategory(
        key="data_requests",
        name=_("Data-protection requests"),
        description=_(
            "Requests about one's data: who asked, how to reach them, what they asked, the "
            "deadline, the answer, and what was erased or kept."
        ),
        subjects=("patient", "staff", "designer", "requester"),
        retention="request_records",
        fields={
            "gdpr.DataRequest": (
                "reference",
                "kind",
                "status",
                "patient_ref",
                "name",
                "email",
                "details",
                "verification_hash",
                "verification_expires_at",
                "received_at",
                "due_at",
                "extension_reason",
                "reminders",
                "answered_at",
                "answer",
                "outcome",
            ),
            "gdpr.DeletionInstruction": (
                "pseudonym",
                "order_references",
                "request_reference",
                "due_at",
                "done_at",
                "note",
                "reminders",
            ),
            "gdpr.ErasureRecord": (
                "executed_at",
                "organization_id",
                "patient_ref",
                "user_ref",
                "receipt",
            ),
        },
    ),
    DataCategory(
        key="browsing",
        name=_("Visits and device data"),
        description=_(
            "Pages visited, browser and device, collected by the analytics or marketing service "
            "the operator chose — only after you agreed, never on this platform's own servers."
        ),
        subjects=("visitor", "staff", "patient"),
        retention="browsing",
    ),
    DataCategory(
        key="work_queue",
        name=_("Background work"),
        description=_(
            "Identifiers of the rows a background task works on (for example which e-mail to "
            "send), its result and errors."
        ),
        subjects=("staff", "patient"),
        retention="work_queue",
        fields={
            "django_tasks_database.DBTaskResult": (
                "args_kwargs",
                "return_value",
                "traceback",
                "enqueued_at",
                "started_at",
                "finished_at",
            ),
        },
    ),
)

# Fields that hold no personal data, by model ("*" for the whole model) — each with its reason;
# the apps' own are in their register.py, collected here when the GDPR app is ready.
NOT_PERSONAL: dict[str, tuple[tuple[str, ...] | str, str]] = {
    "gdpr.SubProcessor": ("*", "companies the operator engages"),
    "gdpr.PolicyVersion": ("*", "versions of the notice"),
    "gdpr.RetentionRun": ("*", "counts of rows deleted per rule"),
    "gdpr.Breach": ("*", "an incident's description and counts; names nobody"),
    "auth.Permission": ("*", "Django's permission names"),
    "auth.Group": ("*", "Django's group names"),
    "contenttypes.ContentType": ("*", "model names"),
    "admin.LogEntry": (("action_flag",), "kind of change"),
    "socialaccount.SocialApp": ("*", "sign-in provider configuration"),
    "core.WorkerBeat": (
        "*",
        "which task worker runs where (host name, process id), and since when",
    ),
    "django_tasks_database.DBTaskResult": (
        (
            "status",
            "priority",
            "task_path",
            "worker_ids",
            "queue_name",
            "backend_name",
            "run_after",
            "exception_class_path",
        ),
        "queue bookkeeping",
    ),
}
# Present on every model of ours: identifiers and timestamps of the row itself.
TECHNICAL_FIELDS = frozenset({"id", "public_id", "created_at", "updated_at"})


# --- Sub-processors the code brings (the operator adds its own hosting, storage, mail) --------
LAB_RECIPIENT = Recipient(
    name=_("The dental laboratories a practice orders from"),
    role=_("Processor of the practice (Art. 28): sees the case under a pseudonym, never the name"),
    location=_("The laboratory's country, within the EU/EEA"),
)
DESIGNER_RECIPIENT = Recipient(
    name=_("Freelance designers a laboratory assigns"),
    role=_("Sub-processor of the laboratory, only while assigned to an order"),
    location=_("The designer's country, within the EU/EEA"),
)
CARE_TEAM_RECIPIENT = Recipient(
    name=_("Other physicians the attending dentist shares a record with"),
    role=_("Controllers for their part of the care, with a stated reason and an end date"),
    location=_("Within the EU/EEA"),
)
OPERATOR_RECIPIENT = Recipient(
    name=_("The operator of this platform and its hosting providers"),
    role=_("Processor of the practice (Art. 28); see the list of sub-processors"),
)

ANALYTICS_RECIPIENT = Recipient(
    name=_("The analytics or marketing service the operator configured"),
    role=_("Processor of the operator; see the list of sub-processors"),
)


PURPOSES: tuple[Purpose, ...] = (
    Purpose(
        key="dental_care",
        name=_("Keeping the dental record"),
        description=_(
            "The practice keeps its patients' records — notes, scans, CBCT, photos, radiographs, "
            "documents — to treat them, and lets patients see and download their own record."
        ),
        basis=Basis.LEGAL_OBLIGATION,
        health_basis=Basis.HEALTH_CARE,
        categories=("patient_identity", "health_record", "pseudonym"),
        subjects=("patient", "guardian"),
        source=SOURCES["practice"],
        recipients=(OPERATOR_RECIPIENT, CARE_TEAM_RECIPIENT),
        controller="practice",
    ),
    Purpose(
        key="manufacturing",
        name=_("Ordering and making restorations"),
        description=_(
            "A practice sends an order with the files a laboratory needs; the laboratory (and a "
            "designer it assigns) designs, makes and ships the restoration under a pseudonym."
        ),
        basis=Basis.CONTRACT,
        health_basis=Basis.HEALTH_CARE,
        categories=("health_record", "pseudonym", "orders"),
        subjects=("patient", "staff", "designer"),
        source=SOURCES["practice"],
        recipients=(OPERATOR_RECIPIENT, LAB_RECIPIENT, DESIGNER_RECIPIENT),
        controller="practice",
    ),
    Purpose(
        key="accounts",
        name=_("Providing accounts and the service"),
        description=_(
            "Signing people in, their organizations and roles, invitations, business details "
            "of practices and laboratories, and the connections between them."
        ),
        basis=Basis.CONTRACT,
        categories=("account", "credentials", "business_contact"),
        subjects=("staff", "designer", "patient", "contact"),
        source=SOURCES["self"],
        recipients=(OPERATOR_RECIPIENT,),
    ),
    Purpose(
        key="notifications",
        name=_("Notifications about one's work"),
        description=_(
            "Telling people in the platform and by e-mail what happened to the orders and "
            "records they work on, as each person chooses."
        ),
        basis=Basis.CONTRACT,
        categories=("communications", "work_queue"),
        subjects=("staff", "designer", "patient"),
        source=SOURCES["platform"],
        recipients=(OPERATOR_RECIPIENT,),
    ),
    Purpose(
        key="security",
        name=_("Security and accountability"),
        description=_(
            "Recording who accessed which record, keeping sessions safe, limiting abuse, and "
            "proving to patients and regulators that data was handled lawfully."
        ),
        basis=Basis.LEGAL_OBLIGATION,
        health_basis=Basis.LEGAL_CLAIMS,
        categories=("security_log",),
        subjects=("staff", "designer", "patient"),
        source=SOURCES["platform"],
        recipients=(OPERATOR_RECIPIENT,),
    ),
)

PURPOSES += (
    Purpose(
        key="data_subject_rights",
        name=_("Answering data-protection requests"),
        description=_(
            "Receiving, verifying and answering requests to access, correct, erase or restrict "
            "data, and proving that each was answered in time."
        ),
        basis=Basis.LEGAL_OBLIGATION,
        health_basis=Basis.LEGAL_CLAIMS,
        categories=("data_requests",),
        subjects=("patient", "staff", "designer", "requester"),
        source=SOURCES["self"],
        recipients=(OPERATOR_RECIPIENT,),
    ),
    Purpose(
        key="newsletter",
        name=_("Product news by e-mail"),
        description=_(
            "Occasional e-mails about new features of the platform — only to people who asked "
            "for them; every one has a one-click unsubscribe link."
        ),
        basis=Basis.CONSENT,
        categories=("account", "communications", "consents"),
        subjects=("staff", "designer", "patient"),
        source=SOURCES["self"],
        recipients=(OPERATOR_RECIPIENT,),
        consent_required=True,
    ),
    Purpose(
        key="cookies_analytics",
        name=_("Analytics cookies"),
        description=_(
            "Counting visits and how pages are used, to improve the platform — only after you "
            "agree in the cookie settings."
        ),
        basis=Basis.CONSENT,
        categories=("browsing", "consents"),
        subjects=("visitor", "staff", "patient"),
        source=SOURCES["platform"],
        recipients=(ANALYTICS_RECIPIENT,),
        consent_required=True,
        requires_setting="CONSENT_SCRIPTS.analytics",
    ),
    Purpose(
        key="cookies_marketing",
        name=_("Marketing cookies"),
        description=_(
            "Measuring campaigns of the operator — only after you agree in the cookie settings."
        ),
        basis=Basis.CONSENT,
        categories=("browsing", "consents"),
        subjects=("visitor", "staff", "patient"),
        source=SOURCES["platform"],
        recipients=(ANALYTICS_RECIPIENT,),
        consent_required=True,
        requires_setting="CONSENT_SCRIPTS.marketing",
    ),
)

# Cookies and similar storage the platform sets. Only "necessary" ones exist; analytics and
# marketing categories can be offered only with consent (privacy.consent).
COOKIES: tuple[dict, ...] = (
    {
        "name": "sessionid",
        "category": "necessary",
        "purpose": _("Keeps you signed in."),
        "lifetime": _("Until you sign out, at most 2 weeks"),
    },
    {
        "name": "csrftoken",
        "category": "necessary",
        "purpose": _("Protects forms against cross-site request forgery."),
        "lifetime": _("1 year"),
    },
    {
        "name": "consent",
        "category": "necessary",
        "purpose": _("Remembers your cookie choices, so we do not ask again on every page."),
        "lifetime": _("6 months"),
    },
    {
        "name": "django_language",
        "category": "necessary",
        "purpose": _("Remembers the language you chose."),
        "lifetime": _("1 year"),
    },
)


# Supervisory authorities of the countries the platform serves first; a person may complain to
# the authority where they live, work, or where the infringement took place (Art. 77).
AUTHORITIES: dict[str, tuple[str, str]] = {
    "AT": ("Österreichische Datenschutzbehörde", "https://www.dsb.gv.at"),
    "BE": (
        "Gegevensbeschermingsautoriteit / Autorité de protection des données",
        "https://www.dataprotectionauthority.be",
    ),
    "ES": ("Agencia Española de Protección de Datos", "https://www.aepd.es"),
    "FR": ("Commission nationale de l'informatique et des libertés (CNIL)", "https://www.cnil.fr"),
    "IE": ("Data Protection Commission", "https://www.dataprotection.ie"),
    "IT": ("Garante per la protezione dei dati personali", "https://www.garanteprivacy.it"),
    "LU": ("Commission nationale pour la protection des données", "https://cnpd.public.lu"),
    "NL": ("Autoriteit Persoonsgegevens", "https://www.autoriteitpersoonsgegevens.nl"),
    "PT": ("Comissão Nacional de Proteção de Dados", "https://www.cnpd.pt"),
    "RO": (
        "Autoritatea Națională de Supraveghere a Prelucrării Datelor cu Caracter Personal",
        "https://www.dataprotection.ro",
    ),
}
ALL_AUTHORITIES_URL = "https://www.edpb.europa.eu/about-edpb/about-edpb/members_en"


# --- Lookups ----------------------------------------------------------------------------------
def active_purposes() -> list[Purpose]:
    """The purposes this installation pursues (those switched on by a setting only when set)."""
    return [entry for entry in PURPOSES if entry.active()]


def category(key: str) -> DataCategory:
    for entry in CATEGORIES:
        if entry.key == key:
            return entry
    raise KeyError(f"no data category {key!r} in the register")


def purpose(key: str) -> Purpose:
    for entry in PURPOSES:
        if entry.key == key:
            return entry
    raise KeyError(f"no purpose {key!r} in the register")


def retention_period(rule_key: str, country: str = "") -> Period:
    """How long data under the retention rule ``rule_key`` is kept for an organization in
    ``country``: the operator's override if it set one, else the register's period for that
    country, else the register's default."""
    country = (country or "").upper()
    rule = RETENTION[rule_key]
    overrides = _overrides().get(rule_key, {})
    if country in overrides:
        return overrides[country]
    if "*" in overrides:
        return overrides["*"]
    return rule.by_country.get(country, rule.default)


def retention_table(rule_key: str) -> list[tuple[str, Period]]:
    """(country, period) rows for the notice and the Art. 30 record; "" is "elsewhere"."""
    rule = RETENTION[rule_key]
    overrides = _overrides().get(rule_key, {})
    countries = sorted((set(rule.by_country) | set(overrides)) - {"*"})
    rows = [(code, retention_period(rule_key, code)) for code in countries]
    elsewhere = overrides.get("*", rule.default)
    return [*rows, ("", elsewhere)]


def _overrides() -> dict[str, dict[str, Period]]:
    """``settings.RETENTION_OVERRIDES`` ({rule: {country or "*": "10y"}}) as periods."""
    return {
        rule: {code: Period.parse(text) for code, text in by_country.items()}
        for rule, by_country in settings.RETENTION_OVERRIDES.items()
    }


def check_overrides() -> list[str]:
    """Problems with the operator's overrides, for the system check."""
    problems = []
    for rule, by_country in settings.RETENTION_OVERRIDES.items():
        if rule not in RETENTION:
            problems.append(
                f"RETENTION_OVERRIDES names {rule!r}, which is not a retention rule "
                f"(known: {', '.join(sorted(RETENTION))})."
            )
        for code, text in by_country.items():
            try:
                Period.parse(text)
            except ValueError as exc:
                problems.append(f"RETENTION_OVERRIDES {rule}:{code}: {exc}")
    return problems


def uncovered_fields(models) -> list[str]:
    """``app.Model.field`` labels of concrete, non-relation fields that no data category lists
    and that are not declared as holding no personal data."""
    declared: dict[str, set[str]] = {}
    for entry in CATEGORIES:
        for label, names in entry.fields.items():
            declared.setdefault(label, set()).update(names)
    missing = []
    for model in models:
        label = model._meta.label
        exempt = NOT_PERSONAL.get(label, ((), ""))[0]
        if exempt == "*":
            continue
        known = declared.get(label, set()) | set(exempt) | TECHNICAL_FIELDS
        for model_field in model._meta.concrete_fields:
            if model_field.is_relation or model_field.name in known:
                continue
            missing.append(f"{label}.{model_field.name}")
    return missing


def unknown_declarations(models) -> list[str]:
    """Declared ``app.Model.field`` labels that no longer exist (a renamed or removed field)."""
    fields = {model._meta.label: {f.name for f in model._meta.concrete_fields} for model in models}
    wrong = []
    for entry in CATEGORIES:
        for label, names in entry.fields.items():
            wrong += [f"{label}.{name}" for name in names if name not in fields.get(label, set())]
    for label, (listed, _reason) in NOT_PERSONAL.items():
        if label not in fields:
            wrong.append(label)
        elif listed != "*":
            wrong += [f"{label}.{name}" for name in listed if name not in fields[label]]
    return wrong


_DECLARED_HERE = (CATEGORIES, dict(NOT_PERSONAL))


def collect_app_declarations() -> None:
    """Add each of our apps' ``register`` module to the register: its ``PERSONAL_DATA`` fields
    under their data categories, its ``NOT_PERSONAL`` fields with their reasons. Called when the
    GDPR app is ready; calling it again gives the same register."""
    global CATEGORIES
    categories, not_personal = _DECLARED_HERE
    fields = {category.key: dict(category.fields) for category in categories}
    merged_not_personal = dict(not_personal)
    for config in apps.get_app_configs():
        if not config.name.startswith("dentalbridge.") or not module_has_submodule(
            config.module, "register"
        ):
            continue
        module = import_module(f"{config.name}.register")
        for key, models in getattr(module, "PERSONAL_DATA", {}).items():
            if key not in fields:
                raise ImproperlyConfigured(
                    f"{config.name}.register declares fields under {key!r}, which is no data "
                    f"category of the register: {sorted(fields)}"
                )
            for label, names in models.items():
                fields[key][label] = (*fields[key].get(label, ()), *names)
        merged_not_personal.update(getattr(module, "NOT_PERSONAL", {}))
    CATEGORIES = tuple(replace(category, fields=fields[category.key]) for category in categories)
    NOT_PERSONAL.clear()
    NOT_PERSONAL.update(merged_not_personal)
