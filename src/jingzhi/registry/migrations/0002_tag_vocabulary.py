from django.db import migrations

CODES = ["party_member", "veteran", "disabled", "dibao", "tekun", "dibian", "key_care"]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    Tag = apps.get_model("registry", "Tag")
    for code in CODES:
        Tag.objects.get_or_create(code=code)


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
