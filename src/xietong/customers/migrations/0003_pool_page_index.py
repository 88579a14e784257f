"""The index of a pool's page: the customers waiting in a pool, newest arrivals first, in keyset
pages (``core.pagination`` orders ``released_at DESC NULLS LAST, id DESC``).

Written per database because SQLite cannot say ``NULLS LAST`` in an index; it sorts NULL lowest,
so its plain ``DESC`` index already puts them last. Not in the model's ``Meta`` for the same reason
(so ``makemigrations`` has nothing to say about it)."""

from django.db import migrations

NAME = "customers_rel_pool_new_idx"
TABLE = "customers_relationship"


def create(apps, schema_editor):
    nulls = " NULLS LAST" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX {NAME} ON {TABLE} (pool_id, released_at DESC{nulls}, id DESC) WHERE owner_id IS NULL"
    )


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX {NAME}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_duplicates_nametoken")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
