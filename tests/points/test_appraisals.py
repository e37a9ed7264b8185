"""Courtyard appraisals and commendations: rubric, mean of scorers, verification, publicity,
objections holding points, the end-of-publicity award (run twice, award once)."""

import datetime
import itertools

import pytest

from points.exceptions import ScoringError
from points.models import (
    Account,
    AppraisalCampaign,
    AppraisalResult,
    Commendation,
    LedgerTransaction,
    Objection,
)
from points.selectors.scoring import honour_board_list, honour_board_periods, publicity_list
from points.services.appraisals import (
    appraisal_campaign_create,
    appraisal_score_record,
    appraisal_verify,
)
from points.services.commendations import (
    commendation_approve,
    commendation_nominate,
    commendation_reject,
)
from points.services.publicity import objection_raise, objection_resolve, publicity_end_run
from registry.services.register import villager_link
from tests.factories import Role, UserFactory, make_household, make_staff
from tests.points.factories import make_commendation_rules

pytestmark = pytest.mark.django_db
START = datetime.date(2026, 11, 1)
PUBLICITY = datetime.date(2026, 11, 10)
AFTER = datetime.date(2026, 11, 17)  # the day after a 7-day publicity from the 10th
_keys = itertools.count()
_phones = itertools.count(13900000100)


def villager_of(household, name="村民"):
    phone = str(next(_phones))
    member = household.members.first()
    member.phone = phone
    member.save()
    user = UserFactory(phone=phone, phone_verified=True, name=name)
    villager_link(user=user)
    return user


@pytest.fixture
def world(tree):
    village = tree["villages"][0]
    make_commendation_rules(tree["district"])
    a = make_staff(Role.COMMITTEE, village, name="甲委员")
    campaign = appraisal_campaign_create(
        village=village,
        title="2026年11月 美家美院评比",
        period_start=START,
        period_end=datetime.date(2026, 11, 30),
        actor=a,
    )
    return {
        "tree": tree,
        "village": village,
        "campaign": campaign,
        "criteria": list(campaign.criteria.all()),
        "a": a,
        "b": make_staff(Role.COMMITTEE, village, name="乙委员"),
        "c": make_staff(Role.COMMITTEE, village, name="丙委员"),
        "town": make_staff(Role.TOWN_ADMIN, tree["town"], name="镇干部"),
        "house": make_household(village, head_name="周桂香"),
        "neighbour": make_household(village, head_name="吴大勇"),
    }


def score(world, household, scorer, values):
    return appraisal_score_record(
        campaign=world["campaign"],
        household=household,
        scorer=scorer,
        scores=dict(zip([c.pk for c in world["criteria"]], values, strict=True)),
        idempotency_key=f"sheet-key-{next(_keys)}",
    )


def scored_and_verified(world):
    score(world, world["house"], world["a"], [20, 18, 18, 18, 18])  # 92
    score(world, world["house"], world["b"], [18, 18, 18, 18, 16])  # 88 → mean 90: 五星
    score(world, world["neighbour"], world["a"], [16, 16, 16, 16, 16])  # 80: 四星
    return appraisal_verify(campaign=world["campaign"], actor=world["c"], starts_on=PUBLICITY)


def balance(household):
    found = Account.objects.filter(household=household).first()
    return found.balance if found else 0


def test_the_mean_of_the_scorers_gives_the_star_level_and_points(world):
    score(world, world["house"], world["a"], [20, 18, 18, 18, 18])
    result = score(world, world["house"], world["b"], [18, 18, 18, 18, 15]).result
    result.refresh_from_db()
    assert str(result.total) == "89.50"
    assert result.level.name == "四星美家" and result.points == 20


def test_scores_outside_the_rubric_and_a_second_sheet_are_refused(world):
    with pytest.raises(ScoringError) as refused:
        score(world, world["house"], world["a"], [21, 0, 0, 0, 0])
    assert refused.value.code == "bad_scores"
    score(world, world["house"], world["a"], [1, 1, 1, 1, 1])
    with pytest.raises(ScoringError) as refused:
        score(world, world["house"], world["a"], [2, 2, 2, 2, 2])
    assert refused.value.code == "already_scored"
    outsider = make_staff(Role.COMMITTEE, world["tree"]["villages"][1])
    with pytest.raises(ScoringError) as refused:
        score(world, world["house"], outsider, [1, 1, 1, 1, 1])
    assert refused.value.code == "not_in_scope"


def test_a_scorer_cannot_verify_and_verification_starts_seven_days_of_publicity(world):
    score(world, world["house"], world["a"], [20, 20, 20, 20, 20])
    with pytest.raises(ScoringError) as refused:
        appraisal_verify(campaign=world["campaign"], actor=world["a"])
    assert refused.value.code == "own_scores"
    campaign = appraisal_verify(campaign=world["campaign"], actor=world["b"], starts_on=PUBLICITY)
    assert campaign.status == AppraisalCampaign.Status.PUBLICITY
    assert campaign.publicity_ends_on == datetime.date(2026, 11, 16)
    with pytest.raises(ScoringError) as refused:
        score(world, world["neighbour"], world["c"], [1, 1, 1, 1, 1])
    assert refused.value.code == "closed"


def test_publicity_end_without_objections_awards_once_when_run_twice(world):
    scored_and_verified(world)
    assert publicity_end_run(today=datetime.date(2026, 11, 16)).awarded == 0  # still running
    first = publicity_end_run(today=AFTER)
    second = publicity_end_run(today=AFTER)
    assert (first.awarded, first.closed) == (2, 1)
    assert (second.awarded, second.closed) == (0, 0)
    assert balance(world["house"]) == 30 and balance(world["neighbour"]) == 20
    entries = LedgerTransaction.objects.filter(source_type="appraisal_result")
    assert entries.count() == 2
    assert {e.approver for e in entries} == {world["c"]}


def test_an_open_objection_holds_only_that_households_points(world):
    scored_and_verified(world)
    objector = villager_of(world["neighbour"], name="吴家")
    result = world["house"].appraisal_results.get()
    objection = objection_raise(
        target=result, actor=objector, reason="院子里堆着柴火", today=PUBLICITY
    )
    run = publicity_end_run(today=AFTER)
    assert (run.awarded, run.held, run.closed) == (1, 1, 0)
    assert balance(world["house"]) == 0 and balance(world["neighbour"]) == 20
    # Rejected with a reason: shown to the objector; the next run pays.
    objection_resolve(
        objection=objection, actor=world["b"], is_upheld=False, resolution="柴火已清理，有照片"
    )
    objection.refresh_from_db()
    assert objection.status == Objection.Status.REJECTED
    assert objection.resolution == "柴火已清理，有照片"
    again = publicity_end_run(today=AFTER + datetime.timedelta(days=1))
    assert (again.awarded, again.closed) == (1, 1)
    assert balance(world["house"]) == 30


def test_an_upheld_objection_sends_the_household_back_to_scoring(world):
    scored_and_verified(world)
    objector = villager_of(world["neighbour"])
    result = world["house"].appraisal_results.get()
    objection = objection_raise(target=result, actor=objector, reason="厕所不干净", today=PUBLICITY)
    objection_resolve(objection=objection, actor=world["b"], is_upheld=True, resolution="复核属实")
    result.refresh_from_db()
    assert (result.revision, result.total, result.points) == (2, None, 0)
    assert publicity_end_run(today=AFTER).awarded == 1  # the neighbour only
    score(world, world["house"], world["c"], [16, 16, 16, 16, 16])  # re-scored: 80
    result.refresh_from_db()
    assert result.level.name == "四星美家"
    assert publicity_end_run(today=AFTER).awarded == 1
    assert balance(world["house"]) == 20
    assert LedgerTransaction.objects.get(source_id=result.pk).idempotency_key.endswith(":r2")


def test_objections_only_during_publicity_and_from_villagers_of_the_village(world, tree):
    scored_and_verified(world)
    result = world["house"].appraisal_results.get()
    objector = villager_of(world["neighbour"])
    with pytest.raises(ScoringError) as refused:
        objection_raise(target=result, actor=objector, reason="有问题的", today=AFTER)
    assert refused.value.code == "not_in_publicity"
    stranger = villager_of(make_household(tree["villages"][1], head_name="外村"))
    with pytest.raises(ScoringError) as refused:
        objection_raise(target=result, actor=stranger, reason="有问题的", today=PUBLICITY)
    assert refused.value.code == "not_in_scope"
    with pytest.raises(ScoringError) as refused:
        objection_raise(target=result, actor=objector, reason="", today=PUBLICITY)
    assert refused.value.code == "reason_required"


def test_commendation_nominated_approved_by_the_town_published_then_awarded(world):
    member = world["house"].members.first()
    item = commendation_nominate(
        household=world["house"],
        member=member,
        title=Commendation.Title.GOOD_DAUGHTER_IN_LAW,
        citation="照顾瘫痪婆婆十年如一日",
        actor=world["a"],
        idempotency_key="nominate-1",
        period_start=datetime.date(2026, 1, 1),
    )
    with pytest.raises(ScoringError) as refused:
        commendation_approve(commendation=item, actor=world["b"])
    assert refused.value.code == "not_in_scope"  # a committee member is not the town
    item = commendation_approve(commendation=item, actor=world["town"], starts_on=PUBLICITY)
    assert item.status == Commendation.Status.PUBLICITY
    notices = publicity_list(area=world["village"], today=PUBLICITY)
    assert [line.name for notice in notices for line in notice.lines] == ["周桂香"]
    assert publicity_end_run(today=AFTER).awarded == 1
    assert publicity_end_run(today=AFTER).awarded == 0
    item.refresh_from_db()
    assert item.status == Commendation.Status.AWARDED and balance(world["house"]) == 50
    board = honour_board_list(area=world["tree"]["district"])
    assert [(e.kind, e.title, e.name) for e in board] == [("commendation", "好媳妇", "周桂香")]
    # The points come from the published earning rule, which the ledger entry names.
    assert (item.transaction.rule_code, item.transaction.rule_version) == (
        "commendation-good-daughter-in-law",
        1,
    )


def test_a_title_without_a_published_rule_cannot_be_nominated(world):
    from points.models import EarningRule

    EarningRule.objects.filter(code="commendation-virtuous-youth").update(is_published=False)
    with pytest.raises(ScoringError) as refused:
        commendation_nominate(
            household=world["house"],
            title=Commendation.Title.VIRTUOUS_YOUTH,
            citation="帮助孤寡老人",
            actor=world["a"],
            idempotency_key="nominate-no-rule",
        )
    assert refused.value.code == "no_rule"
    assert not Commendation.objects.filter(idempotency_key="nominate-no-rule").exists()


def test_commendation_rejected_or_withdrawn_after_an_upheld_objection(world):
    rejected = commendation_nominate(
        household=world["neighbour"],
        title=Commendation.Title.MORAL_MODEL,
        citation="见义勇为",
        actor=world["a"],
        idempotency_key="nominate-2",
    )
    with pytest.raises(ScoringError):
        commendation_reject(commendation=rejected, actor=world["town"], note="")
    commendation_reject(commendation=rejected, actor=world["town"], note="材料不全")
    item = commendation_nominate(
        household=world["house"],
        title=Commendation.Title.BEAUTIFUL_HOME,
        citation="院落整洁",
        actor=world["a"],
        idempotency_key="nominate-3",
    )
    item = commendation_approve(commendation=item, actor=world["town"], starts_on=PUBLICITY)
    objection = objection_raise(
        target=item, actor=villager_of(world["neighbour"]), reason="不属实的", today=PUBLICITY
    )
    objection_resolve(objection=objection, actor=world["b"], is_upheld=True, resolution="撤销")
    assert publicity_end_run(today=AFTER).awarded == 0
    assert honour_board_list(area=world["village"]) == []
    assert balance(world["house"]) == 0


def test_honour_board_and_publicity_lists(world, django_assert_max_num_queries):
    scored_and_verified(world)
    with django_assert_max_num_queries(8):
        notices = publicity_list(area=world["tree"]["town"], today=PUBLICITY)
    assert len(notices) == 1
    notice = notices[0]
    assert (notice.title, notice.village, notice.starts_on, notice.ends_on) == (
        "2026年11月 美家美院评比",
        world["village"].name,
        PUBLICITY,
        datetime.date(2026, 11, 16),
    )
    assert [(line.name, line.result) for line in notice.lines] == [
        ("周桂香家", "五星美家 · 90.0"),
        ("吴大勇家", "四星美家 · 80.0"),
    ]
    assert publicity_list(area=world["tree"]["town"], today=AFTER) == []
    # While in publicity nothing is on the honour board.
    assert honour_board_list(area=world["tree"]["district"]) == []
    assert honour_board_periods(area=world["tree"]["district"]) == []
    assert publicity_end_run(today=AFTER).awarded == 2
    with django_assert_max_num_queries(8):
        board = honour_board_list(area=world["tree"]["district"])
    assert [(e.title, e.stars, e.score) for e in board] == [
        ("五星美家", 5, "90.0"),
        ("四星美家", 4, "80.0"),
    ]
    assert honour_board_list(area=world["tree"]["district"], period_on=START)
    assert honour_board_list(area=world["tree"]["district"], period_on=PUBLICITY) == []
    periods = honour_board_periods(area=world["tree"]["district"])
    assert [(p.period_on, p.entries) for p in periods] == [(START, 2)]
    other = world["tree"]["villages"][1]
    assert honour_board_list(area=other) == [] and publicity_list(area=other, today=PUBLICITY) == []


def test_the_honour_board_shows_only_what_ended_its_publicity_without_an_open_objection(world):
    """Results and commendations in publicity are not on the board; one with an open objection
    stays off after the publicity ends, until the objection is answered and the points paid."""
    scored_and_verified(world)
    item = commendation_approve(
        commendation=commendation_nominate(
            household=world["neighbour"],
            title=Commendation.Title.MORAL_MODEL,
            citation="见义勇为",
            actor=world["a"],
            idempotency_key="nominate-board",
        ),
        actor=world["town"],
        starts_on=PUBLICITY,
    )
    result = AppraisalResult.objects.get(household=world["house"])
    objection = objection_raise(
        target=result, actor=villager_of(world["neighbour"]), reason="分数偏高了", today=PUBLICITY
    )
    district = world["tree"]["district"]
    assert honour_board_list(area=district) == []  # everything is still in publicity

    assert publicity_end_run(today=AFTER).awarded == 2  # the neighbour's result and the title
    board = honour_board_list(area=district)
    assert sorted((e.kind, e.name) for e in board) == [
        ("appraisal", "吴大勇家"),
        ("commendation", "吴大勇家"),
    ]
    assert item.pk and "周桂香家" not in {e.name for e in board}

    objection_resolve(objection=objection, actor=world["b"], is_upheld=False, resolution="核实无误")
    assert publicity_end_run(today=AFTER).awarded == 1
    assert "周桂香家" in {e.name for e in honour_board_list(area=district)}


def test_publicity_objection_answers_and_results_are_announced(world):
    """The village hears that publicity started; the objector hears the answer; each household
    hears its own result. No message names another household."""
    from outbox.models import Message

    objector = villager_of(world["neighbour"], name="吴家")
    house_villager = villager_of(world["house"], name="周家")
    scored_and_verified(world)
    started = Message.objects.filter(template="points.publicity_started")
    assert set(started.values_list("user", flat=True)) == {objector.pk, house_villager.pk}
    assert started.first().data == {"title": "2026年11月 美家美院评比", "ends_on": "2026-11-16"}
    result = world["house"].appraisal_results.get()
    objection = objection_raise(
        target=result, actor=objector, reason="院子里堆着柴火", today=PUBLICITY
    )
    objection_resolve(
        objection=objection, actor=world["b"], is_upheld=False, resolution="柴火已清理，有照片"
    )
    answer = Message.objects.get(template="points.objection_rejected")
    assert (answer.user, answer.data) == (objector, {"answer": "柴火已清理，有照片"})
    publicity_end_run(today=AFTER)
    publicity_end_run(today=AFTER)
    published = Message.objects.filter(template="points.published").order_by("data__points")
    assert [(m.user, m.data["points"]) for m in published] == [
        (objector, 20),
        (house_villager, 30),
    ]
    for message in Message.objects.all():
        assert "周桂香" not in str(message.data) and "吴大勇" not in str(message.data)
