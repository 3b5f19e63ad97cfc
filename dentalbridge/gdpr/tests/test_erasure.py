"""Erasure within legal limits (PRV-3, PRV-5): a legal hold keeps everything, the medical archive
period keeps the record as a closed archive and erases the rest, and without a hold nothing that
identifies the person remains — in any table, file, preview or cache — not even after a backup
taken before the erasure is restored and the erasure log replayed."""

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from conftest import acting, make_user
from dentalbridge.core.errors import Conflict, Forbidden, ValidationFailed
from dentalbridge.files import access as files_access
from dentalbridge.files import services as file_services
from dentalbridge.files.tests.conftest import local_files  # noqa: F401 (fixture)
from dentalbridge.files.tests.factories import stored_scan
from dentalbridge.gdpr import access, erasure, requests
from dentalbridge.gdpr.models import ErasureRecord, RequestStatus
from dentalbridge.orders import services as order_services
from dentalbridge.orders.tests import conftest as order_fixtures
from dentalbridge.orders.tests.conftest import draft_order, put_in
from dentalbridge.patients import access as patients_access
from dentalbridge.patients import services as patient_services
from dentalbridge.patients.models import PatientAccount
from dentalbridge.privacy.door import through_the_door
from dentalbridge.privacy.models import AuditEvent
from dentalbridge.privacy.principal import Principal, Purpose, SystemActor

# The tests look at what an erasure left as the erasure itself would (system reads, audited).
ERASURE = SystemActor(Purpose.ERASURE)

pytestmark = pytest.mark.django_db

connected = order_fixtures.connected

IDENTITY = {
    "given_name": "Zerlina",
    "family_name": "Forgetmenot",
    "email": "zerlina.forgetmenot@patient.example",
    "phone": "+31 6 4444 9876",
    "address": "Vergeetstraat 77, Utrecht",
    "external_reference": "ZF-7781",
    "notes": "Prefers Tuesday mornings",
}
# Values that identify her, as they would appear in any dump: the test searches them all.
NEEDLES = [
    "Zerlina", "Forgetmenot", "zerlina.forgetmenot", "4444 9876", "Vergeetstraat",
    "ZF-7781", "Tuesday mornings", "1966-06-16", "Wisdom tooth 48", "Zerlina upper.stl",
]  # fmt: skip


@pytest.fixture
def zerlina(world, connected, local_files, settings, tmp_path):  # noqa: F811
    """A patient with a record, a scan with its preview copy at a lab, an order, a portal
    account, and her erasure request."""
    settings.ERASURE_LOG = tmp_path / "erasure-log.jsonl"
    owner = acting(world.owner, world.practice)
    patient = patient_services.patient_create(
        actor=owner, date_of_birth=date(1966, 6, 16), attending_dentist=world.dentist, **IDENTITY
    )
    patient_services.record_item_create(
        actor=owner, patient_id=patient.public_id, kind="note", title="Wisdom tooth 48",
        text="Extraction planned.",
    )  # fmt: skip
    scan = stored_scan(owner, patient, filename="Zerlina upper.stl")
    file_services.share_create(
        actor=owner, patient_id=patient.public_id, item_id=scan.item.public_id,
        lab_id=world.lab.public_id,
    )  # fmt: skip
    order = draft_order(world, patient, preparation_notes="Zerlina is anxious")
    put_in(order, "submitted")
    order_services.order_message_post(
        actor=acting(world.dentist, world.practice), order_id=order.public_id,
        body="Call Zerlina Forgetmenot before delivery",
    )  # fmt: skip
    user = make_user(IDENTITY["email"], "Zerlina Forgetmenot")
    with through_the_door():
        PatientAccount.objects.create(patient=patient, user=user)
    made = requests.request_create(
        actor=Principal(user=user), kind="erasure", patient_id=patient.public_id
    )
    return patient, made, order, local_files


def _dump() -> str:
    """Every row of every table, as text (what a database dump would hold)."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (table names from the schema)
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("latin-1")
                    parts.append(str(value))
    return "\n".join(parts)


def _blobs_of(patient, root: Path) -> list[Path]:
    """The stored objects of the patient's files (originals, previews, the lab's copy)."""
    assets, _uploads, _keys = files_access.files_of_patient(ERASURE, patient)
    names = [part["name"] for asset in assets for part in asset.parts]
    return [path for path in root.rglob("*") if path.is_file() and any(
        str(path).endswith(name) for name in names)]  # fmt: skip


def _storage(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def _found(text: str) -> list[str]:
    lowered = text.lower()
    return [needle for needle in NEEDLES if needle.lower() in lowered]


def _erase(world, made, capture):
    with capture(execute=True):
        return erasure.erase_for_request(
            actor=acting(world.owner, world.practice), request_id=made.public_id
        )


def test_a_legal_hold_keeps_everything_and_the_letter_says_why(
    world, zerlina, django_capture_on_commit_callbacks
):
    patient, made, _order, _root = zerlina
    erasure.hold_place(actor=acting(world.owner, world.practice), patient_id=patient.public_id,
                       kind="litigation", reason="Claim 2026/17 pending")  # fmt: skip
    receipt = _erase(world, made, django_capture_on_commit_callbacks)
    assert receipt["mode"] == "held" and receipt["erased"] == []
    assert patients_access.patient_by_ref(ERASURE, patient.public_id) is not None  # nothing touched
    done = access.data_request_access(acting(world.owner, world.practice), made.public_id)
    assert done.status == RequestStatus.REFUSED and "Claim 2026/17 pending" in done.answer
    assert "Claim 2026/17 pending" in mail.outbox[-1].body


def test_holds_are_placed_and_lifted_with_a_reason_by_the_owner(world, zerlina):
    patient, _made, _order, _root = zerlina
    owner = acting(world.owner, world.practice)
    with pytest.raises(ValidationFailed):
        erasure.hold_place(actor=owner, patient_id=patient.public_id, kind="tax", reason=" ")
    with pytest.raises(Forbidden):
        erasure.hold_place(actor=acting(world.dentist, world.practice),
                           patient_id=patient.public_id, kind="tax", reason="Audit")  # fmt: skip
    hold = erasure.hold_place(actor=owner, patient_id=patient.public_id, kind="tax", reason="Audit")
    assert erasure.plan(patient, access.legal_holds_of(owner, patient)).mode == "held"
    erasure.hold_lift(actor=owner, patient_id=patient.public_id, hold_id=hold.public_id,
                      reason="Audit closed")  # fmt: skip
    assert erasure.plan(patient, access.legal_holds_of(owner, patient)).mode == "archived"
    with pytest.raises(Conflict):
        erasure.hold_lift(actor=owner, patient_id=patient.public_id, hold_id=hold.public_id,
                          reason="again")  # fmt: skip
    actions = list(AuditEvent.objects.filter(action__startswith="legal_hold.").values_list(
        "action", flat=True))  # fmt: skip
    assert actions == ["legal_hold.placed", "legal_hold.lifted"]


def test_within_the_archive_period_the_record_is_archived_and_the_rest_erased(
    world, zerlina, django_capture_on_commit_callbacks
):
    patient, made, order, _root = zerlina
    receipt = _erase(world, made, django_capture_on_commit_callbacks)
    assert receipt["mode"] == "archived"
    assert patients_access.patient_by_ref(ERASURE, patient.public_id) is None  # out of daily use
    [archive] = patients_access.archives_of_patient(ERASURE, patient.public_id)
    expected = erasure.purposes.retention_period("medical_archive", "NL").after(
        timezone.localdate()
    )
    assert archive.keep_until == expected  # what the hold requires: the record, until then
    assert archive.content["patient"]["family_name"] == "Forgetmenot"
    # …and the rest is gone: the portal account, the lab's copy, the order's free text.
    assert not make_user.__globals__["User"].objects.filter(email=IDENTITY["email"]).exists()
    from dentalbridge.files.models import AssetRole, Share

    with through_the_door():
        assert not Share.objects.exists()
        from dentalbridge.files.models import Asset

        assert not Asset.objects.filter(role=AssetRole.SHARED).exists()
        from dentalbridge.orders.models import Order, OrderMessage

        kept = Order.objects.get(pk=order.pk)
        assert kept.preparation_notes == "" and kept.reference == order.reference
        assert set(OrderMessage.objects.values_list("body", flat=True)) <= {"[erased]", ""}
    kept_words = " ".join(k["what"] for k in receipt["kept"])
    assert "medical record" in kept_words and expected.isoformat() in mail.outbox[-1].body
    assert ErasureRecord.objects.get().patient_ref == patient.public_id


def test_without_a_hold_nothing_identifying_remains_anywhere(
    world, zerlina, django_capture_on_commit_callbacks
):
    patient, made, _order, root = zerlina
    assert _found(_dump())  # the needles are there before
    blobs_before = _blobs_of(patient, root)
    assert blobs_before and all(p.exists() for p in blobs_before)
    with time_machine.travel(timezone.now() + timedelta(days=366 * 21)):  # NL keeps 20 years
        receipt = _erase(world, made, django_capture_on_commit_callbacks)
    assert receipt["mode"] == "erased"
    assert _found(_dump()) == []
    assert _found(_storage(root).decode("latin-1")) == []
    assert _found(repr(list(cache._cache.values()))) == []  # the (local-memory) cache
    # Her files, previews and the lab's copy are gone from storage; her keys are destroyed.
    assert not any(p.exists() for p in blobs_before)
    from dentalbridge.files.models import PatientKey

    with through_the_door():
        assert not PatientKey.objects.filter(archived_patient_id=patient.public_id).exists()
        assert not PatientKey.objects.filter(patient=None).exists()
    # The receipt reached her, and its address did not stay behind.
    answer = mail.outbox[-1]
    assert answer.to == [IDENTITY["email"]] and "Erased:" in answer.body
    line = json.loads(Path(erasure.settings.ERASURE_LOG).read_text().splitlines()[-1])
    assert line["patient"] == str(patient.public_id) and line["mode"] == "erased"


@pytest.mark.django_db(transaction=True)  # PostgreSQL cannot TRUNCATE inside a test transaction
def test_a_backup_restored_after_the_erasure_is_erased_again_by_the_replay(
    world, zerlina, django_capture_on_commit_callbacks, tmp_path
):
    patient, made, _order, root = zerlina
    blobs_before = _blobs_of(patient, root)
    backup = tmp_path / "backup.json"
    call_command("dumpdata", "--all", "--natural-foreign", output=str(backup), verbosity=0)
    files_backup = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    with time_machine.travel(timezone.now() + timedelta(days=366 * 21)):
        _erase(world, made, django_capture_on_commit_callbacks)
        assert _found(_dump()) == []
        # Restore the database and the files from before the erasure…
        call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
        call_command("loaddata", str(backup), verbosity=0)
        for path, data in files_backup.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        assert "Forgetmenot" in _found(_dump())  # the backup brought her back
        # …then replay the erasure log.
        with django_capture_on_commit_callbacks(execute=True):
            call_command("replay_erasures", verbosity=0)
    assert _found(_dump()) == []
    assert patients_access.patient_by_ref(ERASURE, patient.public_id) is None
    assert not any(p.exists() for p in blobs_before)  # the restored files are deleted again


def test_only_an_erasure_request_about_a_patient_erases(world, zerlina):
    _patient, _made, _order, _root = zerlina
    other = requests.request_create(actor=Principal(user=world.newcomer), kind="erasure")
    with pytest.raises(Exception):  # noqa: B017 (NotFound: not the practice's request)
        erasure.erase_for_request(
            actor=acting(world.owner, world.practice), request_id=other.public_id
        )
    with pytest.raises(Conflict, match="names no patient"):
        erasure.erase_for_request(
            actor=acting(world.dpo, world.platform), request_id=other.public_id
        )


def test_the_owner_sees_the_plan_and_erases_from_the_request_page(
    world, zerlina, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from conftest import client_for

    patient, made, _order, _root = zerlina
    owner = client_for(world.owner)
    page = owner.get(reverse("data_request_detail", args=[made.public_id])).content.decode()
    assert "The medical archive period runs until" in page
    detail = owner.get(reverse("patient_detail", args=[patient.public_id])).content.decode()
    assert "Legal holds" in detail
    assert (
        "Legal holds"
        not in client_for(world.dentist)
        .get(reverse("patient_detail", args=[patient.public_id]))
        .content.decode()
    )
    placed = owner.post(
        reverse("legal_hold_place", args=[patient.public_id]),
        {"kind": "litigation", "reason": "Claim 9"},
    )
    assert placed.status_code == 302
    page = owner.get(reverse("data_request_detail", args=[made.public_id])).content.decode()
    assert "A legal hold is active" in page and "Claim 9" in page
    with django_capture_on_commit_callbacks(execute=True):
        done = owner.post(reverse("data_request_erase", args=[made.public_id]))
    assert done.status_code == 302
    assert patients_access.patient_by_ref(ERASURE, patient.public_id) is not None
    assert ErasureRecord.objects.get().receipt["mode"] == "held"
