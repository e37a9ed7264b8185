"""Toilet after-care's indicators (upkeep): response time, completion within deadline, 农户满意率."""

from django.db import migrations

ROWS = [
    ("aftercare_response_hours", "管护响应时长", "小时", "mean", "lower", 24, 48,
     "农户申请到服务队接单的平均小时数", 80),
    ("aftercare_within_deadline", "管护按时完成率", "%", "rate", "higher", 90, 75,
     "按时完成的抽渣、维修工单 ÷ 申请的工单", 81),
    ("aftercare_satisfaction", "农户满意率", "%", "rate", "higher", 90, 80,
     "满意与基本满意 ÷ 已评价的工单", 82),
]  # fmt: skip


def add(apps, schema_editor):
    Indicator = apps.get_model("assessment", "Indicator")
    for code, name, unit, aggregation, direction, target, warning, description, position in ROWS:
        Indicator.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "unit": unit,
                "source": "computed",
                "aggregation": aggregation,
                "direction": direction,
                "target": target,
                "warning": warning,
                "description": description,
                "position": position,
            },
        )


def remove(apps, schema_editor):
    apps.get_model("assessment", "Indicator").objects.filter(
        code__in=[row[0] for row in ROWS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("assessment", "0004_inspection_indicators")]
    operations = [migrations.RunPython(add, remove)]
