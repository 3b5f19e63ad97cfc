"""The keyed chain names the key of each row (``key_id``; empty for rows written before), and
SQLite gets the append-only guard PostgreSQL has had since 0002 (PRV-6).

SQLite triggers cannot read a session setting, so the guard asks a function the application
registers on each of its connections (``privacy.audit.SQLITE_GUARD``): it refuses UPDATE and
DELETE unless the test suite's flush between transactional tests asked for them. Any other
client — the ``sqlite3`` shell, a script — does not have the function and is refused outright;
dropping the triggers is what ``verify_audit`` then reports.
"""

from django.db import migrations, models

GUARD = "dentalbridge_audit_locked"

CREATE = [
    f"""CREATE TRIGGER privacy_auditevent_no_update BEFORE UPDATE ON privacy_auditevent
    WHEN {GUARD}() BEGIN SELECT RAISE(ABORT, 'privacy_auditevent is append-only: UPDATE refused');
    END""",
    f"""CREATE TRIGGER privacy_auditevent_no_delete BEFORE DELETE ON privacy_auditevent
    WHEN {GUARD}() BEGIN SELECT RAISE(ABORT, 'privacy_auditevent is append-only: DELETE refused');
    END""",
]
DROP = [
    "DROP TRIGGER IF EXISTS privacy_auditevent_no_update",
    "DROP TRIGGER IF EXISTS privacy_auditevent_no_delete",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in CREATE:
            schema_editor.execute(statement, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in DROP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0010_gdpr_tables_move_to_gdpr_app")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.RunPython(create, drop),
    ]
