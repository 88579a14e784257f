"""The database itself refuses to change audit rows (defence in depth behind the model's guard).

UPDATE is refused on every backend. DELETE is refused on PostgreSQL; on SQLite a DELETE trigger
would also stop the test runner's table flush, so there the application guard alone applies
(docs/adr/0004-audit-trail.md).
"""

from django.db import migrations

SQLITE_UP = """
CREATE TRIGGER IF NOT EXISTS core_auditentry_no_update BEFORE UPDATE ON core_auditentry
BEGIN SELECT RAISE(ABORT, 'audit entries cannot be changed'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS core_auditentry_no_update;"

PG_UP = """
CREATE OR REPLACE FUNCTION core_auditentry_immutable() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit entries cannot be changed or deleted'; END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS core_auditentry_immutable ON core_auditentry;
CREATE TRIGGER core_auditentry_immutable BEFORE UPDATE OR DELETE ON core_auditentry
FOR EACH ROW EXECUTE FUNCTION core_auditentry_immutable();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS core_auditentry_immutable ON core_auditentry;
DROP FUNCTION IF EXISTS core_auditentry_immutable();
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)
    elif vendor == "postgresql":
        schema_editor.execute(PG_UP)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)
    elif vendor == "postgresql":
        schema_editor.execute(PG_DOWN)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
