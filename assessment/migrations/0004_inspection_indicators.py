"""Supervision's inspection indicators: the village's inspection score and its relapses."""

from django.db import migrations

ROWS = [
    ("inspection_score", "督查得分", "分", "mean", "higher", 90, 75, "当期督查轮次的平均得分", 76),
    ("relapses", "问题反弹", "处", "total", "lower", 0, 2, "复查时再次发现的问题数", 77),
]


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
    dependencies = [("assessment", "0003_rectification_indicator")]
    operations = [migrations.RunPython(add, remove)]
