"""The platform's indicators, with the seeds' targets (the district edits them later)."""

from django.db import migrations

INDICATORS = [
    # code, name, unit, source, aggregation, target, warning, how it is made
    ("sorting_participation", "垃圾分类参与率", "%", "computed", "rate", 90, 75,
     "检查到的农户 ÷ 在册农户"),
    ("sorting_pass_rate", "垃圾分类合格率", "%", "computed", "rate", 85, 70,
     "合格及以上的检查 ÷ 检查次数"),
    ("active_households", "积分活跃户占比", "%", "computed", "rate", 60, 40,
     "当期获得或兑换积分的农户 ÷ 在册农户"),
    ("points_issued", "发放积分", "分", "computed", "total", None, None, "当期发放的积分"),
    ("points_redeemed", "兑换积分", "分", "computed", "total", None, None,
     "当期兑换的积分（扣除撤销）"),
    ("appraisal_stars", "美家美院平均星级", "星", "computed", "mean", 3, 2,
     "当期评定结果的平均星级"),
    ("class_attendance", "学堂参与人次", "人次", "computed", "total", None, None,
     "线下课堂签到人次"),
    ("drinking_water", "饮用水合格率", "%", "entered", "rate", 90, 80, "村填报，附佐证"),
    ("sewage_treatment", "生活污水治理率", "%", "entered", "rate", 60, 50, "村填报，附佐证"),
    ("garbage_harmless", "生活垃圾无害化处理率", "%", "entered", "rate", 70, 60,
     "村填报，附佐证"),
    ("manure_use", "畜禽粪污综合利用率", "%", "entered", "rate", 70, 60, "村填报，附佐证"),
]


def add(apps, schema_editor):
    Indicator = apps.get_model("assessment", "Indicator")
    for position, row in enumerate(INDICATORS):
        code, name, unit, source, aggregation, target, warning, description = row
        Indicator.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "unit": unit,
                "source": source,
                "aggregation": aggregation,
                "target": target,
                "warning": warning,
                "description": description,
                "position": (position + 1) * 10,
            },
        )


def remove(apps, schema_editor):
    apps.get_model("assessment", "Indicator").objects.filter(
        code__in=[row[0] for row in INDICATORS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
