"""On PostgreSQL the audit table refuses UPDATE and DELETE at the database level (PRV-6), so not
even a bug or a hand-typed query through the application's role can rewrite history. SQLite has
no such guard; there the hash chain (``manage.py verify_audit``) detects any change."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION privacy_audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'privacy_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER privacy_auditevent_append_only
    BEFORE UPDATE OR DELETE ON privacy_auditevent
    FOR EACH ROW EXECUTE FUNCTION privacy_audit_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS privacy_auditevent_append_only ON privacy_auditevent;
DROP FUNCTION IF EXISTS privacy_audit_refuse_change();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_audit_event")]

    operations = [migrations.RunPython(create, drop)]
