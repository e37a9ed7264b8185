"""The campaign site's 红黑榜 page shows the district's approved red and black lists only, with
each black entry's fault and who got off the black list; approving a list clears the page
cache."""

import datetime

import pytest

from assessment.models import Period
from assessment.services import (
    figures_roll_up,
    ranking_list_approve,
    ranking_list_draft,
    scores_compute,
)
from campaigns.models import RankingListPage
from tests.assessment.factories import MARCH, make_scheme, make_world
from tests.campaigns.factories import make_site
from tests.factories import Role, make_staff

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 4, 1, 3, 10, tzinfo=datetime.UTC)


@pytest.fixture
def page(media_root):
    world = make_world()
    make_scheme(world["district"], {"sorting_participation": "2", "sorting_pass_rate": "1"})
    figures_roll_up(period=Period.MONTH, starts_on=MARCH, now=NOW)
    scores_compute(period=Period.MONTH, starts_on=MARCH, now=NOW)
    site = make_site(
        {"district": world["district"], "town": world["east"], "villages": [world["jia"]]}
    )
    page = site["home"].add_child(instance=RankingListPage(title="红黑榜", slug="red-black"))
    world["page"] = page
    world["admin"] = make_staff(Role.DISTRICT_ADMIN, world["district"])
    return world


def test_only_an_approved_list_is_published(client, page, django_capture_on_commit_callbacks):
    ranking_list = ranking_list_draft(district=page["district"], month=MARCH, now=NOW)
    html = client.get(page["page"].url).content.decode()
    assert "丙村" not in html and "乙村" not in html
    with django_capture_on_commit_callbacks(execute=True):
        ranking_list_approve(ranking_list=ranking_list, actor=page["admin"])
    html = client.get(page["page"].url).content.decode()
    assert "东镇乙村" in html  # red
    assert "西镇丙村" in html and "垃圾分类参与率" in html  # black, with its fault
