"""The orders scenario: a lab's inbox at 10,000 open and 100,000 finished orders, the time from a
practice's "submit" to the order showing in the lab's inbox, and the fan-out of the notification
e-mails of 1,000 submitted orders through the task queue.

- **Inbox.** Median and p99 latency and queries per page of the lab manager's inbox views (new,
  due today, overdue, open and finished, page 1), against the bare view measured in the same
  interleaved rounds (``run.py`` runs ``bench/urls.py``'s ``bare`` as in the other scenarios).
- **Submit to inbox.** ``orders.services.order_transition(submit)`` on a complete draft, then the
  lab manager's inbox query (``orders.selectors.inbox``, view ``new``) finding it; and, for the
  page, the inbox page searched by the order's reference. In this process, one after the other.
- **Fan-out.** 1,000 drafts submitted through the same service, with the production task backend
  (``django_tasks_db.DatabaseBackend``): each queues one ``send_email`` task per e-mail after
  commit. A real worker (``manage.py db_worker --batch``, a subprocess) then sends them with the
  in-memory mail backend; its throughput (tasks/s, from the tasks' own start and finish times) is
  divided by the same worker's throughput for as many no-op tasks (``noop`` below), run before and
  after.

Seeding writes rows in bulk with the values the services would write, through ``_base_manager``
(as ``bench/seed.py`` does): the guarded default manager refuses querysets outside the access
layer, and benchmark seeding discloses nothing. Audit events are not seeded (the inbox does not
read them). Deterministic (one seeded ``random.Random``) except the pseudonyms, which come from
``patients.services.new_pseudonym`` like the real ones.

Import this module only once Django is set up: the ``@task`` below asks for its backend when it is
defined.
"""

import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from django.tasks import task

from bench import measure, seed
from bench.measure import BenchError, percentile

REPO = Path(__file__).resolve().parent.parent
PAGE_SIZE = 50  # orders.views.PAGE_SIZE
VIEWS = ("new", "due_today", "overdue", "open", "done")
SEND_EMAIL = "dentalbridge.messaging.tasks.send_email"
_ORDER_LINK = re.compile(r'href="/orders/([0-9a-f-]{36})/"')
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # orders.services'


@task(queue_name="email")
def noop() -> None:
    """The worker's baseline: a task that does nothing, on the e-mails' queue."""
    return None


@dataclass(frozen=True)
class Scale:
    open_orders: int
    finished_orders: int
    practices: int
    patients_per_practice: int
    submit_samples: int  # submit-to-inbox measurements (after a few untimed)
    fanout_orders: int


FULL_SCALE = Scale(open_orders=10_000, finished_orders=100_000, practices=50,
                   patients_per_practice=100, submit_samples=200, fanout_orders=1_000)  # fmt: skip
QUICK_SCALE = Scale(open_orders=100, finished_orders=1_000, practices=5, patients_per_practice=10,
                    submit_samples=20, fanout_orders=100)  # fmt: skip
SUBMIT_WARMUP = 5

# (state, weight) of the open orders: what a busy lab's inbox holds on an ordinary day.
OPEN_STATES = (
    ("submitted", 10), ("info_requested", 4), ("accepted", 12), ("in_design", 15),
    ("awaiting_approval", 8), ("in_production", 20), ("quality_check", 8), ("ready_to_ship", 8),
    ("shipped", 15),
)  # fmt: skip
FINISHED_STATES = (("closed", 60), ("delivered", 30), ("cancelled", 10))
# The states the inbox's "due today" and "overdue" views count (workflow.LAB_WORK_STATES).
LAB_WORK = frozenset(
    {"accepted", "in_design", "awaiting_approval", "in_production", "quality_check"}
)
DESIGN = frozenset({"accepted", "in_design", "awaiting_approval"})
SHADES = ("A1", "A2", "A3", "A3.5", "B1", "B2", "C1", "D2", "2M2", "3M2")
TECHNICIANS, DESIGNERS = 3, 2


@dataclass
class Lab:
    """The lab, its people, and the practices connected to it."""

    organization: object
    manager: object
    membership: object  # the manager's, with organization and user
    principal: object
    technicians: list
    designers: list
    practices: list  # (organization, dentist user); the world's practice first
    platform_id: int


@dataclass
class Seeded:
    lab: Lab
    expected: dict = field(default_factory=dict)  # view -> orders the lab's inbox must count
    open_reference: str = ""  # one open order, for the one-row page
    drafts: list = field(default_factory=list)  # (public_id, reference) of the world's drafts
    seconds: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)
    sizes: dict = field(default_factory=dict)


# --- Seeding --------------------------------------------------------------------------------------


def _user(email: str, name: str, *, sign_in: bool = False):
    from dentalbridge.accounts.models import User

    user = User.objects.create_user(email, None, full_name=name)
    if sign_in:
        from bench.world import TOTP_SECRET
        from dentalbridge.accounts.services import totp_enrol

        user.emailaddress_set.create(email=email, verified=True, primary=True)
        totp_enrol(user=user, secret=TOTP_SECRET)
    return user


def seed_organizations(world, scale: Scale, seeded_seconds: dict) -> Lab:
    """The lab (manager with TOTP, technicians, freelance designers) and ``scale.practices``
    practices connected to it: the world's practice and one dentist-owned practice per other."""
    from dentalbridge.orders.models import ImplantPlatform
    from dentalbridge.organizations.models import (
        ConnectionStatus,
        LabConnection,
        Membership,
        Organization,
        OrganizationKind,
        Role,
    )
    from dentalbridge.privacy.principal import Principal

    started = time.perf_counter()
    lab = Organization.objects.create(
        kind=OrganizationKind.LAB, name="Bench Lab", country="NL", city="Utrecht"
    )
    manager = _user("lina.manager@lab.bench.example", "Lina Manager", sign_in=True)
    Membership.objects.create(user=manager, organization=lab, role=Role.MANAGER)
    technicians = [
        _user(f"technician{i}@lab.bench.example", f"Technician {i}") for i in range(TECHNICIANS)
    ]
    designers = [
        _user(f"designer{i}@design.bench.example", f"Designer {i}") for i in range(DESIGNERS)
    ]
    Membership.objects.bulk_create(
        [Membership(user=u, organization=lab, role=Role.TECHNICIAN) for u in technicians]
        + [Membership(user=u, organization=lab, role=Role.DESIGNER) for u in designers]
    )
    practices = [(world.organization, world.user)]
    for i in range(1, scale.practices):
        practice = Organization.objects.create(
            kind=OrganizationKind.PRACTICE, name=f"Practice {i:02d}", country="NL", city="Utrecht"
        )
        dentist = _user(f"dentist@practice{i:02d}.bench.example", f"Dentist {i:02d}")
        Membership.objects.create(user=dentist, organization=practice, role=Role.OWNER)
        practices.append((practice, dentist))
    LabConnection.objects.bulk_create(
        LabConnection(practice=p, lab=lab, status=ConnectionStatus.ACCEPTED) for p, _d in practices
    )
    membership = Membership.objects.select_related("organization", "user").get(
        user=manager, organization=lab
    )
    seeded_seconds["organizations"] = time.perf_counter() - started
    return Lab(
        organization=lab,
        manager=manager,
        membership=membership,
        principal=Principal(user=manager, membership=membership),
        technicians=technicians,
        designers=designers,
        practices=practices,
        platform_id=ImplantPlatform.objects.filter(organization=None).values_list("pk", flat=True)[
            0
        ],
    )


def seed_patients(rng: random.Random, lab: Lab, scale: Scale, seeded: Seeded) -> dict:
    """``scale.patients_per_practice`` adults per practice; {practice pk: [(pk, pseudonym)]}."""
    from dentalbridge.patients.models import Patient

    started = time.perf_counter()
    pseudonyms = iter(seed._distinct_pseudonyms(scale.practices * scale.patients_per_practice))
    rows = []
    for practice, dentist in lab.practices:
        for _ in range(scale.patients_per_practice):
            rows.append(
                Patient(
                    public_id=seed._uuid(rng),
                    organization=practice,
                    pseudonym=next(pseudonyms),
                    given_name=rng.choice(seed.GIVEN_NAMES),
                    family_name=rng.choice(seed.FAMILY_NAMES),
                    date_of_birth=date(1940, 1, 1) + timedelta(days=rng.randrange(22_000)),
                    attending_dentist=dentist,
                )
            )
    Patient._base_manager.bulk_create(rows, batch_size=seed.BATCH)
    by_practice: dict = {}
    for patient in rows:
        by_practice.setdefault(patient.organization_id, []).append((patient.pk, patient.pseudonym))
    seeded.seconds["patients"] = time.perf_counter() - started
    seeded.rows["patients"] = len(rows)
    return by_practice


def _references(rng: random.Random, count: int) -> list[str]:
    seen: set[str] = set()
    while len(seen) < count:
        body = "".join(rng.choice(_REFERENCE_ALPHABET) for _ in range(8))
        seen.add(f"O-{body[:4]}-{body[4:]}")
    found = list(seen)
    rng.shuffle(found)
    return found


def _items(rng: random.Random, order_pk: int, platform_id: int, *, complete_crowns=False) -> list:
    """One item (70 %) or two, of the kinds a lab mostly makes, as the prescription editor saves
    them; ``complete_crowns``: crowns only, so that a draft passes the submit check."""
    from dentalbridge.orders.models import OrderItem

    items = []
    teeth_used: set[int] = set()
    for position in range(1, 2 if rng.random() < 0.7 else 3):
        tooth = rng.choice([t for t in (*range(11, 18), *range(21, 28)) if t not in teeth_used])
        teeth_used.add(tooth)
        item = OrderItem(
            order_id=order_pk,
            position=position,
            restoration_type="crown",
            teeth=[tooth],
            material=rng.choice(("zirconia", "lithium_disilicate", "metal_ceramic")),
            shade=rng.choice(SHADES),
        )
        roll = 0.0 if complete_crowns else rng.random()
        if roll < 0.5:
            pass  # the crown above
        elif roll < 0.65:
            quadrant = rng.choice((1, 2, 3, 4)) * 10
            item.restoration_type, item.teeth, item.pontics = (
                "bridge",
                [quadrant + 4, quadrant + 5, quadrant + 6],
                [quadrant + 5],
            )
        elif roll < 0.75:
            item.restoration_type = rng.choice(("inlay", "onlay"))
            item.teeth = [rng.choice((16, 26, 36, 46, 17, 27))]
            item.material = rng.choice(("lithium_disilicate", "composite", "gold_alloy"))
        elif roll < 0.8:
            item.restoration_type, item.material = "veneer", "feldspathic"
            item.teeth = [rng.choice((11, 12, 13, 21, 22, 23))]
        elif roll < 0.9:
            item.restoration_type, item.material = "implant_crown", "zirconia"
            item.implant_platform_id = platform_id
        else:
            item.restoration_type = rng.choice(("splint", "full_denture"))
            item.teeth, item.shade = [], "" if item.restoration_type == "splint" else item.shade
            item.arch = rng.choice(("upper", "lower"))
            item.material = "thermoplastic" if item.restoration_type == "splint" else "acrylic"
        items.append(item)
    return items


def _order_values(rng, state: str, now: datetime, today: date) -> dict:
    """Dates and state fields of one seeded order, consistent with how it got there: open orders
    were sent in the last six weeks and have a confirmed return date within 30 days either side
    of today once accepted; finished ones are spread over three years."""
    if state in ("closed", "delivered", "cancelled"):
        created = seed._moment(rng, now - timedelta(days=3 * 365), now - timedelta(days=35))
        submitted = created + timedelta(hours=rng.uniform(0, 24))
        changed = submitted + timedelta(days=rng.uniform(5, 30))
        accepted = state != "cancelled" or rng.random() < 0.5
        confirmed = changed.date() - timedelta(days=rng.randrange(4)) if accepted else None
        resume = ""
    else:
        created = seed._moment(rng, now - timedelta(days=45), now - timedelta(hours=2))
        submitted = created + timedelta(minutes=rng.uniform(1, 60))
        changed = seed._moment(rng, submitted, now)
        resume = (
            rng.choice(("submitted", "accepted", "in_design")) if state == "info_requested" else ""
        )
        accepted = state not in ("submitted", "info_requested") or resume != "submitted"
        confirmed = today + timedelta(days=rng.randint(-30, 30)) if accepted else None
    return {
        "state": state,
        "resume_state": resume,
        "created_at": created,
        "updated_at": changed,
        "submitted_at": submitted,
        "state_changed_at": changed,
        "due_date": created.date() + timedelta(days=rng.randint(7, 21)),
        "confirmed_due_date": confirmed,
        "requires_approval": rng.random() < 0.8,
    }


def _assignment(rng, lab: Lab, order, now: datetime):
    """Open orders in the lab's work: 60 % have someone on them (a designer while in design);
    finished ones: 30 % had someone, the assignment ended."""
    from dentalbridge.orders.models import OrderAssignment

    working = order.state in LAB_WORK | {"info_requested"}
    if rng.random() >= (0.6 if working else 0.3 if order.state in ("closed", "delivered") else 0):
        return None
    designer = order.state in DESIGN and rng.random() < 0.5
    at = seed._moment(rng, order.submitted_at, order.state_changed_at)
    return OrderAssignment(
        order_id=order.pk,
        assignee=rng.choice(lab.designers if designer else lab.technicians),
        kind="designer" if designer else "technician",
        assigned_by=lab.manager,
        created_at=at,
        updated_at=at,
        ended_at=None if working else order.state_changed_at,
    )


def seed_orders(
    rng, lab: Lab, patients: dict, references: Iterator[str], scale: Scale, seeded: Seeded
) -> None:
    """The lab's open and finished orders with their items and assignments, a batch of orders
    and then that batch's items and assignments (memory stays flat); the counts each inbox view
    must show are kept in ``seeded.expected``."""
    from django.utils import timezone

    from dentalbridge.orders.models import Order, OrderAssignment, OrderItem

    now, today = timezone.now(), timezone.localdate()
    states = rng.choices(
        [s for s, _w in OPEN_STATES], [w for _s, w in OPEN_STATES], k=scale.open_orders
    ) + rng.choices(
        [s for s, _w in FINISHED_STATES], [w for _s, w in FINISHED_STATES], k=scale.finished_orders
    )
    rng.shuffle(states)
    expected = Counter()
    seconds = Counter()
    rows = Counter()
    with seed.explicit_timestamps(Order, OrderItem, OrderAssignment):
        for start in range(0, len(states), seed.BATCH):
            started = time.perf_counter()
            batch = []
            for state in states[start : start + seed.BATCH]:
                practice, dentist = rng.choice(lab.practices)
                patient_pk, pseudonym = rng.choice(patients[practice.pk])
                values = _order_values(rng, state, now, today)
                batch.append(
                    Order(
                        public_id=seed._uuid(rng),
                        reference=next(references),
                        practice=practice,
                        lab=lab.organization,
                        patient_id=patient_pk,
                        pseudonym=pseudonym,
                        created_by=dentist,
                        **values,
                    )
                )
                confirmed = values["confirmed_due_date"]
                expected["new"] += state == "submitted"
                expected["due_today"] += state in LAB_WORK and confirmed == today
                expected["overdue"] += (
                    state in LAB_WORK and confirmed is not None and (confirmed < today)
                )
                expected["open"] += state not in ("closed", "delivered", "cancelled")
                expected["done"] += state in ("closed", "delivered", "cancelled")
            Order._base_manager.bulk_create(batch, batch_size=seed.BATCH)  # sets the pks
            seconds["orders"] += time.perf_counter() - started
            started = time.perf_counter()
            items = [i for order in batch for i in _items(rng, order.pk, lab.platform_id)]
            for item in items:
                item.created_at = item.updated_at = now
            OrderItem._base_manager.bulk_create(items, batch_size=seed.BATCH)
            seconds["order items"] += time.perf_counter() - started
            started = time.perf_counter()
            assignments = [a for a in (_assignment(rng, lab, o, now) for o in batch) if a]
            OrderAssignment._base_manager.bulk_create(assignments, batch_size=seed.BATCH)
            seconds["assignments"] += time.perf_counter() - started
            rows["orders"] += len(batch)
            rows["order items"] += len(items)
            rows["assignments"] += len(assignments)
            if not seeded.open_reference:
                seeded.open_reference = next(
                    (o.reference for o in batch if o.state == "shipped"), ""
                )
    seeded.expected = dict(expected)
    seeded.seconds.update(seconds)
    seeded.rows.update(rows)


def seed_drafts(
    rng, world, lab: Lab, patients: dict, references: Iterator[str], scale: Scale, seeded: Seeded
) -> None:
    """Complete drafts of the world's practice for the lab (crowns, due on a working day of the
    lab two to four weeks ahead): the orders the measurements submit. The submit service checks
    them as it would any draft, so an incomplete one would stop the run."""
    from django.utils import timezone

    from dentalbridge.orders import selectors
    from dentalbridge.orders.models import Order, OrderItem

    started = time.perf_counter()
    now, today = timezone.now(), timezone.localdate()
    calendar = selectors.lab_calendar(lab.organization)
    due_days = sorted({calendar.next_open(today + timedelta(days=14 + n)) for n in range(14)})
    drafts = []
    for _ in range(drafts_needed(scale)):
        patient_pk, pseudonym = rng.choice(patients[world.organization.pk])
        created = now - timedelta(minutes=rng.uniform(5, 600))
        drafts.append(
            Order(
                public_id=seed._uuid(rng),
                reference=next(references),
                practice=world.organization,
                lab=lab.organization,
                patient_id=patient_pk,
                pseudonym=pseudonym,
                created_by=world.user,
                state="draft",
                created_at=created,
                updated_at=created,
                state_changed_at=created,
                due_date=rng.choice(due_days),
                preparation_notes="Chamfer margin, 0.8 mm.",
            )
        )
    with seed.explicit_timestamps(Order):
        Order._base_manager.bulk_create(drafts, batch_size=seed.BATCH)
    items = [
        i for d in drafts for i in _items(rng, d.pk, lab.platform_id, complete_crowns=True)
    ]  # fmt: skip
    OrderItem._base_manager.bulk_create(items, batch_size=seed.BATCH)
    seeded.drafts = [(d.public_id, d.reference) for d in drafts]
    seeded.seconds["drafts"] = time.perf_counter() - started
    seeded.rows["drafts"] = len(drafts)


def drafts_needed(scale: Scale) -> int:
    # The submit-to-inbox samples after their warm-up, one more to count its queries, the fan-out.
    return SUBMIT_WARMUP + scale.submit_samples + 1 + scale.fanout_orders


SIZED_TABLES = ("orders_order", "orders_orderitem", "orders_orderassignment")


def analyze(seeded: Seeded) -> None:
    """Fresh statistics, as autovacuum would have left them after a load this size (see
    ``seed.analyze``)."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM (ANALYZE)")
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
        seeded.sizes = seed.table_sizes(SIZED_TABLES)


def seed_all(world, scale: Scale, *, random_seed: int = 20261123) -> Seeded:
    rng = random.Random(random_seed)
    seconds: dict = {}
    lab = seed_organizations(world, scale, seconds)
    seeded = Seeded(lab=lab, seconds=seconds)
    patients = seed_patients(rng, lab, scale, seeded)
    count = scale.open_orders + scale.finished_orders + drafts_needed(scale)
    references = iter(_references(rng, count))
    seed_orders(rng, lab, patients, references, scale, seeded)
    seed_drafts(rng, world, lab, patients, references, scale, seeded)
    analyze(seeded)
    return seeded


# --- The inbox pages ----------------------------------------------------------------------------


def lab_client(lab: Lab):
    """The lab manager, signed in, with the lab as the active organization."""
    from django.test import Client

    from dentalbridge.organizations.selectors import SESSION_KEY

    client = Client()
    client.force_login(lab.manager)
    session = client.session
    session[SESSION_KEY] = str(lab.membership.public_id)
    session.save()
    return client


def measure_inbox(seeded: Seeded, *, requests: int, warmup: int) -> dict:
    from bench.patients import _slowest_queries

    client = lab_client(seeded.lab)
    table = {"bare": (client, "/bench/bare/")}
    table.update({view: (client, f"/orders/?view={view}") for view in VIEWS})
    get = measure._getter(table)
    rows = {view: len(set(_ORDER_LINK.findall(get(view).content.decode()))) for view in VIEWS}
    wrong = {
        view: (rows[view], seeded.expected[view])
        for view in VIEWS
        if rows[view] != min(PAGE_SIZE, seeded.expected[view])
    }
    if wrong:
        raise BenchError(f"inbox pages show the wrong number of orders (shown, seeded): {wrong}")
    with measure.gc_pauses() as pauses:
        timings = measure.time_requests(table, requests=requests, warmup=warmup)
    results = measure.summarize(timings)
    for name, row in results.items():
        row["samples_ms"] = [round(ms, 3) for ms in timings[name]]
        row["queries"] = measure.count_queries(lambda name=name: get(name))
        row["slowest_queries"] = _slowest_queries(lambda name=name: get(name))
        if name != "bare":
            row["rows"], row["orders"] = rows[name], seeded.expected[name]
    # The same page with one row (searched by reference) must run as many queries as with 50.
    one = f"/orders/?view=open&q={seeded.open_reference}"
    response = client.get(one)
    if response.status_code != 200 or seeded.open_reference not in response.content.decode():
        raise BenchError(f"GET {one} did not show the order")
    one_row = measure.count_queries(lambda: client.get(one))
    return {
        "requests": results,
        "checks": {
            "open_queries_page": results["open"]["queries"],
            "open_queries_one_row": one_row,
        },
        "gc": {
            "count": len(pauses),
            "median_ms": statistics.median(pauses) if pauses else 0.0,
            "max_ms": max(pauses, default=0.0),
            "seconds": sum(pauses) / 1000,
            "timed_seconds": sum(sum(ms) for ms in timings.values()) / 1000,
        },
    }


# --- Submit to inbox ----------------------------------------------------------------------------


def _spread(samples: list[float]) -> dict:
    return {
        "median_ms": statistics.median(samples),
        "p99_ms": percentile(samples, 99),
        "min_ms": min(samples),
        "samples_ms": [round(ms, 3) for ms in samples],
    }


def _submit(world, public_id) -> None:
    from dentalbridge.orders import services
    from dentalbridge.orders.workflow import Transition

    services.order_transition(
        actor=world.principal, order_id=public_id, transition=Transition.SUBMIT
    )


def measure_submit_to_inbox(world, seeded: Seeded, drafts: list) -> dict:
    """Per draft: submit (the practice's owner), then the lab manager's inbox query (view
    ``new``) must contain it, then the inbox page searched by its reference must show it."""
    from dentalbridge.orders import selectors

    client = lab_client(seeded.lab)
    submit, query, page = [], [], []
    for n, (public_id, reference) in enumerate(drafts):
        start = time.perf_counter_ns()
        _submit(world, public_id)
        submitted = time.perf_counter_ns()
        orders, _side = selectors.inbox(seeded.lab.principal, view="new")
        if not orders.filter(public_id=public_id).exists():
            raise BenchError(f"order {reference} is not in the lab's inbox after submit")
        found = time.perf_counter_ns()
        response = client.get(f"/orders/?view=new&q={reference}")
        shown = time.perf_counter_ns()
        if response.status_code != 200 or reference not in response.content.decode():
            raise BenchError(f"the lab's inbox page does not show {reference} after submit")
        if n < SUBMIT_WARMUP:
            continue
        submit.append((submitted - start) / 1e6)
        query.append((found - start) / 1e6)
        page.append((submitted - start + shown - found) / 1e6)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    public_id, _reference = seeded.drafts.pop()  # one more, to count its statements
    with CaptureQueriesContext(connection) as captured:
        _submit(world, public_id)
    return {
        "samples": len(submit),
        "warmup": SUBMIT_WARMUP,
        "submit": _spread(submit),
        "inbox_query": _spread(query),
        "inbox_page": _spread(page),
        "submit_queries": len(captured.captured_queries),
    }


# --- Notification fan-out -----------------------------------------------------------------------


def _worker() -> float:
    """Run ``manage.py db_worker`` over the e-mail queue until it is empty (``--batch``), as a
    separate process with this run's settings; the seconds it took, start-up included."""
    command = [
        sys.executable, str(REPO / "manage.py"), "db_worker", "--queue-name", "email", "--batch",
        "--interval", "0", "--no-startup-delay", "--no-reload", "--verbosity", "0",
    ]  # fmt: skip
    started = time.perf_counter()
    completed = subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        command, cwd=REPO, env=dict(os.environ), capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise BenchError(f"db_worker failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return seconds


def _worker_round(task_path: str, wall: float) -> dict:
    """Throughput of the worker over the tasks in the table (all of ``task_path``), from their own
    start and finish times: the worker's start-up (Django, imports) is not part of it."""
    from django.db.models import Count, Max, Min
    from django_tasks_db.models import DBTaskResult

    tasks = DBTaskResult.objects.all()
    statuses = dict(tasks.values_list("status").annotate(n=Count("id")).order_by())
    paths = set(tasks.values_list("task_path", flat=True).distinct())
    span = tasks.aggregate(first=Min("started_at"), last=Max("finished_at"))
    count = sum(statuses.values())
    if paths != {task_path} or statuses != {"SUCCESSFUL": count} or not count:
        raise BenchError(f"worker round {task_path}: {statuses} of {paths}")
    seconds = (span["last"] - span["first"]).total_seconds()
    return {
        "task": task_path,
        "tasks": count,
        "seconds": seconds,
        "tasks_per_s": count / seconds,
        "ms_per_task": seconds * 1000 / count,
        "wall_seconds": wall,  # the subprocess, start-up included
    }


def _noop_round(count: int) -> dict:
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()
    started = time.perf_counter()
    for _ in range(count):
        noop.enqueue()
    enqueue = time.perf_counter() - started
    result = _worker_round(f"{__name__}.noop", _worker())
    result["enqueue_per_s"] = count / enqueue
    return result


def measure_fanout(world, seeded: Seeded, drafts: list) -> dict:
    """A no-op round, then the drafts submitted (their e-mails queue as ``send_email`` tasks)
    and sent by the worker, then a second no-op round. Each no-op round has half as many tasks as
    the submits queue (one per lab recipient and order: a rate needs no more, and the run stays
    short), on an otherwise empty queue."""
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from dentalbridge.messaging.models import EmailStatus, Notification, OutgoingEmail

    # The submit-to-inbox step's e-mails go first (and warm the worker's path up).
    _worker()
    if OutgoingEmail.objects.exclude(status=EmailStatus.SENT).exists():
        raise BenchError("e-mails of the submit-to-inbox step were not sent by the worker")
    expected = len(drafts) * (1 + TECHNICIANS)  # the manager and the technicians
    noops = [_noop_round(expected // 2)]

    DBTaskResult.objects.all().delete()
    notifications_before = Notification.objects.count()
    emails_before = set(OutgoingEmail.objects.values_list("pk", flat=True))
    started = time.perf_counter()
    for public_id, _reference in drafts:
        _submit(world, public_id)
    submit_seconds = time.perf_counter() - started
    in_app = Notification.objects.count() - notifications_before
    emails = OutgoingEmail.objects.exclude(pk__in=emails_before)
    queued = DBTaskResult.objects.filter(task_path=SEND_EMAIL, status="READY").count()
    if not queued == emails.count() == expected:
        raise BenchError(
            f"{emails.count()} e-mails written, {queued} send_email tasks queued, "
            f"{expected} expected"
        )
    send = _worker_round(SEND_EMAIL, _worker())
    statuses = {row["status"]: row["n"] for row in emails.values("status").annotate(n=Count("id"))}
    if statuses != {EmailStatus.SENT: expected}:
        raise BenchError(f"fan-out e-mails not all sent: {statuses}")
    noops.append(_noop_round(expected // 2))
    baseline = statistics.fmean(r["tasks_per_s"] for r in noops)
    return {
        "orders": len(drafts),
        "submit_seconds": submit_seconds,
        "orders_per_s": len(drafts) / submit_seconds,
        "notifications_in_app": in_app,
        "emails": expected,
        "send_email": send,
        "noop": noops,
        "noop_tasks_per_s": baseline,
        "ratio": send["tasks_per_s"] / baseline,
    }


def run(world, *, quick: bool, requests: int, warmup: int) -> dict:
    scale = QUICK_SCALE if quick else FULL_SCALE
    seeded = seed_all(world, scale)
    inbox = measure_inbox(seeded, requests=requests, warmup=warmup)
    samples = SUBMIT_WARMUP + scale.submit_samples
    drafts, seeded.drafts = seeded.drafts[:samples], seeded.drafts[samples:]
    submit = measure_submit_to_inbox(world, seeded, drafts)
    fanout = measure_fanout(world, seeded, seeded.drafts[: scale.fanout_orders])
    return {
        "scale": {
            "open_orders": scale.open_orders,
            "finished_orders": scale.finished_orders,
            "practices": scale.practices,
            "patients": scale.practices * scale.patients_per_practice,
            "lab_recipients": 1 + TECHNICIANS,
        },
        "seeding": {
            "seconds": seeded.seconds,
            "rows": seeded.rows,
            "sizes": seeded.sizes,
            "expected": seeded.expected,
        },
        **inbox,
        "submit_to_inbox": submit,
        "fanout": fanout,
        "audit_chain": measure.verify_audit_chain(),
    }
