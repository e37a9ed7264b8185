"""Demo toilet after-care for ``manage.py seed_demo``: the town's contractor team serving its
villages with the demo login ``contractor``, a toilet for every household of village A (a few
due for emptying this month), a public toilet with its keeper, and a city check round.
Idempotent: a rerun finds everything and changes nothing."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from registry.models import Area, Household, User
from upkeep.models import CheckRound, ServiceCoverage, ServiceOrder, Toilet
from upkeep.services.toilets import (
    check_round_create,
    contractor_team_create,
    contractor_team_member_add,
    public_toilet_create,
)

TEAM_NAME = "抽渣维修一队"
COMPANY = "鲁源环境服务有限公司"
BUILDERS = ("淄博鲁源建设", "张店农村改厕工程队")
# Cycled over the village's households: type, tank volume (m³), months since last emptying.
PATTERN = [
    (Toilet.Type.THREE_COMPARTMENT, Decimal("1.5"), 2),
    (Toilet.Type.THREE_COMPARTMENT, Decimal("1.5"), 8),
    (Toilet.Type.DOUBLE_URN, Decimal("1.0"), 5),
    (Toilet.Type.THREE_COMPARTMENT, Decimal("2.0"), 11),
    (Toilet.Type.SEWER, None, None),
    (Toilet.Type.THREE_COMPARTMENT, Decimal("1.5"), 1),
]


def _months_ago(today: datetime.date, months: int) -> datetime.date:
    index = today.year * 12 + today.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, min(today.day, 28))


@transaction.atomic
def seed_upkeep(*, town: Area, village: Area) -> str:
    today = timezone.localdate()
    team = ServiceCoverage.objects.filter(team__area=town, team__name=TEAM_NAME).first()
    if team is None:
        villages = Area.objects.filter(
            path__startswith=town.path, level=Area.Level.VILLAGE
        ).order_by("path")
        team = contractor_team_create(
            actor=None,
            area=town,
            name=TEAM_NAME,
            company=COMPANY,
            phone="0533-2180000",
            villages=list(villages),
        )
    contractor = User.objects.filter(username="contractor").first()
    if contractor is not None:
        contractor_team_member_add(actor=None, team=team, user=contractor)

    households = Household.objects.filter(
        village=village, status=Household.Status.ACTIVE, toilet__isnull=True
    ).order_by("number")
    new = []
    for household in households:
        index = int(household.number) if household.number.isdigit() else household.pk
        kind, volume, months = PATTERN[index % len(PATTERN)]
        new.append(
            Toilet(
                village=village,
                household=household,
                type=kind,
                built_year=2018 + index % 3,
                builder=BUILDERS[index % 2],
                accepted_on=datetime.date(2018 + index % 3, 11, 15),
                acceptance=Toilet.Acceptance.PASSED,
                tank_volume=volume,
                last_emptied_on=_months_ago(today, months) if months is not None else None,
            )
        )
    Toilet.objects.bulk_create(new, batch_size=500)
    if not Toilet.objects.filter(village=village, household__isnull=True).exists():
        public_toilet_create(
            actor=None,
            village=village,
            name="村委会西侧公厕",
            type=Toilet.Type.THREE_COMPARTMENT,
            keeper_name="陈大爷",
            keeper_phone="13800000099",
            tank_volume=Decimal("6"),
        )
    if not CheckRound.objects.filter(area=village, level=CheckRound.Level.CITY).exists():
        inspector = User.objects.filter(username="inspector").first()
        if inspector is not None:
            check_round_create(
                actor=inspector,
                area=village,
                level=CheckRound.Level.CITY,
                title=f"{today.year}年市级农村户厕排查",
                starts_on=today,
                ends_on=today + datetime.timedelta(days=30),
            )
    orders = _demo_orders(village=village, contractor=contractor)
    toilets = Toilet.objects.filter(village=village).count()
    return (
        f"{team.company} {team.team.name}，{village.name} {toilets} 个厕所（新建 {len(new)} 个），"
        f"{orders} 张管护工单"
    )


def _demo_orders(*, village: Area, contractor: User | None) -> int:
    """The demo villager's household (0001) has an emptying done and waiting for its rating; two
    neighbours asked for a repair and an emptying the team has still to do. Fixed keys: a rerun
    files nothing."""
    from upkeep.services.orders import service_order_done, service_order_file

    toilets = list(
        Toilet.objects.filter(village=village, household__isnull=False)
        .exclude(type=Toilet.Type.SEWER)
        .select_related("household", "village")
        .order_by("household__number")[:3]
    )
    if len(toilets) < 3 or contractor is None:
        return ServiceOrder.objects.filter(toilet__village=village).count()
    plan = [
        (toilets[0], ServiceOrder.Kind.EMPTYING, "化粪池快满了，麻烦尽快来抽。"),
        (toilets[1], ServiceOrder.Kind.REPAIR, "冲水阀漏水。"),
        (toilets[2], ServiceOrder.Kind.EMPTYING, ""),
    ]
    for toilet, kind, note in plan:
        service = service_order_file(
            toilet=toilet,
            kind=kind,
            channel=ServiceOrder.Channel.PHONE,
            requested_by=None,
            key=f"demo:{toilet.pk}:{kind}",
            note=note,
        )
        is_first = toilet == toilets[0]
        if is_first and service.order.status == "assigned" and service.order.assignee_team_id:
            service_order_done(
                actor=contractor, service=service, photos=[_photo()], volume=Decimal("1.4")
            )
    return ServiceOrder.objects.filter(toilet__village=village).count()


def _photo():
    """A plain after-photo for the demo (made here: nothing binary is committed)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (480, 360), (96, 140, 88)).save(buffer, format="JPEG")
    return SimpleUploadedFile("after.jpg", buffer.getvalue(), content_type="image/jpeg")
