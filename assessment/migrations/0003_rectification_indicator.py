"""The work orders' indicator (supervision): rectification on time."""

from django.db import migrations


def add(apps, schema_editor):
    apps.get_model("assessment", "Indicator").objects.update_or_create(
        code="rectification_on_time",
        defaults={
            "name": "整改按时完成率",
            "unit": "%",
            "source": "computed",
            "aggregation": "rate",
            "target": 90,
            "warning": 75,
            "description": "到期工单中按期完成的 ÷ 到期工单",
            "position": 75,
        },
    )


def remove(apps, schema_editor):
    apps.get_model("assessment", "Indicator").objects.filter(
        code="rectification_on_time"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("assessment", "0002_indicators"), ("supervision", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
