"""The due list (from tank volume and last emptying) and province/city check rounds."""

import datetime
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.urls import reverse

from points.models import EarningRule, PointsClaim
from points.services.rules import rule_create
from tests.factories import MemberFactory, Role, make_household, make_staff, make_tree
from upkeep.exceptions import UpkeepError
from upkeep.models import Toilet, ToiletCheck
from upkeep.selectors import emptying_interval_months, toilet_due_list, toilet_due_on
from upkeep.services.toilets import (
    IN_USE_RULE,
    check_round_create,
    contractor_team_create,
    contractor_team_member_add,
    toilet_check_record,
    toilet_emptied,
)

pytestmark = pytest.mark.django_db


def test_interval_follows_volume_and_people():
    assert emptying_interval_months(tank_volume=Decimal("1.5"), people=4) == 7
    assert emptying_interval_months(tank_volume=Decimal("3"), people=2) == 24  # capped
    assert emptying_interval_months(tank_volume=Decimal("0.5"), people=6) == 3  # floor
    assert emptying_interval_months(tank_volume=None, people=3) == 12


def test_due_on_counts_from_last_emptying_then_acceptance_then_year():
    toilet = Toilet(type=Toilet.Type.THREE_COMPARTMENT, tank_volume=Decimal("1.5"))
    toilet.last_emptied_on = datetime.date(2026, 1, 31)
    assert toilet_due_on(toilet=toilet, people=4) == datetime.date(2026, 8, 31)
    toilet.last_emptied_on = None
    toilet.accepted_on = datetime.date(2025, 5, 10)
    assert toilet_due_on(toilet=toilet, people=4) == datetime.date(2025, 12, 10)
    toilet.accepted_on = None
    toilet.built_year = 2020
    assert toilet_due_on(toilet=toilet, people=4) == datetime.date(2020, 8, 1)
    assert toilet_due_on(toilet=Toilet(type=Toilet.Type.SEWER), people=4) is None


@pytest.fixture
def world():
    tree = make_tree(villages=3)
    served, also_served, not_served = tree["villages"]
    coverage = contractor_team_create(
        actor=None, area=tree["town"], name="抽渣一队", company="鲁源环卫",
        villages=[served, also_served],
    )  # fmt: skip
    return {**tree, "team": coverage.team, "served": served, "also": also_served, "not": not_served}


def _toilet(village, number, **fields):
    household = make_household(village, number=number)
    for _ in range(fields.pop("extra_people", 3)):
        MemberFactory(household=household, relation="son")
    fields.setdefault("type", Toilet.Type.THREE_COMPARTMENT)
    return Toilet.objects.create(village=village, household=household, **fields)


def test_due_list_is_the_team_villages_toilets_due_this_month(world):
    month = datetime.date(2026, 9, 1)
    # Four people and 1.5 m³: every 7 months.
    due = _toilet(world["served"], "0001", tank_volume=Decimal("1.5"),
                  last_emptied_on=datetime.date(2026, 2, 15))  # due 2026-09-15  # fmt: skip
    overdue = _toilet(world["also"], "0002", tank_volume=Decimal("1.5"),
                      last_emptied_on=datetime.date(2025, 12, 1))  # due 2026-07-01  # fmt: skip
    _toilet(world["served"], "0003", tank_volume=Decimal("1.5"),
            last_emptied_on=datetime.date(2026, 4, 1))  # due 2026-11-01: not yet  # fmt: skip
    _toilet(world["served"], "0004", type=Toilet.Type.SEWER)  # no tank
    _toilet(world["served"], "0005", tank_volume=Decimal("1.5"), status=Toilet.Status.DISUSED,
            last_emptied_on=datetime.date(2025, 1, 1))  # fmt: skip
    _toilet(world["not"], "0006", tank_volume=Decimal("1.5"),
            last_emptied_on=datetime.date(2025, 1, 1))  # another team's village  # fmt: skip
    never = _toilet(world["served"], "0007")  # nothing known: due at once

    rows = toilet_due_list(team=world["team"], month=month)
    assert [row.toilet.pk for row in rows] == [never.pk, overdue.pk, due.pk]
    assert [row.is_overdue for row in rows] == [True, True, False]
    assert rows[2].due_on == datetime.date(2026, 9, 15) and rows[2].people == 4

    toilet_emptied(toilet=due, on=datetime.date(2026, 9, 2))
    toilet_emptied(toilet=due, on=datetime.date(2026, 8, 1))  # an older report never goes back
    due.refresh_from_db()
    assert due.last_emptied_on == datetime.date(2026, 9, 2)
    assert due.pk not in [row.toilet.pk for row in toilet_due_list(team=world["team"], month=month)]


def test_due_page_for_town_and_for_the_team_contractor(
    client, world, django_assert_max_num_queries
):
    for number in range(1, 6):
        _toilet(world["served"], f"{number:04d}", tank_volume=Decimal("1"))
    contractor = make_staff(Role.CONTRACTOR, world["town"])
    contractor_team_member_add(actor=None, team=world["team"], user=contractor)
    client.force_login(contractor)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("upkeep:due"), {"month": "2026-09"})
    assert page.status_code == 200
    assert page.context["team"] == world["team"] and len(page.context["rows"]) == 5
    town = make_staff(Role.TOWN_ADMIN, world["town"])
    client.force_login(town)
    assert client.get(reverse("upkeep:due"), {"team": world["team"].pk}).status_code == 200
    committee = make_staff(Role.COMMITTEE, world["served"])
    client.force_login(committee)
    assert client.get(reverse("upkeep:due")).status_code == 404


# --- Check rounds ---------------------------------------------------------------------------------


@pytest.fixture
def october():
    moment = datetime.datetime(2026, 10, 12, 1, 0, tzinfo=datetime.UTC)
    with patch("django.utils.timezone.now", return_value=moment):
        yield moment


def test_round_lists_toilets_and_fine_checks_claim_points_by_maker_checker(world, october):
    town = make_staff(Role.TOWN_ADMIN, world["town"])
    first = _toilet(world["served"], "0001")
    _toilet(world["served"], "0002")
    removed = _toilet(world["served"], "0003", status=Toilet.Status.REMOVED)
    rule_create(
        actor=None, area=world["district"], code=IN_USE_RULE,
        category=EarningRule.Category.OTHER, kind=EarningRule.Kind.EARN, is_published=True,
        name="改厕户厕正常使用", description="排查时厕所正常使用", points=5,
        valid_from=datetime.date(2026, 1, 1),
    )  # fmt: skip
    check_round = check_round_create(
        actor=town, area=world["town"], level="city", title="市级排查",
        starts_on=datetime.date(2026, 10, 10), ends_on=datetime.date(2026, 10, 20),
    )  # fmt: skip
    checks = ToiletCheck.objects.filter(round=check_round)
    assert checks.count() == 2 and not checks.filter(toilet=removed).exists()
    check = checks.get(toilet=first)
    toilet_check_record(actor=town, check=check, result="fine")
    toilet_check_record(actor=town, check=check, result="fine")  # recorded again: one claim
    claim = PointsClaim.objects.get(household=first.household)
    assert claim.status == PointsClaim.Status.PENDING  # a committee member approves it
    assert claim.recorded_by == town
    with pytest.raises(UpkeepError) as refused:
        toilet_check_record(actor=town, check=checks.exclude(pk=check.pk).get(), result="problem")
    assert refused.value.code == "no_evidence"


def test_inspector_records_but_committee_cannot_plan_rounds(world, october):
    inspector = make_staff(Role.INSPECTOR, world["district"])
    committee = make_staff(Role.COMMITTEE, world["served"])
    toilet = _toilet(world["served"], "0001")
    check_round = check_round_create(
        actor=inspector, area=world["district"], level="province", title="省级排查",
        starts_on=datetime.date(2026, 10, 10), ends_on=datetime.date(2026, 10, 20),
    )  # fmt: skip
    check = ToiletCheck.objects.get(round=check_round, toilet=toilet)
    toilet_check_record(actor=inspector, check=check, result="problem", note="化粪池盖板破损")
    assert ToiletCheck.objects.get(pk=check.pk).result == "problem"
    assert not PointsClaim.objects.exists()
    with pytest.raises(UpkeepError):
        check_round_create(
            actor=committee, area=world["served"], level="city", title="x",
            starts_on=datetime.date(2026, 10, 10), ends_on=datetime.date(2026, 10, 20),
        )  # fmt: skip
