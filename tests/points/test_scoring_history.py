"""The villager sees why: sorting grades, rubric scores and photos in the household history."""

import datetime

import pytest
from django.urls import reverse

from points.images import photo_save
from points.services.appraisals import (
    appraisal_campaign_create,
    appraisal_score_record,
    appraisal_verify,
)
from points.services.publicity import publicity_end_run
from points.services.sorting import sorting_check_record, sorting_round_open
from tests.factories import Role, make_household, make_staff
from tests.points.factories import make_sorting_rules, photo_upload
from tests.points.test_appraisals import villager_of

pytestmark = pytest.mark.django_db


def test_history_shows_grades_rubric_scores_and_photos(
    client, tree, media_root, django_assert_max_num_queries
):
    village = tree["villages"][0]
    make_sorting_rules(tree["district"])
    a = make_staff(Role.COMMITTEE, village, name="甲委员")
    b = make_staff(Role.COMMITTEE, village, name="乙委员")
    house = make_household(village, head_name="马兰花")
    villager = villager_of(house)
    photo = photo_save(upload=photo_upload(), village=village, actor=a)
    for day in range(1, 16):
        found = sorting_round_open(village=village, actor=a, held_on=datetime.date(2026, 11, day))
        sorting_check_record(
            round=found,
            household=house,
            grade="pass",
            actor=a,
            idempotency_key=f"history-{day:04d}",
            note="分得很好" if day == 15 else "",
            photo=photo if day == 15 else None,
        )
    campaign = appraisal_campaign_create(
        village=village,
        title="11月评比",
        period_start=datetime.date(2026, 11, 1),
        period_end=datetime.date(2026, 11, 30),
        actor=a,
    )
    criteria = list(campaign.criteria.all())
    sheet = appraisal_score_record(
        campaign=campaign,
        household=house,
        scorer=a,
        scores={c.pk: 18 for c in criteria},
        idempotency_key="history-sheet",
        note="院子干净",
        photos=[photo_save(upload=photo_upload(), village=village, actor=a)],
    )
    assert sheet.total == 90
    appraisal_verify(campaign=campaign, actor=b, starts_on=datetime.date(2026, 11, 1))
    assert publicity_end_run(today=datetime.date(2026, 11, 20)).awarded == 1

    client.force_login(villager)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("household_history", args=[house.pk])).content.decode()
    assert "垃圾分类 2026-11-15：合格" in page and "分得很好" in page
    assert "院落整洁 18/20" in page and "五星美家 · 90.0" in page and "院子干净" in page
    assert page.count('class="evidence-photos"') == 2
    home = client.get(reverse("household", args=[house.pk])).content.decode()
    assert "院落整洁 18/20" in home
