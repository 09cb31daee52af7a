from django.db import migrations, models

# Backfill level by level, top first: each level's path is its parent's plus its own code
# (SQLite and PostgreSQL alike).
FILL = [
    "UPDATE core_place SET code_path = code WHERE kind = 'building'",
    *(
        f"""
        UPDATE core_place SET code_path = (
            SELECT p.code_path FROM core_place p WHERE p.id = core_place.parent_id
        ) || '/' || code
        WHERE kind = '{kind}'
        """
        for kind in ("unit", "room")
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_search_support"),
    ]

    operations = [
        migrations.AddField(
            model_name="place",
            name="code_path",
            field=models.CharField(blank=True, default="", editable=False, max_length=100),
        ),
        *(migrations.RunSQL(sql, migrations.RunSQL.noop) for sql in FILL),
    ]
