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

    patient_ids: list  # str(public id), in insertion order
    items_per_patient: dict = field(default_factory=dict)  # str(public id) -> record items
    audit_per_patient: Counter = field(default_factory=Counter)  # str(public id) -> audit rows
    practice_audit_rows: int = 0
    # Patients whose attending dentist is the owner: their page runs one query less (the owner
    # may grant access without a grant of their own to look up), so comparisons avoid them.
    attended_by_owner: set = field(default_factory=set)
    # str(patient public id) -> str(item public ids), for the audit rows' targets (then dropped)
    item_ids: dict = field(default_factory=dict, repr=False)
    seconds: dict = field(default_factory=dict)  # step -> seconds
    rows: dict = field(default_factory=dict)  # step -> rows written
    sizes: dict = field(default_factory=dict)  # PostgreSQL: table -> bytes of heap and indexes


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


def seed_patients(
    rng: random.Random, practice, owner, dentists, scale: Scale, seeded: Seeded
) -> list:
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
    seeded.patient_ids = [str(p.public_id) for p in rows]
    seeded.attended_by_owner = {
        str(p.public_id) for p in rows if p.attending_dentist_id == owner.pk
    }  # fmt: skip
    seeded.seconds["patients"] = time.perf_counter() - started
    seeded.rows["patients"] = len(rows)
    return rows


def seed_record(rng: random.Random, patients: list, dentists, scale: Scale, seeded: Seeded):
    """``scale.record_items`` record items spread over the patients, each with one version,
    written a batch of items and then that batch's versions (memory stays flat)."""
    from dentalbridge.patients.models import RecordItem, RecordItemVersion

    counts = _item_counts(rng, len(patients), scale.record_items)
    seeded.items_per_patient = {
        str(p.public_id): n for p, n in zip(patients, counts, strict=True)
    }  # fmt: skip
    kinds = [k for k, _w in ITEM_KINDS]
    weights = [w for _k, w in ITEM_KINDS]
    now = datetime.now(UTC)

    def items() -> Iterator[RecordItem]:
        for patient, count in zip(patients, counts, strict=True):
            item_ids = seeded.item_ids[str(patient.public_id)] = []
            for _ in range(count):
                created = _moment(rng, patient.created_at, now)
                public_id = _uuid(rng)
                item_ids.append(str(public_id))
                yield RecordItem(
                    public_id=public_id,
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
    "key_id",
)  # fmt: skip


class _Row:
    """An audit row before it is written: the attributes ``compute_hash`` reads, and the chain."""

    __slots__ = _AUDIT_COLUMNS


def _audit_rows(rng, practice, members, scale: Scale, seeded: Seeded, tail) -> Iterator[_Row]:
    """The chain's continuation: ``scale.audit_rows`` rows, seq and hash following ``tail``.

    60 % are the practice's: mostly views and edits of its patients and their record items (~54
    rows per patient at full scale), some list views. 40 % belong to
    ``scale.other_organizations`` other organizations, with their own actors and patients.
    Timestamps run evenly over the past year. Ids are strings already (``compute_hash`` and COPY
    take them as they are), and the few ``data`` values are shared: this loop is the seeding's
    bottleneck.
    """
    from dentalbridge.privacy.audit import GENESIS_HASH, AuditAction, compute_hash, key_ring

    last_seq, prev_hash = tail if tail else (0, GENESIS_HASH)
    key_id = key_ring()[0][0]  # signed as record() signs: the keyed chain
    ours = (str(practice.public_id), [str(m) for m in members], list(seeded.item_ids.items()))
    others = [
        (
            str(_uuid(rng)),
            [str(_uuid(rng)) for _ in range(5)],
            [(str(_uuid(rng)), []) for _ in range(max(1, len(seeded.item_ids) // 10))],
        )
        for _ in range(scale.other_organizations)
    ]
    end = datetime.now(UTC) - timedelta(hours=1)
    step = timedelta(days=365) / scale.audit_rows
    start = end - step * scale.audit_rows
    patient_actions = [
        *[(str(AuditAction.PATIENT_VIEWED), "patients.patient", {})] * 70,
        *[(str(AuditAction.RECORD_ITEM_VIEWED), "patients.recorditem", {})] * 15,
        *[(str(AuditAction.PATIENT_UPDATED), "patients.patient", {"fields": "phone"})] * 5,
        *[(str(AuditAction.RECORD_ITEM_CREATED), "patients.recorditem", {})] * 5,
    ]
    listed = str(AuditAction.PATIENT_LISTED)
    listings = ({"deleted": False, "searched": False}, {"deleted": False, "searched": True})
    addresses = [f"192.0.2.{i}" for i in range(1, 255)]
    per_patient = seeded.audit_per_patient
    random_ = rng.random
    choice = rng.choice
    for n in range(1, scale.audit_rows + 1):
        row = _Row()
        row.seq = last_seq + n
        row.created_at = start + step * n
        row.outcome = "success"
        mine = random_() < 0.6
        row.organization_id, actors, patients = ours if mine else choice(others)
        row.actor_id = choice(actors)
        if random_() < 0.2:
            row.via, row.user_agent = "api", "DentalBridge bench"
        else:
            row.via, row.user_agent = "web", "Mozilla/5.0 (bench)"
        row.ip = choice(addresses)
        row.reason = ""
        if random_() < 0.1:
            row.action, row.target_type, row.target_id, row.patient_id = listed, "", "", None
            row.data = listings[random_() < 0.3]
        else:
            row.action, row.target_type, row.data = choice(patient_actions)
            row.patient_id, items = choice(patients)
            if row.target_type == "patients.patient":
                row.target_id = row.patient_id
            elif items:
                row.target_id = choice(items)
            else:  # a patient without record items: their page was viewed instead
                row.action, row.target_type, row.data = patient_actions[0]
                row.target_id = row.patient_id
            if mine:
                per_patient[row.patient_id] += 1
        row.prev_hash, row.key_id = prev_hash, key_id
        row.hash = prev_hash = compute_hash(prev_hash, row)
        if mine:
            seeded.practice_audit_rows += 1
        yield row


@contextmanager
def _indexes_deferred(table: str):
    """Drop the table's secondary indexes and unique constraints, and build them again at the
    end, as pg_restore does: one sorted build per index instead of a million random inserts
    into each of ten B-trees (the two unique hashes and the UUIDs are random). The definitions
    come from the catalogue and must read back identical, so the schema measured is the
    migrated one."""
    from django.db import connection

    def definitions(cursor) -> tuple[list, list]:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'u' ORDER BY conname",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass) ORDER BY indexname",
            [table, table],
        )
        return constraints, cursor.fetchall()

    with connection.cursor() as cursor:
        constraints, indexes = definitions(cursor)
        for name, _definition in constraints:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        if definitions(cursor) != (constraints, indexes):
            raise RuntimeError(f"the indexes of {table} did not come back as they were")


def _write_audit_copy(rows: Iterator[_Row], seeded: Seeded) -> int:
    """PostgreSQL: COPY into the table without its secondary indexes, then build them; several
    times faster than bulk_create with the indexes in place."""
    from django.db import connection, transaction

    written = 0
    data_json: dict[int, str] = {}  # the few distinct data dicts, serialized once each
    statement = f"COPY privacy_auditevent ({', '.join(_AUDIT_COLUMNS)}) FROM STDIN"
    with transaction.atomic():
        with _indexes_deferred("privacy_auditevent"):
            with connection.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    data = data_json.get(id(row.data))
                    if data is None:
                        data = data_json[id(row.data)] = json.dumps(row.data)
                    copy.write_row(
                        (
                            row.seq, row.created_at, row.action, row.outcome, row.actor_id,
                            row.organization_id, row.target_type, row.target_id, row.patient_id,
                            row.reason, row.via, row.ip, row.user_agent, data, row.prev_hash,
                            row.hash, row.key_id,
                        )
                    )  # fmt: skip
                    written += 1
            started = time.perf_counter()
        seeded.seconds["audit indexes"] = time.perf_counter() - started
    return written


def _write_audit_bulk(rows: Iterator[_Row]) -> int:
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
    rows = _audit_rows(rng, practice, members, scale, seeded, tail)
    if connection.vendor == "postgresql":
        written = _write_audit_copy(rows, seeded)
    else:
        written = _write_audit_bulk(rows)
    # Rows and (on PostgreSQL) the index builds after them are reported apart.
    indexes = seeded.seconds.pop("audit indexes", None)
    seeded.seconds["audit rows"] = time.perf_counter() - started - (indexes or 0.0)
    if indexes is not None:
        seeded.seconds["audit indexes"] = indexes
    seeded.rows["audit rows"] = written
    seeded.item_ids = {}


def analyze(seeded: Seeded) -> None:
    """Fresh statistics (and, on PostgreSQL, a vacuumed visibility map), as autovacuum would have
    left them some minutes after a load this size; without it the planner guesses."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Outside a transaction (Django autocommits); VACUUM cannot run inside one.
            cursor.execute("VACUUM (ANALYZE)")
            # Write the load's dirty pages out now rather than during the timed requests (a
            # checkpoint in progress makes every commit's WAL flush slower). Needs superuser or
            # pg_checkpoint; without it the run goes on.
            try:
                cursor.execute("CHECKPOINT")
            except Exception as exc:  # optional, and said so
                print(f"(no CHECKPOINT after seeding: {exc})", flush=True)
        else:
            cursor.execute("ANALYZE")
    seeded.seconds["vacuum analyze" if connection.vendor == "postgresql" else "analyze"] = (
        time.perf_counter() - started
    )
    if connection.vendor == "postgresql":
        seeded.sizes = table_sizes(SIZED_TABLES)


SIZED_TABLES = (
    "patients_patient",
    "patients_recorditem",
    "patients_recorditemversion",
    "privacy_auditevent",
)


def table_sizes(tables) -> dict:
    """PostgreSQL: rows, heap bytes, index bytes and number of indexes of each table (what every
    INSERT into it maintains)."""
    from django.db import connection

    sizes = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT c.reltuples::bigint, pg_relation_size(c.oid), pg_indexes_size(c.oid), "
                "(SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid) "
                "FROM pg_class c WHERE c.oid = %s::regclass",
                [table],
            )
            rows, heap, indexes, count = cursor.fetchone()
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_relation_size(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = %s::regclass ORDER BY 2 DESC",
                [table],
            )
            sizes[table] = {
                "rows": rows,  # the planner's estimate, fresh from ANALYZE
                "heap": heap,
                "indexes": indexes,
                "index_count": count,
                "index_bytes": dict(cursor.fetchall()),
            }
    return sizes


def seed(world, scale: Scale, *, random_seed: int = 20261122) -> Seeded:
    """Patients, record and audit log for ``world.organization``, step by step, timed."""
    from dentalbridge.organizations.models import Membership, Role

    rng = random.Random(random_seed)
    memberships = Membership.objects.filter(organization=world.organization).select_related("user")
    dentists = [m.user for m in memberships if m.role in (Role.OWNER, Role.DENTIST)]
    members = [m.user.public_id for m in memberships]
    seeded = Seeded(patient_ids=[])
    patients = seed_patients(rng, world.organization, world.user, dentists, scale, seeded)
    seed_record(rng, patients, dentists, scale, seeded)
    seed_audit(rng, world.organization, members, scale, seeded)
    analyze(seeded)
    return seeded
