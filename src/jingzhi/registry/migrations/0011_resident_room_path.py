from django.db import migrations, models

# Address search (see ``registry.search``): each resident carries its room's code path
# ("3/2/501"), indexed with the id, so "3幢2单元501" in every estate is one ordered index walk.
# Backfill from the rooms' paths (core 0004), SQLite and PostgreSQL alike.
# The name keeps one index, the pattern-ops one its prefix search uses: the plain index that
# ``db_index`` added besides it served no query (and every insert maintained it).
FILL = """
UPDATE registry_resident SET room_path = (
    SELECT r.code_path FROM registry_household h JOIN core_place r ON r.id = h.room_id
    WHERE h.id = registry_resident.household_id
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_place_code_path"),
        ("registry", "0010_resident_pinyin_id_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="resident",
            name="name",
            field=models.CharField(max_length=64, verbose_name="name"),
        ),
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["name"], name="resident_name_prefix", opclasses=["varchar_pattern_ops"]),
        ),
        migrations.AddField(
            model_name="resident",
            name="room_path",
            field=models.CharField(blank=True, default="", editable=False, max_length=100),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(
                fields=["room_path", "id"],
                include=["subdistrict", "community", "grid"],
                name="resident_room_path_id",
            ),
        ),
    ]
