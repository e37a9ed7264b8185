"""Scores under the scheme in force, ranks within the town and the district, the change since the
last period, and the monthly red and black lists with their faults and approval."""

import datetime
from decimal import Decimal

import pytest

from assessment.exceptions import AssessmentError
from assessment.models import Period, RankingEntry, RankingList, Score
from assessment.selectors import ranking_list_published
from assessment.services import (
    assessment_roll_up,
    figures_roll_up,
    ranking_list_approve,
    ranking_list_draft,
    scores_compute,
)
from tests.assessment.factories import MARCH, make_scheme, make_world
from tests.factories import Role, make_staff

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 4, 1, 3, 10, tzinfo=datetime.UTC)
FEBRUARY = datetime.date(2026, 2, 1)


@pytest.fixture
def world():
    world = make_world()
    # participation ≥ 90 (weight 2), pass rate ≥ 85 (weight 1)
    make_scheme(world["district"], {"sorting_participation": "2", "sorting_pass_rate": "1"})
    for month in (FEBRUARY, MARCH):
        figures_roll_up(period=Period.MONTH, starts_on=month, now=NOW)
        scores_compute(period=Period.MONTH, starts_on=month, now=NOW)
    return world


def score(area, month=MARCH):
    return Score.objects.get(area=area, period=Period.MONTH, starts_on=month)


def test_scores_weigh_attainment_of_targets(world):
    # 甲: participation 75 → 75/90, pass rate 50 → 50/85; (2 × 0.8333 + 0.5882) / 3
    assert score(world["jia"]).score == Decimal("75.16")
    assert score(world["yi"]).score == Decimal("100.00")
    # 丙: participation 0, no checks so no pass rate: only the first item counts
    assert score(world["bing"]).score == Decimal("0.00")


def test_villages_rank_within_their_town_and_towns_within_the_district(world):
    assert (score(world["yi"]).rank, score(world["yi"]).rank_of) == (1, 2)
    assert (score(world["jia"]).rank, score(world["jia"]).rank_of) == (2, 2)
    assert (score(world["bing"]).rank, score(world["bing"]).rank_of) == (1, 1)
    assert score(world["bing"]).district_rank == 3
    assert score(world["east"]).rank == 1 and score(world["west"]).rank == 2


def test_change_since_the_last_period(world):
    # 丙 had its only round in February: participation 1/3 → 33.33/90 (weight 2), pass rate
    # 1/1 (weight 1): (2 × 0.37037 + 1) / 3
    assert score(world["bing"], FEBRUARY).score == Decimal("58.02")
    assert score(world["bing"]).change == Decimal("-58.02")
    assert score(world["jia"], FEBRUARY).score == Decimal("0.00")
    assert score(world["jia"]).previous_score == Decimal("0.00")


def test_the_black_list_names_the_fault_and_the_district_approves(world):
    ranking_list = ranking_list_draft(district=world["district"], month=MARCH, now=NOW)
    entries = {e.village_id: e for e in ranking_list.entries.all()}
    assert entries[world["yi"].pk].colour == RankingEntry.Colour.RED
    black = entries[world["bing"].pk]
    assert black.colour == RankingEntry.Colour.BLACK
    assert "垃圾分类参与率" in black.fault and "0.00%" in black.fault
    assert ranking_list_published(area=world["jia"]) is None  # not approved yet
    town_admin = make_staff(Role.TOWN_ADMIN, world["east"])
    with pytest.raises(AssessmentError):
        ranking_list_approve(ranking_list=ranking_list, actor=town_admin)
    district_admin = make_staff(Role.DISTRICT_ADMIN, world["district"])
    ranking_list_approve(ranking_list=ranking_list, actor=district_admin)
    published = ranking_list_published(area=world["jia"])
    assert [e.village_id for e in published.black] == [world["bing"].pk]
    # an approved list is never redrafted
    assert ranking_list_draft(district=world["district"], month=MARCH, now=NOW).entries.count()
    assert RankingList.objects.get().status == RankingList.Status.APPROVED


def test_who_got_off_the_black_list(world):
    admin = make_staff(Role.DISTRICT_ADMIN, world["district"])
    february = ranking_list_draft(district=world["district"], month=FEBRUARY, now=NOW)
    # 甲 and 乙 had no round in February (0 each); one place on a list of three villages
    assert {e.village_id for e in february.entries.filter(colour="black")} == {world["yi"].pk}
    ranking_list_approve(ranking_list=february, actor=admin)
    march = ranking_list_draft(district=world["district"], month=MARCH, now=NOW)
    ranking_list_approve(ranking_list=march, actor=admin)
    published = ranking_list_published(area=world["district"], month=MARCH)
    assert [v.pk for v in published.left_black] == [world["yi"].pk]


def test_the_daily_roll_up_records_its_run(world):
    run = assessment_roll_up(today=datetime.date(2026, 4, 2), now=NOW)
    assert run.finished_at is not None
    assert "month:2026-03-01" in run.periods and "week:2026-03-30" in run.periods
    assert RankingList.objects.filter(month=MARCH).exists()
