"""The round screen after a tap (issue 17): the graded row offers "change" and "undo" instead of
four more grade buttons; the approval queue's "approve all unflagged" with its confirmation."""

import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from points.models import Account, PointsClaim, SortingCheck
from points.services.sorting import sorting_check_record, sorting_round_open
from tests.factories import Role, make_household, make_staff
from tests.points.factories import make_sorting_rules

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree, client):
    village = tree["villages"][0]
    make_sorting_rules(tree["district"])
    scorer = make_staff(Role.COMMITTEE, village, name="李委员")
    checker = make_staff(Role.COMMITTEE, village, name="王委员")
    client.force_login(scorer)
    households = [make_household(village, head_name=f"赵{index}号") for index in range(3)]
    found = sorting_round_open(village=village, actor=scorer, held_on=timezone.localdate())
    return {"scorer": scorer, "checker": checker, "households": households, "round": found}


def _row(html: str, household) -> str:
    return re.search(rf'<li class="sheet-row[^"]*" id="h-{household.pk}".*?</li>', html, re.S)[0]


def test_a_graded_row_offers_change_and_undo_and_undo_clears_it(client, world):
    household = world["households"][0]
    url = reverse("points:sorting_round", args=[world["round"].pk]) + "?group=all"
    answer = client.post(
        reverse("points:sorting_grade", args=[world["round"].pk]),
        {"household": household.pk, "grade": "excellent", "key": uuid.uuid4().hex},
        HTTP_ACCEPT="application/json",
    ).json()
    # The phone swaps the row for the server's drawing of it.
    assert "撤销" in answer["row_html"] and "data-grade-form" not in answer["row_html"]
    row = _row(client.get(url).content.decode(), household)
    assert "撤销" in row and "data-grade-form" not in row and "aria-current" in row
    check = SortingCheck.objects.get()
    client.post(reverse("points:sorting_undo", args=[world["round"].pk, check.pk]), {"next": url})
    assert not PointsClaim.objects.filter(status=PointsClaim.Status.PENDING).exists()
    row = _row(client.get(url).content.decode(), household)
    assert "data-grade-form" in row and "撤销" not in row


def test_change_from_the_row_replaces_the_grade(client, world):
    household = world["households"][1]
    check = sorting_check_record(
        round=world["round"],
        household=household,
        grade="fail",
        actor=world["scorer"],
        idempotency_key="page-change-01",
    )
    response = client.post(
        reverse("points:sorting_change", args=[world["round"].pk, check.pk]),
        {"grade": "good", "key": "page-change-02"},
        follow=True,
    )
    assert "良" in response.content.decode()
    pending = PointsClaim.objects.filter(status=PointsClaim.Status.PENDING)
    assert [claim.requested_points for claim in pending] == [2]
    assert not SortingCheck.objects.filter(is_conflict=True).exists()


def test_another_member_cannot_undo_and_sees_grade_again_tucked_away(client, world):
    household = world["households"][2]
    check = sorting_check_record(
        round=world["round"],
        household=household,
        grade="good",
        actor=world["scorer"],
        idempotency_key="page-other-01",
    )
    client.force_login(world["checker"])
    url = reverse("points:sorting_round", args=[world["round"].pk]) + "?group=all"
    row = _row(client.get(url).content.decode(), household)
    assert "撤销" not in row and "<details" in row
    client.post(reverse("points:sorting_undo", args=[world["round"].pk, check.pk]))
    assert SortingCheck.objects.get(pk=check.pk).withdrawn_at is None


def test_approve_all_unflagged_asks_with_the_count_then_pays(client, world):
    for index, household in enumerate(world["households"]):
        sorting_check_record(
            round=world["round"],
            household=household,
            grade="excellent",
            actor=world["scorer"],
            idempotency_key=f"page-all-{index:03d}",
        )
    # Graded twice by the checker: both entries of that household are flagged.
    sorting_check_record(
        round=world["round"],
        household=world["households"][0],
        grade="good",
        actor=world["checker"],
        idempotency_key="page-all-dup",
    )
    client.force_login(world["checker"])
    queue = client.get(reverse("points_claims:queue")).content.decode()
    assert reverse("points_claims:approve_all") in queue and "无标记的 2 条" in queue
    confirm = client.get(reverse("points_claims:approve_all")).content.decode()
    assert 'data-approve-count="2"' in confirm and "6" in confirm
    ids = re.findall(r'name="claim" value="(\d+)"', confirm)
    client.post(reverse("points_claims:approve_all"), {"claim": ids})
    balances = [
        Account.objects.filter(household=h).values_list("balance", flat=True).first() or 0
        for h in world["households"]
    ]
    assert balances == [0, 3, 3]
    # A second tap of the same confirmation pays nothing more.
    client.post(reverse("points_claims:approve_all"), {"claim": ids})
    assert Account.objects.get(household=world["households"][1]).balance == 3
