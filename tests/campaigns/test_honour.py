"""Honour boards and publicity notices read live from the scoring app: the board shows only
results whose publicity ended without objection; publicity shows as a notice."""

import datetime

import pytest
from django.utils import timezone

from campaigns.models import HonourBoardPage
from points.models import Commendation
from tests.campaigns.factories import make_site
from tests.factories import Role, make_household, make_staff, make_tree

pytestmark = pytest.mark.django_db
PERIOD = datetime.date(2026, 1, 1)
EARLIER = datetime.date(2025, 1, 1)


@pytest.fixture
def board(media_root):
    tree = make_tree()
    site = make_site(tree)
    village = tree["villages"][0]
    nominator = make_staff(Role.COMMITTEE, village, name="李委员")
    today = timezone.localdate()
    for n, (name, status, period) in enumerate(
        [
            ("王秀英", Commendation.Status.AWARDED, PERIOD),
            ("赵桂芝", Commendation.Status.PUBLICITY, PERIOD),
            ("钱小红", Commendation.Status.NOMINATED, PERIOD),
            ("孙大妈", Commendation.Status.REJECTED, PERIOD),
            ("周阿姨", Commendation.Status.WITHDRAWN, PERIOD),
            ("吴奶奶", Commendation.Status.AWARDED, EARLIER),
        ]
    ):
        household = make_household(village, head_name=name)
        Commendation.objects.create(
            village=village,
            title=Commendation.Title.GOOD_MOTHER_IN_LAW,
            period_start=period,
            household=household,
            member=household.members.get(),
            citation=f"{name}照顾老人、邻里和睦。",
            points=10,
            status=status,
            nominated_by=nominator,
            publicity_starts_on=today - datetime.timedelta(days=1),
            publicity_ends_on=today + datetime.timedelta(days=5),
            idempotency_key=f"test-commendation-{n}",
        )
    page = site["village"].add_child(instance=HonourBoardPage(title="杏花村红榜"))
    return {"site": site, "page": page}


def test_board_shows_only_approved_and_published_results(client, board):
    html = client.get(board["page"].url).content.decode()
    assert "王秀英" in html
    # 赵桂芝 is still in publicity (the board takes only what ended it without objection);
    # 吴奶奶 is on last year's list.
    for hidden in ("赵桂芝", "钱小红", "孙大妈", "周阿姨", "吴奶奶"):
        assert hidden not in html
    past = client.get(board["page"].url, {"period": EARLIER.isoformat()}).content.decode()
    assert "吴奶奶" in past and "王秀英" not in past


def test_unpublished_board_page_is_not_served(client, board):
    board["page"].unpublish()
    assert client.get(board["page"].url).status_code == 404


def test_publicity_appears_as_a_notice_on_the_village_section(client, board):
    html = client.get(board["site"]["village"].url).content.decode()
    assert "赵桂芝" in html  # in publicity now
    assert "钱小红" not in html
