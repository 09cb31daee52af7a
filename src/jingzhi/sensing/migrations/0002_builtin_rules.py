"""The built-in platform-wide rules. Communities override them with their own rows."""

from django.db import migrations

# event type, name, action, category code, min confidence, suppression s, repeat threshold, window s, command, params
RULES = [
    ("throw.detected", "高空抛物 → 紧急工单", "open_case", "thrown_object", 0.5, 600, 1, 86400, "", {}),
    ("litter.detected", "乱扔垃圾 → 物业工单", "open_case", "littering", 0.5, 1800, 1, 86400, "", {}),
    (
        "ebike.elevator",
        "电动车进电梯 → 阻止关门并语音提示；屡犯开工单",
        "command",
        "ebike_elevator",
        0.5,
        86400,
        3,
        7 * 86400,
        "hold_door",
        {"seconds": 30, "voice": "电动车禁止进入电梯，请退出。"},
    ),
    ("noise.exceeded", "噪声超标 → 网格工单", "open_case", "noise", 0.0, 3600, 1, 86400, "", {}),
    ("watch.offline", "设备离线超时 → 维修工单", "open_case", "device_fault", 0.0, 0, 1, 0, "", {}),
    ("watch.welfare", "独居老人48小时未出入 → 关怀工单", "open_case", "welfare_check", 0.0, 0, 1, 0, "", {"hours": 48, "min_age": 60}),
    ("watch.tenant", "未登记人员频繁出入出租房小区 → 租户登记工单", "open_case", "tenant_registration", 0.0, 0, 1, 0, "", {"passes": 5, "days": 7}),
]


def create(apps, schema_editor):
    Rule = apps.get_model("sensing", "Rule")
    Category = apps.get_model("cases", "Category")
    for event_type, name, action, category, confidence, suppression, threshold, window, command, params in RULES:
        Rule.objects.get_or_create(
            community=None,
            event_type=event_type,
            defaults={
                "name": name,
                "action": action,
                "category": Category.objects.get(code=category),
                "min_confidence": confidence,
                "suppression_s": suppression,
                "repeat_threshold": threshold,
                "repeat_window_s": window,
                "command": command,
                "params": params,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("sensing", "0001_initial"), ("cases", "0002_builtin_categories")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
