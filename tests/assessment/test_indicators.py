"""Each computed indicator equals a hand count on a small district (tests/assessment/factories),
and the roll-up's town and district figures equal the raw computation over their villages."""

import datetime
from decimal import Decimal

import pytest

from assessment.indicators import COMPUTED
from assessment.models import Figure, Indicator, Period
from assessment.services import figures_roll_up
from tests.assessment.factories import APRIL, MARCH, make_world

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 4, 1, 3, 10, tzinfo=datetime.UTC)


@pytest.fixture
def world():
    return make_world()


def _march(code):
    return COMPUTED[code](start=MARCH, end=APRIL)


def test_sorting_participation_counts_households_checked_over_active_households(world):
    result = _march("sorting_participation")
    assert result[world["jia"].pk] == (3, 4)  # the moved-out household does not count
    assert result[world["yi"].pk] == (2, 2)
    assert result[world["bing"].pk] == (0, 3)  # its round was in February


def test_sorting_pass_rate_leaves_out_checks_in_conflict(world):
    result = _march("sorting_pass_rate")
    assert result[world["jia"].pk] == (2, 4)
    assert result[world["yi"].pk] == (2, 2)
    assert world["bing"].pk not in result


def test_points_issued_redeemed_and_active_households(world):
    issued = _march("points_issued")
    redeemed = _march("points_redeemed")
    active = _march("active_households")
    assert issued[world["jia"].pk][0] == 15
    assert issued[world["yi"].pk][0] == 20
    assert world["bing"].pk not in issued  # February's award
    assert redeemed[world["yi"].pk][0] == 8
    assert redeemed[world["jia"].pk][0] == 0
    assert active[world["jia"].pk] == (2, 4)
    assert active[world["yi"].pk] == (1, 2)
    assert active[world["bing"].pk] == (0, 3)


def test_a_week_sums_postings_like_a_month_sums_month_rows(world):
    week = datetime.date(2026, 3, 9)  # Monday 3-09 … 3-15: 乙's award on 3-11, 甲's class 3-12
    issued = COMPUTED["points_issued"](start=week, end=week + datetime.timedelta(days=7))
    assert issued == {world["jia"].pk: (5, None), world["yi"].pk: (20, None)}
    active = COMPUTED["active_households"](start=week, end=week + datetime.timedelta(days=7))
    assert active[world["jia"].pk] == (1, 4)


def test_appraisal_stars_and_class_attendance(world):
    stars = _march("appraisal_stars")
    assert stars == {world["jia"].pk: (8, 2)}  # 乙's result is April's
    assert _march("class_attendance") == {world["jia"].pk: (1, None)}


def test_roll_up_sums_villages_into_towns_and_the_district(world):
    count = figures_roll_up(period=Period.MONTH, starts_on=MARCH, now=NOW)
    assert count == Figure.objects.filter(period=Period.MONTH, starts_on=MARCH).count()

    def figure(code, area):
        return Figure.objects.get(
            indicator__code=code, area=area, period=Period.MONTH, starts_on=MARCH
        )

    for code, function in COMPUTED.items():
        indicator = Indicator.objects.get(code=code)
        raw = function(start=MARCH, end=APRIL)
        for town, villages in [
            (world["east"], [world["jia"], world["yi"]]),
            (world["west"], [world["bing"]]),
            (world["district"], [world["jia"], world["yi"], world["bing"]]),
        ]:
            parts = [raw[v.pk] for v in villages if v.pk in raw]
            if not parts:
                assert not Figure.objects.filter(indicator=indicator, area=town).exists()
                continue
            numerator = sum(Decimal(n) for n, _d in parts)
            denominators = [d for _n, d in parts if d is not None]
            expected = indicator.value_of(numerator, sum(denominators) if denominators else None)
            assert figure(code, town).value == expected, (code, town.name)
    assert figure("sorting_participation", world["east"]).value == Decimal("83.33")  # 5 / 6
    assert figure("sorting_participation", world["district"]).value == Decimal("55.56")  # 5/9
    assert figure("points_issued", world["district"]).value == 35


def test_a_rerun_replaces_the_period_and_leaves_others(world):
    figures_roll_up(period=Period.MONTH, starts_on=MARCH, now=NOW)
    figures_roll_up(period=Period.MONTH, starts_on=datetime.date(2026, 2, 1), now=NOW)
    before = Figure.objects.count()
    figures_roll_up(period=Period.MONTH, starts_on=MARCH, now=NOW)
    assert Figure.objects.count() == before
    february = Figure.objects.get(
        indicator__code="sorting_participation",
        area=world["bing"],
        period=Period.MONTH,
        starts_on=datetime.date(2026, 2, 1),
    )
    assert february.value == Decimal("33.33")


def test_quarter_and_year_cover_their_months(world):
    figures_roll_up(period=Period.QUARTER, starts_on=MARCH, now=NOW)
    quarter = Figure.objects.get(
        indicator__code="points_issued",
        area=world["district"],
        period=Period.QUARTER,
        starts_on=datetime.date(2026, 1, 1),
    )
    assert quarter.value == 38  # March's 35 and February's 3


def test_colours_follow_target_and_warning():
    indicator = Indicator.objects.get(code="sorting_participation")  # ≥ 90, amber from 75
    assert indicator.colour(Decimal(92)) == "green"
    assert indicator.colour(Decimal(80)) == "amber"
    assert indicator.colour(Decimal(50)) == "red"
    assert indicator.colour(None) == "grey"
    lower = Indicator(direction=Indicator.Direction.LOWER, target=Decimal(5), warning=Decimal(8))
    assert lower.colour(Decimal(4)) == "green"
    assert lower.colour(Decimal(7)) == "amber"
    assert lower.colour(Decimal(9)) == "red"


def test_rectification_on_time_counts_orders_due_in_the_period(world):
    from tests.assessment.factories import make_orders

    make_orders(world)
    result = _march("rectification_on_time")
    assert result == {world["jia"].pk: (2, 4)}  # the group's order counts for its village
    april = COMPUTED["rectification_on_time"](start=APRIL, end=datetime.date(2026, 5, 1))
    assert april == {world["bing"].pk: (0, 1)}
