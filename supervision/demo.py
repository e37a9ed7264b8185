"""Demo data for supervision (called by ``manage.py seed_demo``): the district's checklist and
work order categories, the 包村 official of village A, a round of the town through village A and
its neighbour walked by ``inspector``: two failed items became orders; one was fixed by
``committee`` with an after photo and accepted, one waits, and an older one is overdue. Every
write has a fixed key or a natural one, so a rerun adds nothing."""

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from points.models import EarningRule
from points.services.rules import rule_create
from registry.models import Area, User
from supervision.models import Category, ChecklistItem, Liaison, Round, WorkOrder
from supervision.services.deductions import DEDUCTION_RULE
from supervision.services.inspections import inspection_item_record, round_plan
from supervision.services.workorders import (
    work_order_check,
    work_order_create,
    work_order_done,
    work_orders_escalate,
)

# (code, name, what to look for, weight, days to fix)
CHECKLIST = [
    ("three-piles", "三大堆", "柴草堆、粪土堆、垃圾堆是否清理", 20, 5),
    ("ruined-walls", "残垣断壁", "残垣断壁、危旧房是否拆除或修复", 15, 15),
    ("illegal-building", "乱搭乱建", "私搭乱建是否拆除", 15, 15),
    ("clutter", "乱堆乱放", "房前屋后、街巷是否整洁", 15, 5),
    ("ponds", "沟塘", "沟渠坑塘是否有漂浮垃圾、淤积", 10, 7),
    ("garbage-collection", "垃圾收运", "垃圾桶是否满溢、是否日产日清", 10, 3),
    ("public-toilet", "公厕", "公厕是否干净、设施完好", 10, 5),
    ("sewage", "污水", "是否有污水横流", 5, 7),
]


def _photo(color: str, label: str) -> SimpleUploadedFile:
    image = Image.new("RGB", (640, 480), color)
    ImageDraw.Draw(image).text((20, 20), label, fill="white")
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return SimpleUploadedFile(f"{label}.jpg", out.getvalue(), content_type="image/jpeg")


def _checklist(district: Area) -> dict[str, ChecklistItem]:
    items = {}
    for position, (code, name, guidance, weight, days) in enumerate(CHECKLIST):
        category, _ = Category.objects.get_or_create(
            code=code, defaults={"name": name, "source": "inspection", "days": days}
        )
        items[code], _ = ChecklistItem.objects.get_or_create(
            district=district,
            name=name,
            defaults={
                "guidance": guidance,
                "weight": weight,
                "days": days,
                "category": category,
                "position": position,
            },
        )
    return items


def seed_supervision(*, district: Area, town: Area, village: Area) -> str:
    items = _checklist(district)
    Liaison.objects.get_or_create(
        village=village, defaults={"official": "王振国", "department": "区农业农村局"}
    )
    if not EarningRule.objects.filter(code=DEDUCTION_RULE, area=district).exists():
        rule_create(
            actor=None,
            area=district,
            code=DEDUCTION_RULE,
            category=EarningRule.Category.OTHER,
            kind=EarningRule.Kind.DEDUCT,
            is_published=True,
            name="督查发现户前三大堆",
            points=5,
            valid_from=dt.date(2020, 1, 1),
        )
    inspector = User.objects.get(username="inspector")
    committee = User.objects.get(username="committee")
    neighbour = (
        Area.objects.filter(level=Area.Level.VILLAGE, path__startswith=town.path)
        .exclude(pk=village.pk)
        .order_by("path")
        .first()
    )
    now = timezone.now()
    today = timezone.localdate()
    name = "本周人居环境督查"
    found = Round.objects.filter(area=town, name=name).first() or round_plan(
        area=town,
        name=name,
        planned_on=today,
        villages=[v for v in (village, neighbour) if v is not None],
        actor=inspector,
    )
    results = {}
    for code, item in items.items():
        is_pass = code not in {"three-piles", "ponds"}
        results[code] = inspection_item_record(
            round=found,
            village=village,
            item=item,
            is_pass=is_pass,
            actor=inspector,
            key=f"demo-inspection:{found.pk}:{code}",
            note=""
            if is_pass
            else {"three-piles": "村西路口柴草堆", "ponds": "村南坑塘漂浮垃圾"}[code],
            photos=[] if is_pass else [_photo("#8d6e63", code)],
            latitude=36.807 if not is_pass else None,
            longitude=118.054 if not is_pass else None,
            now=now - dt.timedelta(days=3),
        )
    fixed = results["three-piles"].work_order
    if fixed is not None and fixed.status == WorkOrder.Status.ASSIGNED:
        fixed = work_order_done(
            order=fixed,
            actor=committee,
            photos=[_photo("#2e7d32", "fixed")],
            note="已组织清理，柴草移至统一堆放点",
            now=now - dt.timedelta(days=1),
        )
        work_order_check(order=fixed, actor=inspector, is_accepted=True, note="现场复核已清理")
    late_category = Category.objects.get(code="ruined-walls")
    work_order_create(
        category=late_category,
        area=village,
        title="村北残垣断壁未修复",
        actor=inspector,
        assignee_area=village,
        deadline_at=now - dt.timedelta(days=2),
        key="demo-late-order",
        now=now - dt.timedelta(days=17),
    )
    work_orders_escalate(now=now)
    return f"督查清单 {len(items)} 项，工单 {WorkOrder.objects.filter(area__path__startswith=village.path).count()} 张"
