"""PostgreSQL indexes for the search box at a million residents.

* ``varchar_pattern_ops`` on the name and the pinyin columns, so the prefix searches
  (LIKE '张三%', LIKE 'zs%') use a btree whatever the database collation.

SQLite uses the ordinary indexes declared on the model; this migration does nothing there.
"""

from django.db import migrations

FORWARD = [
    "CREATE INDEX IF NOT EXISTS resident_name_prefix ON registry_resident (name varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS resident_initials_prefix ON registry_resident (name_initials varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS resident_pinyin_prefix ON registry_resident (name_pinyin varchar_pattern_ops)",
]
REVERSE = [
    "DROP INDEX IF EXISTS resident_name_prefix",
    "DROP INDEX IF EXISTS resident_initials_prefix",
    "DROP INDEX IF EXISTS resident_pinyin_prefix",
]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def reverse(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for statement in REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_tag_vocabulary")]
    operations = [migrations.RunPython(forward, reverse)]
