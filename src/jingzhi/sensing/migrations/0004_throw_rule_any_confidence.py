"""The built-in thrown-object rule opens a case whatever the event's confidence.

A ``throw.detected`` event's confidence says how surely the origin lies in the named floor and
window (``jingzhi vision``: near a floor's or column's edge it is 0.3-0.5), not whether something
fell; with the minimum at 0.5 a fall from near a window's corner was stored without a case. Rules
an administrator has changed (any other minimum) are left as they are.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    Rule = apps.get_model("sensing", "Rule")
    Rule.objects.filter(community=None, event_type="throw.detected", min_confidence=0.5).update(min_confidence=0.0)


def backwards(apps, schema_editor):
    Rule = apps.get_model("sensing", "Rule")
    Rule.objects.filter(community=None, event_type="throw.detected", min_confidence=0.0).update(min_confidence=0.5)


class Migration(migrations.Migration):
    dependencies = [("sensing", "0003_device_mqtt_password_hash")]
    operations = [migrations.RunPython(forwards, backwards)]
