import itertools

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from dentalbridge.privacy import audit
from dentalbridge.privacy.audit import AuditAction, AuditOutcome, record
from dentalbridge.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db


def _three_events(world):
    for action in (AuditAction.SIGNED_IN, AuditAction.MEMBER_REMOVED, AuditAction.SIGNED_OUT):
        record(action, actor=world.owner, organization=world.practice, target=world.practice)


def test_each_row_links_to_the_previous_rows_hash(world):
    _three_events(world)
    rows = list(AuditEvent.objects.order_by("seq"))
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == audit.GENESIS_HASH
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.hash
        assert after.hash == audit.compute_hash(before.hash, after)
    assert audit.verify().ok


def test_event_says_who_for_which_org_what_when_from_where(world):
    event = record(
        AuditAction.MEMBER_REMOVED,
        actor=world.owner,
        organization=world.practice,
        target=world.practice,
        ip="192.0.2.7",
        user_agent="pytest",
        reason="left the practice",
    )
    event.refresh_from_db()
    assert event.actor_id == world.owner.public_id
    assert event.organization_id == world.practice.public_id
    assert event.target_type == "organizations.organization"
    assert event.target_id == str(world.practice.public_id)
    assert (event.ip, event.user_agent, event.reason) == (
        "192.0.2.7",
        "pytest",
        "left the practice",
    )
    assert event.outcome == AuditOutcome.SUCCESS


def test_audit_row_rolls_back_with_the_action(world):
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        record(AuditAction.SIGNED_IN, actor=world.owner)
        raise RuntimeError("the action failed")
    assert AuditEvent.objects.count() == before


def _tamper(sql: str, params):
    """Change the table as someone with write access to the database would (on SQLite past the
    append-only triggers, as a shell without the application's guard function could after
    dropping them)."""
    with audit.changes_allowed(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_verify_names_the_row_whose_content_was_altered_in_sqlite(world, capsys):
    _three_events(world)
    victim = AuditEvent.objects.order_by("seq")[1]
    _tamper(
        "UPDATE privacy_auditevent SET action = %s WHERE id = %s", ["account.signed_out", victim.pk]
    )
    result = audit.verify()
    assert not result.ok
    assert result.first_break.seq == victim.seq
    assert "altered" in result.first_break.problem
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit")
    assert exit_info.value.code == 1
    assert f"seq={victim.seq}" in capsys.readouterr().err


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_verify_finds_a_deleted_row_in_sqlite(world):
    _three_events(world)
    victim = AuditEvent.objects.order_by("seq")[1]
    _tamper("DELETE FROM privacy_auditevent WHERE id = %s", [victim.pk])
    result = audit.verify()
    assert result.first_break.seq == victim.seq + 1
    assert "gap" in result.first_break.problem


def test_verify_command_reports_an_intact_chain(world, capsys):
    _three_events(world)
    call_command("verify_audit")
    assert "intact" in capsys.readouterr().out


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE privacy_auditevent SET action = 'account.signed_out' WHERE id = %s",
        "DELETE FROM privacy_auditevent WHERE id = %s",
    ],
)
def test_postgresql_refuses_update_and_delete_of_audit_rows(world, sql):
    _three_events(world)
    victim = AuditEvent.objects.order_by("seq")[1]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _tamper(sql, [victim.pk])
    assert AuditEvent.objects.get(pk=victim.pk).action == victim.action
    assert audit.verify().ok


def test_orm_update_of_an_audit_row_is_detected_or_refused(world):
    _three_events(world)
    victim = AuditEvent.objects.order_by("seq")[0]
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEvent.objects.filter(pk=victim.pk).update(reason="nothing to see")
        assert audit.verify().ok
    else:  # SQLite's triggers refuse it too (privacy/migrations/0011)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=victim.pk).update(reason="nothing to see")
        assert audit.verify().ok


def test_a_system_read_names_its_purpose_and_the_person_behind_it(world):
    from conftest import acting
    from dentalbridge.privacy.principal import Purpose, SystemActor

    alone = audit.record_system_read(
        SystemActor(Purpose.RETENTION), "patients_due_for_purge", count=3
    )
    started = audit.record_system_read(
        SystemActor(Purpose.LAB_UPLOAD, on_behalf_of=acting(world.owner, world.practice)),
        "order_patient_for_lab_upload",
        target=world.practice,
    )
    for event in (alone, started):
        event.refresh_from_db()
        assert (event.action, event.via) == (AuditAction.SYSTEM_READ, "system")
    assert alone.data == {"purpose": "retention", "read": "patients_due_for_purge", "count": 3}
    assert alone.actor_id is None
    assert (started.actor_id, started.organization_id) == (
        world.owner.public_id,
        world.practice.public_id,
    )
    assert started.data["purpose"] == "lab_upload"
    assert audit.verify().ok


def test_a_system_actor_takes_only_a_listed_purpose():
    from dentalbridge.privacy.principal import SystemActor

    with pytest.raises(ValueError, match="curiosity"):
        SystemActor("curiosity")
