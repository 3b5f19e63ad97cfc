"""Seeding a practice at scale for the patients scenario: patients, their record, a long audit log.

Rows are written in bulk, without the services (which would take hours at this scale and audit
every row), but with the values the services would write: pseudonyms from
``patients.services.new_pseudonym`` (unique in the practice), one ``RecordItemVersion`` per
record item, and audit rows whose ``seq``, ``prev_hash`` and ``hash`` continue the existing chain
through ``privacy.audit.compute_hash``, so ``verify()`` accepts the whole log afterwards.

Patient-data models are written through ``_base_manager``: the guarded default manager refuses
querysets outside the access layer, and benchmark seeding is no access (it discloses nothing).
Everything is deterministic (one seeded ``random.Random``), except the pseudonyms, which come from
``secrets`` like the real ones.
"""

import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

BATCH = 5000

# Enough names for 10,000 distinct (given, family) pairs. Eleven family names contain "berg", so a
# search for it is a real search: about one patient in twenty matches.
SEARCH_FRAGMENT = "berg"
FAMILY_NAMES = (
    # Netherlands
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
    "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
    "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer",
    "van der Linden", "Kok", "Jacobs", "de Haan", "Vermeulen", "van den Heuvel", "van der Veen",
    "van den Broek", "de Bruijn", "de Bruin", "van der Heijden", "Schouten", "van Beek", "Willems",
    "van Vliet", "van de Ven", "Hoekstra", "Maas", "Verhoeven", "Koster", "van Dam", "van der Wal",
    "Prins", "Blom", "Huisman", "Peeters", "de Jonge", "Kuipers", "van Veen", "Post", "Kuiper",
    "Veenstra", "Kramer", "van den Brink", "Scholten", "van Wijk", "Postma", "Martens", "Vink",
    "de Ridder", "Jonker", "van Rijn", "Bergsma", "Bergman", "Wolters", "Groen", "Timmermans",
    # Italy
    "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino",
    "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo",
    "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro", "Mariani", "Rinaldi", "Caruso",
    "Ferrara", "Galli", "Martini", "Leone", "Longo", "Gentile", "Martinelli", "Vitale", "Serra",
    "Coppola", "De Santis", "D'Angelo", "Marchetti",
    # Romania
    "Popescu", "Ionescu", "Popa", "Pop", "Radu", "Dumitru", "Stan", "Stoica", "Gheorghe", "Matei",
    "Ciobanu", "Rusu", "Munteanu", "Constantin", "Florea", "Marin", "Dinu", "Tudor", "Moldovan",
    "Barbu", "Nistor", "Toma", "Lazăr", "Sandu", "Dobre",
    # Germany, Scandinavia
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz",
    "Zimmermann", "Braun", "Krüger", "Hartmann", "Lange", "Werner", "Krause", "Lehmann", "Köhler",
    "Lindberg", "Rosenberg", "Weinberg", "Goldberg", "Steinberg", "Bergström", "Sandberg",
    "Nyberg", "Eriksson", "Johansson", "Andersson", "Nilsson", "Larsson",
    # United Kingdom
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
    "Roberts", "Johnson", "Lewis", "Walker", "Robinson", "Wood", "Thompson", "White", "Watson",
    "Jackson", "Wright", "Green", "Harris", "Cooper", "King", "Lee", "Martin", "Clarke", "James",
    "Morgan", "Hughes", "Edwards", "Hill", "Moore", "Clark", "Harrison", "Scott", "Young",
    "Morris", "Hall", "Ward",
)  # fmt: skip
GIVEN_NAMES = (
    "Anna", "Emma", "Julia", "Sophie", "Lotte", "Sanne", "Eva", "Lisa", "Fleur", "Noor", "Tess",
    "Sara", "Iris", "Anouk", "Femke", "Maud", "Lieke", "Roos", "Mila", "Zoë", "Daan", "Sem",
    "Lucas", "Levi", "Finn", "Milan", "Jesse", "Thijs", "Bram", "Lars", "Ruben", "Tim", "Niels",
    "Sven", "Jeroen", "Pieter", "Joost", "Maarten", "Wouter", "Koen", "Giulia", "Francesca",
    "Chiara", "Sofia", "Aurora", "Alice", "Martina", "Giorgia", "Elena", "Valentina", "Marco",
    "Luca", "Matteo", "Alessandro", "Lorenzo", "Andrea", "Giuseppe", "Francesco", "Davide",
    "Simone", "Ioana", "Maria", "Andreea", "Elena", "Alexandra", "Mihaela", "Cristina", "Ana",
    "Irina", "Diana", "Andrei", "Alexandru", "Mihai", "Ionuț", "Ștefan", "Bogdan", "Cristian",
    "Florin", "Vlad", "Radu", "Lena", "Hannah", "Leonie", "Marie", "Katharina", "Lukas", "Jonas",
    "Felix", "Paul", "Maximilian", "Astrid", "Ingrid", "Sigrid", "Erik", "Anders", "Olivia",
    "Amelia", "Isla", "Ava", "Grace", "Oliver", "George", "Harry", "Jack", "Charlie", "Thomas",
    "James", "William", "Henry", "Samuel", "Noah", "Yusuf", "Fatima", "Amira", "Omar", "Mehmet",
    "Ayşe", "Priya", "Arjun", "Wei", "Mei",
)  # fmt: skip
ITEM_KINDS = (  # (kind, weight): mostly notes, some images, few large studies
    ("note", 45), ("photo", 15), ("radiograph", 15), ("document", 10), ("scan", 8), ("cbct", 4),
    ("video", 3),
)  # fmt: skip
ITEM_TITLES = {
    "note": ("Check-up", "Hygiene visit", "Filling 36", "Pain 14, advised", "Treatment plan"),
    "photo": ("Intraoral photo", "Smile photo", "Shade match"),
    "radiograph": ("Bitewings", "Periapical 46", "OPG"),
    "document": ("Referral letter", "Consent form", "Lab prescription"),
    "scan": ("Full-arch scan", "Crown prep scan"),
    "cbct": ("CBCT implant planning",),
    "video": ("Chewing video",),
}
NOTE_TEXT = (
    "Patient reports occasional sensitivity to cold on the upper left. No caries found on "
    "bitewings; gingiva healthy apart from mild bleeding on probing at 16 and 26. Advised a soft "
    "brush and fluoride toothpaste; review in six months."
)


@dataclass(frozen=True)
class Scale:
    patients: int
    record_items: int
    audit_rows: int
    other_organizations: int


FULL_SCALE = Scale(patients=10_000, record_items=200_000, audit_rows=1_000_000,
                   other_organizations=40)  # fmt: skip
QUICK_SCALE = Scale(patients=100, record_items=2_000, audit_rows=10_000, other_organizations=4)


@dataclass
class Seeded:
    """What the measurements need to know about the seeded data, and how long seeding took."""

    patient_ids: list  # public ids, in insertion order
    items_per_patient: dict = field(default_factory=dict)  # public id -> number of record items
    audit_per_patient: Counter = field(default_factory=Counter)  # public id -> audit rows
    practice_audit_rows: int = 0
    seconds: dict = field(default_factory=dict)  # step -> seconds
    rows: dict = field(default_factory=dict)  # step -> rows written


@contextmanager
def explicit_timestamps(*models):
    """Let bulk_create keep the ``created_at``/``updated_at`` we give it.

    ``auto_now``/``auto_now_add`` would stamp every row with the same instant; a record's timeline
    spread over years orders like a real one. Only this process's field objects are touched, and
    only while seeding.
    """
    fields = [
        (f, f.auto_now, f.auto_now_add)
        for model in models
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    for f, _now, _add in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, now, add in fields:
            f.auto_now, f.auto_now_add = now, add


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = int((end - start).total_seconds() * 1_000_000)
    return start + timedelta(microseconds=rng.randrange(span))


def _distinct_pseudonyms(count: int) -> list[str]:
    from dentalbridge.patients.services import new_pseudonym

    seen: set[str] = set()
    while len(seen) < count:  # ~60 clashes in 10,000 draws from 810,000 codes: draw again
        seen.add(new_pseudonym())
    return list(seen)


def _item_counts(rng: random.Random, patients: int, items: int) -> list[int]:
    """Skewed like a real practice: many patients with a few items, a few with a hundred or more
    (exponential weights, mean ``items / patients``), summing to exactly ``items``."""
    weights = [rng.expovariate(1.0) for _ in range(patients)]
    total = sum(weights)
    counts = [int(w / total * items) for w in weights]
    for i in rng.sample(range(patients), items - sum(counts)):
        counts[i] += 1
    return counts


def seed_patients(rng: random.Random, practice, dentists, scale: Scale, seeded: Seeded) -> list:
    """``scale.patients`` patients with distinct names and pseudonyms; returns their pks."""
    from dentalbridge.patients.models import Patient

    started = time.perf_counter()
    now = datetime.now(UTC)
    today = now.date()
    pairs = rng.sample(range(len(GIVEN_NAMES) * len(FAMILY_NAMES)), scale.patients)
    pseudonyms = _distinct_pseudonyms(scale.patients)
    rows = []
    for number, (pair, pseudonym) in enumerate(zip(pairs, pseudonyms, strict=True), start=1):
        given = GIVEN_NAMES[pair % len(GIVEN_NAMES)]
        family = FAMILY_NAMES[pair // len(GIVEN_NAMES)]
        born = date(1935, 1, 1) + timedelta(days=rng.randrange(32_000))  # 1935 .. 2022
        minor = (today - born).days < 16 * 365
        created = _moment(rng, now - timedelta(days=5 * 365), now - timedelta(days=1))
        rows.append(
            Patient(
                public_id=_uuid(rng),
                created_at=created,
                updated_at=created,
                organization=practice,
                pseudonym=pseudonym,
                given_name=given,
                family_name=family,
                date_of_birth=born,
                sex=rng.choice(("female", "male", "female", "male", "unknown")),
                email=f"patient{number}@example.net" if rng.random() < 0.7 else "",
                phone=f"+31 6 {rng.randrange(10**8):08d}" if rng.random() < 0.8 else "",
                address=f"Kerkstraat {rng.randrange(1, 200)}, Utrecht",
                attending_dentist=rng.choice(dentists),
                external_reference=f"F{number:06d}" if rng.random() < 0.7 else "",
                guardian_name="Parent of the patient" if minor else "",
                guardian_contact="+31 6 12345678" if minor else "",
            )
        )
    with explicit_timestamps(Patient):
        Patient._base_manager.bulk_create(rows, batch_size=BATCH)
    seeded.patient_ids = [p.public_id for p in rows]
    seeded.seconds["patients"] = time.perf_counter() - started
    seeded.rows["patients"] = len(rows)
    return rows


def seed_record(rng: random.Random, patients: list, dentists, scale: Scale, seeded: Seeded):
    """``scale.record_items`` record items spread over the patients, each with one version,
    written a batch of items and then that batch's versions (memory stays flat)."""
    from dentalbridge.patients.models import RecordItem, RecordItemVersion

    counts = _item_counts(rng, len(patients), scale.record_items)
    seeded.items_per_patient = {
        p.public_id: n for p, n in zip(patients, counts, strict=True)
    }  # fmt: skip
    kinds = [k for k, _w in ITEM_KINDS]
    weights = [w for _k, w in ITEM_KINDS]
    now = datetime.now(UTC)

    def items() -> Iterator[RecordItem]:
        for patient, count in zip(patients, counts, strict=True):
            for _ in range(count):
                created = _moment(rng, patient.created_at, now)
                yield RecordItem(
                    public_id=_uuid(rng),
                    created_at=created,
                    updated_at=created,
                    patient_id=patient.pk,
                    kind=rng.choices(kinds, weights)[0],
                    created_by=rng.choice(dentists),
                )

    def version(item: RecordItem) -> RecordItemVersion:
        return RecordItemVersion(
            item_id=item.pk,
            number=1,
            title=rng.choice(ITEM_TITLES[item.kind]),
            text=NOTE_TEXT if item.kind == "note" else "",
            taken_on=item.created_at.date(),
            author=item.created_by,
            created_at=item.created_at,
        )

    item_seconds = version_seconds = 0.0
    written = 0
    stream = items()
    with explicit_timestamps(RecordItem, RecordItemVersion):
        while True:
            started = time.perf_counter()
            batch = [item for _, item in zip(range(BATCH), stream, strict=False)]
            if not batch:
                break
            RecordItem._base_manager.bulk_create(batch, batch_size=BATCH)  # sets the pks
            item_seconds += time.perf_counter() - started
            started = time.perf_counter()
            RecordItemVersion._base_manager.bulk_create(map(version, batch), batch_size=BATCH)
            version_seconds += time.perf_counter() - started
            written += len(batch)
    seeded.seconds["record items"] = item_seconds
    seeded.seconds["item versions"] = version_seconds
    seeded.rows["record items"] = seeded.rows["item versions"] = written


# --- The audit log --------------------------------------------------------------------------------


# The columns written (all but the primary key), in the order ``_write_audit_copy`` sends them.
_AUDIT_COLUMNS = (
    "seq", "created_at", "action", "outcome", "actor_id", "organization_id", "target_type",
    "target_id", "patient_id", "reason", "via", "ip", "user_agent", "data", "prev_hash", "hash",
)  # fmt: skip


class _Row:
    """An audit row before it is written: the attributes ``compute_hash`` reads, and the chain."""

    __slots__ = _AUDIT_COLUMNS


def _audit_rows(rng, practice, members, patient_ids, scale: Scale, seeded: Seeded, tail):
    """The chain's continuation: ``scale.audit_rows`` rows, seq and hash following ``tail``.

    60 % are the practice's (mostly views and edits of its patients, ~55 per patient at full
    scale; some list views), 40 % belong to ``scale.other_organizations`` other organizations
    with their own actors and patients. Timestamps run evenly over the past year.
    """
    from dentalbridge.privacy.audit import GENESIS_HASH, AuditAction, compute_hash

    last_seq, prev_hash = tail if tail else (0, GENESIS_HASH)
    practice_id = practice.public_id
    others = [
        (_uuid(rng), [_uuid(rng) for _ in range(5)]) for _ in range(scale.other_organizations)
    ]
    other_patients = [_uuid(rng) for _ in range(max(1, len(patient_ids)))]
    end = datetime.now(UTC) - timedelta(hours=1)
    step = timedelta(days=365) / scale.audit_rows
    start = end - step * scale.audit_rows
    patient_actions = (
        (str(AuditAction.PATIENT_VIEWED), "patients.patient", 70),
        (str(AuditAction.RECORD_ITEM_VIEWED), "patients.recorditem", 15),
        (str(AuditAction.PATIENT_UPDATED), "patients.patient", 5),
        (str(AuditAction.RECORD_ITEM_CREATED), "patients.recorditem", 5),
    )
    actions = [a for a in patient_actions for _ in range(a[2])]
    listed = str(AuditAction.PATIENT_LISTED)
    for n in range(1, scale.audit_rows + 1):
        row = _Row()
        row.seq = last_seq + n
        row.created_at = start + step * n
        row.outcome = "success"
        ours = rng.random() < 0.6
        if ours:
            row.organization_id, actor_ids, patients = practice_id, members, patient_ids
            seeded.practice_audit_rows += 1
        else:
            row.organization_id, actor_ids = rng.choice(others)
            patients = other_patients
        row.actor_id = rng.choice(actor_ids)
        row.via = "api" if rng.random() < 0.2 else "web"
        row.ip = f"192.0.2.{rng.randrange(1, 255)}"
        row.user_agent = "DentalBridge bench" if row.via == "api" else "Mozilla/5.0 (bench)"
        row.reason = ""
        if rng.random() < 0.1:
            row.action, row.target_type, row.target_id, row.patient_id = listed, "", "", None
            row.data = {"deleted": False, "searched": rng.random() < 0.3}
        else:
            row.action, row.target_type, _w = rng.choice(actions)
            row.patient_id = rng.choice(patients)
            if ours:
                seeded.audit_per_patient[row.patient_id] += 1
            target = row.patient_id if row.target_type == "patients.patient" else _uuid(rng)
            row.target_id = str(target)
            row.data = {"fields": "phone"} if row.action.endswith("updated") else {}
        row.prev_hash = prev_hash
        row.hash = prev_hash = compute_hash(prev_hash, row)
        yield row


def _write_audit_copy(rows) -> int:
    """PostgreSQL: COPY, ~5x faster than bulk_create at a million rows."""
    from django.db import connection, transaction

    written = 0
    columns = ", ".join(_AUDIT_COLUMNS)
    statement = f"COPY privacy_auditevent ({columns}) FROM STDIN"
    with transaction.atomic(), connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                (
                    row.seq, row.created_at, row.action, row.outcome, row.actor_id,
                    row.organization_id, row.target_type, row.target_id, row.patient_id,
                    row.reason, row.via, row.ip, row.user_agent,
                    json.dumps(row.data, separators=(",", ":")), row.prev_hash, row.hash,
                )
            )  # fmt: skip
            written += 1
    return written


def _write_audit_bulk(rows) -> int:
    """Other databases: bulk_create, a batch at a time."""
    from dentalbridge.privacy.models import AuditEvent

    written = 0
    while True:
        batch = [
            AuditEvent(**{name: getattr(row, name) for name in _AUDIT_COLUMNS})
            for _, row in zip(range(BATCH), rows, strict=False)
        ]
        if not batch:
            return written
        AuditEvent.objects.bulk_create(batch, batch_size=BATCH)
        written += len(batch)


def seed_audit(rng: random.Random, practice, members, scale: Scale, seeded: Seeded) -> None:
    from django.db import connection

    from dentalbridge.privacy.models import AuditEvent

    started = time.perf_counter()
    tail = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    rows = _audit_rows(rng, practice, members, seeded.patient_ids, scale, seeded, tail)
    if connection.vendor == "postgresql":
        written = _write_audit_copy(rows)
    else:
        written = _write_audit_bulk(rows)
    seeded.seconds["audit rows"] = time.perf_counter() - started
    seeded.rows["audit rows"] = written


def analyze(seeded: Seeded) -> None:
    """Fresh statistics (and, on PostgreSQL, a vacuumed visibility map), as autovacuum would have
    left them some minutes after a load this size; without it the planner guesses."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Outside a transaction (Django autocommits); VACUUM cannot run inside one.
            cursor.execute("VACUUM (ANALYZE)")
        else:
            cursor.execute("ANALYZE")
    seeded.seconds["vacuum analyze" if connection.vendor == "postgresql" else "analyze"] = (
        time.perf_counter() - started
    )


def seed(world, scale: Scale, *, random_seed: int = 20261122) -> Seeded:
    """Patients, record and audit log for ``world.organization``, step by step, timed."""
    from dentalbridge.organizations.models import Membership, Role

    rng = random.Random(random_seed)
    memberships = Membership.objects.filter(organization=world.organization).select_related("user")
    dentists = [m.user for m in memberships if m.role in (Role.OWNER, Role.DENTIST)]
    members = [m.user.public_id for m in memberships]
    seeded = Seeded(patient_ids=[])
    patients = seed_patients(rng, world.organization, dentists, scale, seeded)
    seed_record(rng, patients, dentists, scale, seeded)
    seed_audit(rng, world.organization, members, scale, seeded)
    analyze(seeded)
    return seeded
