"""A small district with hand-countable records for the assessment tests: two towns, three
villages, households, sorting rounds, points, appraisal results and class check-ins, all dated
in March 2026 (nothing depends on today's date)."""

import datetime
import itertools
from decimal import Decimal

from django.utils import timezone

from assessment.models import Indicator, Scheme, SchemeItem
from points.models import (
    Account,
    AppraisalCampaign,
    AppraisalLevel,
    AppraisalResult,
    LedgerTransaction,
    SortingCheck,
    SortingRound,
)
from points.services.ledger import (
    Leg,
    Source,
    household_account,
    points_award,
    transaction_record,
)
from registry.models import Area, Household
from tests.factories import UserFactory, make_district, make_household, make_town, make_village
from tests.points.factories import make_sorting_rules

MARCH = datetime.date(2026, 3, 1)
APRIL = datetime.date(2026, 4, 1)
_keys = itertools.count(1)


def check(round_, household, grade, *, version, recorder, conflict=False):
    return SortingCheck.objects.create(
        round=round_,
        household=household,
        grade=grade,
        rule_version=version,
        points=1,
        recorded_by=recorder,
        idempotency_key=f"t-check:{next(_keys)}",
        is_conflict=conflict,
    )


def award(household, amount, on, *, source=None):
    return points_award(
        household=household,
        amount=amount,
        reason="测试",
        idempotency_key=f"t-award:{next(_keys)}",
        actor=None,
        occurred_on=on,
        source=source,
    )


def appraise(village, household, stars, on):
    campaign = AppraisalCampaign.objects.create(
        village=village,
        title="美家美院",
        period_start=on,
        period_end=on,
        status=AppraisalCampaign.Status.CLOSED,
    )
    level = AppraisalLevel.objects.create(
        campaign=campaign, name=f"{stars}星", stars=stars, min_total=0, points=0
    )
    return AppraisalResult.objects.create(
        campaign=campaign,
        household=household,
        level=level,
        awarded_at=timezone.make_aware(datetime.datetime.combine(on, datetime.time(10))),
    )


def ensure_indicators() -> None:
    """The indicator rows the data migrations add (a transactional test's flush removes them)."""
    import importlib

    from django.apps import apps

    for name in ("0002_indicators", "0003_rectification_indicator", "0004_inspection_indicators"):
        importlib.import_module(f"assessment.migrations.{name}").add(apps, None)


def make_world() -> dict:
    """东镇: 甲村 (4 households), 乙村 (2); 西镇: 丙村 (3). March 2026 records:

    - 甲村: a round on 3-05 checks h1 pass, h2 excellent, h3 fail; a round on 3-20 checks h1
      fail again and h2 twice in conflict (left out). Participation 3/4, pass rate 2/4.
    - 乙村: a round on 3-10 checks both households good. Participation 2/2, pass 2/2.
    - 丙村: no round. A round on 2-27 in 丙村 is February's.
    - Points in March: 甲 h1 +10, h2 +5 (class check-in), 乙 h1 +20 then spends 8;
      丙 h1 +3 on 2-28 (February). Active: 甲 2 of 4, 乙 1 of 2, 丙 0 of 3.
    - Appraisals: 甲 h1 3 stars and h2 5 stars on 3-15; 乙 h1 4 stars on 4-02 (April).
    """
    ensure_indicators()
    district = make_district()
    east = make_town(Area.objects.get(pk=district.pk), name="东镇")
    west = make_town(Area.objects.get(pk=district.pk), name="西镇")
    jia = make_village(Area.objects.get(pk=east.pk), name="甲村")
    yi = make_village(Area.objects.get(pk=east.pk), name="乙村")
    bing = make_village(Area.objects.get(pk=west.pk), name="丙村")
    homes = {
        jia: [make_household(jia, head_name=f"甲{n}") for n in range(4)],
        yi: [make_household(yi, head_name=f"乙{n}") for n in range(2)],
        bing: [make_household(bing, head_name=f"丙{n}") for n in range(3)],
    }
    gone = make_household(jia, head_name="迁出")
    Household.objects.filter(pk=gone.pk).update(status=Household.Status.MOVED_OUT)
    version = make_sorting_rules(Area.objects.get(pk=district.pk))["sorting-pass"].versions.first()
    recorder = UserFactory()
    g = SortingCheck.Grade
    h = homes[jia]
    r1 = SortingRound.objects.create(village=jia, held_on=datetime.date(2026, 3, 5))
    check(r1, h[0], g.PASS, version=version, recorder=recorder)
    check(r1, h[1], g.EXCELLENT, version=version, recorder=recorder)
    check(r1, h[2], g.FAIL, version=version, recorder=recorder)
    r2 = SortingRound.objects.create(village=jia, held_on=datetime.date(2026, 3, 20))
    check(r2, h[0], g.FAIL, version=version, recorder=recorder)
    check(r2, h[1], g.GOOD, version=version, recorder=recorder, conflict=True)
    check(r2, h[1], g.FAIL, version=version, recorder=recorder, conflict=True)
    r3 = SortingRound.objects.create(village=yi, held_on=datetime.date(2026, 3, 10))
    for household in homes[yi]:
        check(r3, household, g.GOOD, version=version, recorder=recorder)
    r4 = SortingRound.objects.create(village=bing, held_on=datetime.date(2026, 2, 27))
    check(r4, homes[bing][0], g.PASS, version=version, recorder=recorder)

    award(h[0], 10, datetime.date(2026, 3, 6))
    award(h[1], 5, datetime.date(2026, 3, 12), source=Source("class_session", 1))
    award(homes[yi][0], 20, datetime.date(2026, 3, 11))
    transaction_record(
        kind=LedgerTransaction.Kind.REDEMPTION,
        legs=[Leg(household_account(homes[yi][0]), -8), Leg(_store_account(1), 8)],
        reason="兑换",
        idempotency_key=f"t-spend:{next(_keys)}",
        actor=None,
        occurred_on=datetime.date(2026, 3, 25),
    )
    award(homes[bing][0], 3, datetime.date(2026, 2, 28))
    appraise(jia, h[0], 3, datetime.date(2026, 3, 15))
    appraise(jia, h[1], 5, datetime.date(2026, 3, 15))
    appraise(yi, homes[yi][0], 4, datetime.date(2026, 4, 2))
    return {
        "district": Area.objects.get(pk=district.pk),
        "east": Area.objects.get(pk=east.pk),
        "west": Area.objects.get(pk=west.pk),
        "jia": jia,
        "yi": yi,
        "bing": bing,
        "homes": homes,
    }


def make_scheme(district: Area, weights: dict[str, str], valid_from=datetime.date(2026, 1, 1)):
    scheme = Scheme.objects.create(district=district, name="2026年考核方案", valid_from=valid_from)
    for code, weight in weights.items():
        SchemeItem.objects.create(
            scheme=scheme, indicator=Indicator.objects.get(code=code), weight=Decimal(weight)
        )
    return scheme


def make_orders(world: dict) -> dict:
    """Work orders due in March 2026: 甲村 three (one done on time, one done late, one still
    open and overdue), its group one done on time; 丙村 one due in April (not March's)."""
    from supervision.models import Category, WorkOrder

    category = Category.objects.get_or_create(code="clutter", defaults={"name": "乱堆乱放"})[0]
    tz = datetime.UTC

    def order(area, title, deadline, *, status="assigned", done=None):
        return WorkOrder.objects.create(
            category=category,
            title=title,
            area=area,
            status=status,
            assignee_area=world["jia"] if area.level != "town" else area,
            deadline_at=datetime.datetime.combine(deadline, datetime.time(12), tzinfo=tz),
            done_at=None
            if done is None
            else datetime.datetime.combine(done, datetime.time(9), tzinfo=tz),
        )

    group = world["jia"].get_children().first()
    return {
        "on_time": order(
            world["jia"],
            "三大堆清理",
            datetime.date(2026, 3, 10),
            status="closed",
            done=datetime.date(2026, 3, 9),
        ),
        "late": order(
            world["jia"],
            "残垣断壁",
            datetime.date(2026, 3, 12),
            status="checked",
            done=datetime.date(2026, 3, 14),
        ),
        "overdue": order(world["jia"], "沟塘垃圾", datetime.date(2026, 3, 15)),
        "group": order(
            group,
            "柴草乱堆",
            datetime.date(2026, 3, 20),
            status="done",
            done=datetime.date(2026, 3, 18),
        ),
        "april": order(world["bing"], "污水横流", datetime.date(2026, 4, 3)),
    }


def _store_account(store_id: int) -> Account:
    account, _created = Account.objects.get_or_create(kind=Account.Kind.STORE, store_id=store_id)
    return account
