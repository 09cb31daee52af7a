"""The built-in case categories (Open311 services). Editable afterwards; codes are stable."""

from django.db import migrations

# code, name, English name, group, route_to, priority, response min, resolution min, residents may report
CATEGORIES = [
    ("thrown_object", "高空抛物", "Object thrown from height", "safety", "grid_worker", "urgent", 15, 240, True),
    ("littering", "垃圾房乱扔垃圾", "Littering at a garbage room", "environment", "property_manager", "normal", 120, 1440, True),
    ("ebike_elevator", "电动车进电梯", "E-bike taken into an elevator", "safety", "property_manager", "high", 120, 4320, True),
    ("noise", "噪声扰民", "Noise nuisance", "environment", "grid_worker", "high", 30, 240, True),
    ("welfare_check", "独居老人关怀", "Welfare check (elderly living alone)", "care", "grid_worker", "high", 60, 360, False),
    ("tenant_registration", "租户登记", "Tenant registration", "register", "grid_worker", "normal", 1440, 10080, False),
    ("device_fault", "设备故障", "Device fault", "maintenance", "community_staff", "normal", 240, 2880, False),
    ("public_facility", "公共设施损坏", "Damaged public facility", "environment", "property_manager", "normal", 240, 4320, True),
    ("parking", "乱停车", "Parking problem", "order", "property_manager", "normal", 120, 1440, True),
    ("neighbour_dispute", "邻里纠纷", "Neighbour dispute", "order", "grid_worker", "normal", 240, 4320, True),
    ("other", "其他问题", "Other", "other", "community_staff", "normal", 480, 7200, True),
]


def create(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    for code, name, name_en, group, route, priority, response, resolution, residents in CATEGORIES:
        Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "group": group,
                "route_to": route,
                "priority": priority,
                "response_minutes": response,
                "resolution_minutes": resolution,
                "residents_may_report": residents,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
