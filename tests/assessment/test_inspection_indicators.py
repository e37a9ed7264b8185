"""The inspection indicators equal a hand count: the mean score of a village's inspections on
rounds planned in the period, and the relapses its re-checks found in the period."""

import datetime
from decimal import Decimal

import pytest

from assessment.indicators import COMPUTED
from supervision.models import Category, ChecklistItem, Inspection, ItemResult, Round
from tests.assessment.factories import APRIL, MARCH, make_world
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_inspection_score_and_relapses(media_root):
    world = make_world()
    inspector = UserFactory()
    category = Category.objects.create(code="piles", name="三大堆")
    item = ChecklistItem.objects.create(
        district=world["district"], name="三大堆", category=category
    )
    other = ChecklistItem.objects.create(district=world["district"], name="沟塘", category=category)

    def inspect(village, on, score):
        round_ = Round.objects.create(area=world["district"], name=f"{on}", planned_on=on)
        return Inspection.objects.create(
            round=round_, village=village, inspector=inspector, score=Decimal(score)
        )

    first = inspect(world["jia"], datetime.date(2026, 3, 3), "80.0")
    inspect(world["jia"], datetime.date(2026, 3, 24), "60.0")
    inspect(world["yi"], datetime.date(2026, 3, 10), "95.0")
    inspect(world["bing"], datetime.date(2026, 4, 2), "50.0")  # April's round
    at = datetime.datetime(2026, 3, 25, 10, tzinfo=datetime.UTC)
    for index, (check, relapse) in enumerate([(item, True), (other, False)]):
        ItemResult.objects.create(
            inspection=first,
            item=check,
            is_pass=False,
            key=f"k{index}",
            recorded_by=inspector,
            recorded_at=at,
            is_relapse=relapse,
        )
    scores = COMPUTED["inspection_score"](start=MARCH, end=APRIL)
    assert scores == {world["jia"].pk: (Decimal(140), 2), world["yi"].pk: (Decimal(95), 1)}
    assert COMPUTED["relapses"](start=MARCH, end=APRIL) == {world["jia"].pk: (1, None)}
