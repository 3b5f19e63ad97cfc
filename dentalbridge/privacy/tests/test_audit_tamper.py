"""Finding 1 of the security review (issue 13): the audit log could be rewritten or cut short
undetected. Each way someone with write access to the database could try it — past the
append-only guard, as the database's owner can — is detected by ``verify()``, naming where; on
SQLite and PostgreSQL alike (PRV-6)."""

import hashlib
import hmac
import json
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from dentalbridge.privacy import audit
from dentalbridge.privacy.audit import AuditAction, record
from dentalbridge.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db


def _events(world, n: int) -> list[AuditEvent]:
    for _ in range(n):
        record(AuditAction.SIGNED_IN, actor=world.owner, organization=world.practice)
    return list(AuditEvent.objects.order_by("seq"))


@contextmanager
def _past_the_guard():
    """What the database's owner can do: switch the append-only guard off for a while."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE privacy_auditevent DISABLE TRIGGER USER")
            try:
                yield cursor
            finally:
                cursor.execute("ALTER TABLE privacy_auditevent ENABLE TRIGGER USER")
    else:
        with audit.changes_allowed(), connection.cursor() as cursor:
            yield cursor


def _sql(statement: str, params=()) -> None:
    with _past_the_guard() as cursor:
        cursor.execute(statement, list(params))


def _rechain(rows: list[AuditEvent], link) -> None:
    """Rewrite every row's prev_hash and hash with ``link(prev_hash, row)``, as a forger who
    recomputes the chain after changing it."""
    prev = audit.GENESIS_HASH
    with _past_the_guard() as cursor:
        for row in rows:
            row.prev_hash = prev
            row.hash = prev = link(prev, row)
            cursor.execute(
                "UPDATE privacy_auditevent SET prev_hash = %s, hash = %s, key_id = %s "
                "WHERE id = %s",
                [row.prev_hash, row.hash, row.key_id, row.pk],
            )


def _broken(expect_in: str) -> audit.ChainBreak:
    where = audit.verify().first_break
    assert where is not None, "verify() found nothing"
    assert expect_in in where.problem, where
    return where


def test_finding_1_the_chain_is_keyed_and_names_its_key(world):
    [event] = _events(world, 1)
    key_id, key = audit.key_ring()[0]
    assert event.key_id == key_id
    plain = hashlib.sha256(event.prev_hash.encode() + b"\n" + audit._canonical(event))
    assert event.hash != plain.hexdigest()  # not recomputable without the key
    keyed = hmac.new(key, event.prev_hash.encode() + b"\n" + audit._canonical(event), "sha256")
    assert event.hash == keyed.hexdigest()


def test_finding_1_an_edited_row_is_named(world):
    rows = _events(world, 4)
    _sql("UPDATE privacy_auditevent SET reason = 'nothing' WHERE id = %s", [rows[1].pk])
    assert _broken("altered").seq == rows[1].seq


def test_finding_1_a_deleted_row_is_named(world):
    rows = _events(world, 4)
    _sql("DELETE FROM privacy_auditevent WHERE id = %s", [rows[1].pk])
    assert _broken("gap").seq == rows[2].seq


def test_finding_1_reordered_rows_are_named(world):
    rows = _events(world, 4)
    a, b = rows[1], rows[2]
    _sql("UPDATE privacy_auditevent SET seq = -1 WHERE id = %s", [a.pk])
    _sql("UPDATE privacy_auditevent SET seq = %s WHERE id = %s", [a.seq, b.pk])
    _sql("UPDATE privacy_auditevent SET seq = %s WHERE id = %s", [b.seq, a.pk])
    assert _broken("prev_hash").seq == a.seq


@pytest.mark.parametrize("cut", [1, 50])
def test_finding_1_a_cut_tail_is_found_by_the_checkpoint(world, cut):
    rows = _events(world, 60)
    assert audit.verify().ok  # a good verification writes a checkpoint
    _sql("DELETE FROM privacy_auditevent WHERE seq > %s", [60 - cut])
    where = _broken("missing")
    assert f"rows {61 - cut} to 60 are missing" in where.problem
    assert "seq 60" in str(where)
    assert len(rows) == 60


def test_finding_1_an_emptied_log_is_found_by_the_checkpoint(world):
    _events(world, 5)
    assert audit.verify().ok
    _sql("DELETE FROM privacy_auditevent")
    assert "rows 1 to 5 are missing" in _broken("emptied").problem


def test_finding_1_a_rewrite_with_recomputed_unkeyed_hashes_is_found(world):
    rows = _events(world, 5)
    _sql("DELETE FROM privacy_auditevent WHERE id = %s", [rows[2].pk])
    kept = [r for r in rows if r.pk != rows[2].pk]
    for n, row in enumerate(kept, start=1):
        _sql("UPDATE privacy_auditevent SET seq = %s WHERE id = %s", [-n, row.pk])
    for n, row in enumerate(kept, start=1):
        row.seq, row.key_id = n, ""
        _sql("UPDATE privacy_auditevent SET seq = %s WHERE id = %s", [n, row.pk])
    _rechain(kept, audit.compute_hash)  # plain SHA-256: no key id
    assert _broken("without the audit key").seq == 1


@pytest.mark.parametrize("key_id", ["same id", "own id"])
def test_finding_1_a_rewrite_with_keyed_hashes_but_not_the_key_is_found(world, key_id):
    rows = _events(world, 4)
    forged_key = b"f" * 32
    real_id = audit.key_ring()[0][0]
    for row in rows:
        row.key_id = real_id if key_id == "same id" else "forged1"
        row.reason = "rewritten"
    _sql("UPDATE privacy_auditevent SET reason = 'rewritten'")

    def link(prev, row):
        message = prev.encode() + b"\n" + audit._canonical(row)
        return hmac.new(forged_key, message, hashlib.sha256).hexdigest()

    _rechain(rows, link)
    expected = "altered" if key_id == "same id" else "no configured key"
    assert _broken(expected).seq == 1


def test_finding_1_a_dropped_trigger_is_found(world):
    _events(world, 3)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER privacy_auditevent_append_only ON privacy_auditevent")
        else:
            cursor.execute("DROP TRIGGER privacy_auditevent_no_delete")
    where = _broken("trigger")
    assert where.seq == 0 and "is missing or disabled" in where.problem


def test_finding_1_the_guard_refuses_changes_through_the_application(world):
    rows = _events(world, 2)
    for statement in (
        "UPDATE privacy_auditevent SET reason = 'x' WHERE id = %s",
        "DELETE FROM privacy_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [rows[0].pk])
    assert audit.verify().ok


def test_finding_1_verify_reports_the_last_checkpoint_it_matched(world, settings, capsys):
    _events(world, 3)
    assert audit.verify().ok  # checkpoint at seq 3
    _events(world, 3)
    first = audit.verify()
    assert first.ok and first.checkpoint.seq == 3  # matched the one before; wrote seq 6
    _sql("DELETE FROM privacy_auditevent WHERE seq > 4")
    result = audit.verify()
    assert "rows 5 to 6 are missing" in result.first_break.problem
    assert result.checkpoint.seq == 3
    with pytest.raises(SystemExit):
        call_command("verify_audit")
    err = capsys.readouterr().err
    assert "rows 5 to 6 are missing" in err and "last checkpoint matched" in err


def test_finding_1_a_forged_checkpoint_is_found(world, settings):
    _events(world, 2)
    assert audit.verify().ok
    lines = settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()
    fake = json.loads(lines[-1]) | {"seq": 99, "mac": "0" * 64}
    with settings.AUDIT_CHECKPOINT_FILE.open("a") as out:
        out.write(json.dumps(fake) + "\n")
    assert "is not signed by an audit key" in _broken("checkpoint line 2").problem


def test_finding_1_a_replaced_log_is_found(world, settings):
    """Someone with the key but not the checkpoints rewrites the whole log from row 1."""
    rows = _events(world, 3)
    assert audit.verify().ok
    _sql("UPDATE privacy_auditevent SET reason = 'rewritten'")
    for row in rows:
        row.reason = "rewritten"
    _rechain(rows, audit.compute_hash)
    assert "it was replaced" in _broken("not the one").problem


def test_finding_1_the_checkpoint_task_writes_outside_the_database(world, settings):
    from dentalbridge.privacy.tasks import audit_checkpoint

    _events(world, 2)
    assert audit_checkpoint.call() == {"seq": 2}
    [line] = settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()
    assert json.loads(line)["seq"] == 2


def test_finding_1_without_a_configured_key_the_rows_do_not_verify(world, settings):
    _events(world, 2)
    settings.AUDIT_KEYS = audit.new_key_entry()  # rotated away, the old key lost
    assert "no configured key" in _broken("key id").problem


def test_finding_1_on_sqlite_a_client_without_the_application_is_refused(tmp_path):
    """The triggers of a SQLite database ask the application's guard function: the ``sqlite3``
    shell or a script has none, so its UPDATE or DELETE fails before touching a row."""
    import importlib
    import sqlite3

    migration = importlib.import_module(
        "dentalbridge.privacy.migrations.0011_audit_keyed_chain_and_sqlite_guard"
    )
    db = sqlite3.connect(tmp_path / "copy.sqlite3")
    db.execute("CREATE TABLE privacy_auditevent (id INTEGER PRIMARY KEY, reason TEXT)")
    for statement in migration.CREATE:
        db.execute(statement)
    db.execute("INSERT INTO privacy_auditevent (reason) VALUES ('kept')")  # appending works
    for statement in (
        "UPDATE privacy_auditevent SET reason = 'x'",
        "DELETE FROM privacy_auditevent",
    ):
        with pytest.raises(sqlite3.OperationalError, match=audit.SQLITE_GUARD):
            db.execute(statement)
    assert db.execute("SELECT reason FROM privacy_auditevent").fetchall() == [("kept",)]


def test_finding_1_a_rotated_key_keeps_the_old_rows_verifiable(world, settings):
    old = audit.new_key_entry()
    settings.AUDIT_KEYS = old
    _events(world, 2)
    assert audit.verify().ok  # a checkpoint signed with the old key
    new = audit.new_key_entry()
    settings.AUDIT_KEYS = f"{new},{old}"
    rows = _events(world, 2)
    assert {r.key_id for r in rows} == {old.split(":")[0], new.split(":")[0]}
    result = audit.verify()
    assert result.ok and result.checkpoint is not None and result.checkpoint.seq == 2


def test_processes_starting_at_once_share_one_key_file(tmp_path):
    """The web server, the worker and the scheduler start together on a fresh install: the key
    file is written whole and linked into place once, so every process reads the same key and
    none reads a half-written file."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from dentalbridge.privacy.tests.key_race import ring_id

    path = str(tmp_path / "audit.key")
    spawn = multiprocessing.get_context("spawn")  # no fork of this multi-threaded process
    with ProcessPoolExecutor(max_workers=4, mp_context=spawn) as pool:
        ids = set(pool.map(ring_id, [path] * 8))
    assert len(ids) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["audit.key"]  # no drafts left
    assert (tmp_path / "audit.key").stat().st_mode & 0o777 == 0o600
