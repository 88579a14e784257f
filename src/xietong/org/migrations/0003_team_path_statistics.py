"""Finer statistics on ``org_team.path`` (PostgreSQL): every visibility check of a manager reads
"the teams under this path", and with the default statistics the planner guessed a subtree of 43
teams at 344 of 57,866 and scanned the whole table instead of the path index."""

from typing import Any

from django.db import migrations


def finer_statistics(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE org_team ALTER COLUMN path SET STATISTICS 1000")
        schema_editor.execute("ANALYZE org_team")


def default_statistics(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE org_team ALTER COLUMN path SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("org", "0002_user_email_notifications")]

    operations = [migrations.RunPython(finer_statistics, default_statistics)]
