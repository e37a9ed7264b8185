"""Garbage-sorting checks: grades to rules and points, caps, conflicts, maker-checker, scope."""

import datetime
from unittest import mock

import pytest

from points.exceptions import LedgerError, ScoringError
from points.models import Account, LedgerTransaction, PointsClaim, SortingCheck
from points.selectors.rules import CAMPAIGN_TZ
from points.services.claims import claim_approve
from points.services.ledger import points_award
from points.services.sorting import sorting_check_record, sorting_round_open
from tests.factories import Role, make_household, make_staff
from tests.points.factories import make_sorting_rules

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 11, 20)


@pytest.fixture
def world(tree):
    village, other = tree["villages"]
    make_sorting_rules(tree["district"])
    scorer = make_staff(Role.COMMITTEE, village, name="李委员")
    return {
        "village": village,
        "other": other,
        "household": make_household(village, head_name="赵秀英"),
        "scorer": scorer,
        "checker": make_staff(Role.COMMITTEE, village, name="王委员"),
        "outsider": make_staff(Role.COMMITTEE, other, name="丙委员"),
        "round": sorting_round_open(village=village, actor=scorer, held_on=DAY),
    }


def _grade(world, grade, key, household=None, actor=None, round=None):
    return sorting_check_record(
        round=round or world["round"],
        household=household or world["household"],
        grade=grade,
        actor=actor or world["scorer"],
        idempotency_key=key,
    )


def _balance(household):
    account = Account.objects.filter(household=household).first()
    return account.balance if account else 0


def test_each_grade_maps_to_its_rule_and_points(world):
    excellent = _grade(world, "excellent", "key-excellent-1")
    assert excellent.rule_version.rule.code == "sorting-excellent"
    assert excellent.points == 3
    assert excellent.claim.status == PointsClaim.Status.PENDING
    assert excellent.claim.requested_points == 3
    other = make_household(world["village"], head_name="钱多多")
    fail = _grade(world, "fail", "key-fail-0001", household=other)
    assert fail.points == -2 and fail.rule_version.rule.code == "sorting-fail"


def test_routine_grade_is_approved_automatically_and_paid_with_its_evidence(world):
    check = _grade(world, "pass", "key-pass-0001")
    claim = check.claim
    assert claim.status == PointsClaim.Status.AUTO_APPROVED
    entry = claim.transaction
    assert (entry.source_type, entry.source_id) == ("sorting_check", check.pk)
    assert (entry.rule_code, entry.rule_version) == ("sorting-pass", 1)
    assert entry.idempotency_key == f"claim:{claim.pk}"
    assert _balance(world["household"]) == 1


def test_scorer_cannot_approve_their_own_grade_another_member_can(world):
    check = _grade(world, "excellent", "key-excellent-2")
    with pytest.raises(ScoringError) as refused:
        claim_approve(claim=check.claim, approver=world["scorer"])
    assert refused.value.code == "own_claim"
    with pytest.raises(ScoringError) as refused:
        claim_approve(claim=check.claim, approver=world["outsider"])
    assert refused.value.code == "not_in_scope"
    claim_approve(claim=check.claim, approver=world["checker"])
    assert _balance(world["household"]) == 3
    entry = LedgerTransaction.objects.get(source_type="sorting_check", source_id=check.pk)
    assert entry.actor == world["scorer"] and entry.approver == world["checker"]


def test_deduction_stays_within_the_rule_and_never_below_zero(world):
    household = world["household"]
    points_award(household=household, amount=1, reason="x", idempotency_key="seed", actor=None)
    check = _grade(world, "fail", "key-fail-0002")
    claim = claim_approve(claim=check.claim, approver=world["checker"])
    # The rule deducts 2, but the household had only 1.
    assert claim.transaction.postings.get(account__kind="household").amount == -1
    assert _balance(household) == 0


def _on(day: datetime.date, hour: int = 10):
    """Run as if at ``hour`` o'clock on ``day`` in the campaign's time zone."""
    at = datetime.datetime(day.year, day.month, day.day, hour, tzinfo=CAMPAIGN_TZ)
    return mock.patch("django.utils.timezone.now", return_value=at)


def _graded_and_approved(world, day, key, approved_on):
    with _on(day):
        found = sorting_round_open(village=world["village"], actor=world["scorer"], held_on=day)
        check = _grade(world, "excellent", key, round=found)
    with _on(approved_on):
        claim = claim_approve(claim=check.claim, approver=world["checker"])
    return check, claim


def test_monthly_cap_cuts_the_points(world, tree):
    make_sorting_rules(world["village"], **{"sorting-excellent": {"cap_per_month": 4}})
    paid = []
    for day in (datetime.date(2026, 11, 1), datetime.date(2026, 11, 2)):
        check, claim = _graded_and_approved(world, day, f"key-cap-{day:%m%d}", approved_on=day)
        # The village's own rule (version 1 with cap 4) overrides the district's.
        assert check.rule_version.rule.area_id == world["village"].pk
        paid.append(claim.transaction.postings.get(account__kind="household").amount)
    assert paid == [3, 1]


def test_a_cap_counts_by_the_events_day_whenever_it_is_approved(world, tree):
    """A claim approved in a later month than its event counts against its event's month, and
    the month it was approved in keeps its whole cap."""
    make_sorting_rules(world["village"], **{"sorting-excellent": {"cap_per_month": 4}})
    november, december = datetime.date(2026, 11, 29), datetime.date(2026, 12, 2)
    _check, first = _graded_and_approved(world, november, "key-late-1", approved_on=december)
    _check, late = _graded_and_approved(
        world, november + datetime.timedelta(days=1), "key-late-2", approved_on=december
    )
    _check, current = _graded_and_approved(world, december, "key-late-3", approved_on=december)
    amounts = [
        claim.transaction.postings.get(account__kind="household").amount
        for claim in (first, late, current)
    ]
    assert amounts == [3, 1, 3]
    assert late.transaction.occurred_on == datetime.date(2026, 11, 30)
    assert current.transaction.occurred_on == december


def test_a_repeated_key_returns_the_first_result(world):
    first = _grade(world, "excellent", "key-repeat-01")
    again = _grade(world, "excellent", "key-repeat-01")
    assert again.pk == first.pk
    assert SortingCheck.objects.count() == 1 and PointsClaim.objects.count() == 1
    other = make_household(world["village"], head_name="孙小美")
    with pytest.raises(LedgerError) as refused:
        _grade(world, "good", "key-repeat-01", household=other)
    assert refused.value.code == "key_reused"


def test_grading_twice_in_a_round_is_flagged_never_merged(world):
    first = _grade(world, "excellent", "key-twice-001")
    second = _grade(world, "pass", "key-twice-002", actor=world["checker"])
    first.refresh_from_db()
    assert first.is_conflict and second.is_conflict
    assert SortingCheck.objects.filter(household=world["household"]).count() == 2
    # The routine 合格 would be approved automatically; the conflict makes it wait.
    assert second.claim.status == PointsClaim.Status.PENDING
    first.claim.refresh_from_db()
    assert "2" in first.claim.flag and second.claim.flag
    assert _balance(world["household"]) == 0


def test_scope_other_village_and_household_of_another_village(world):
    with pytest.raises(ScoringError) as refused:
        _grade(world, "good", "key-scope-001", actor=world["outsider"])
    assert refused.value.code == "not_in_scope"
    with pytest.raises(ScoringError):
        sorting_round_open(village=world["village"], actor=world["outsider"])
    stranger = make_household(world["other"], head_name="外村人")
    with pytest.raises(ScoringError) as refused:
        _grade(world, "good", "key-scope-002", household=stranger)
    assert refused.value.code == "wrong_village"


def test_bad_grade_and_missing_key_are_refused(world):
    with pytest.raises(ScoringError) as refused:
        _grade(world, "perfect", "key-bad-grade")
    assert refused.value.code == "bad_grade"
    with pytest.raises(LedgerError) as refused:
        _grade(world, "good", "")
    assert refused.value.code == "bad_key"


def test_no_rule_in_force_is_refused(world, tree):
    early = sorting_round_open(
        village=world["village"], actor=world["scorer"], held_on=datetime.date(2019, 5, 1)
    )
    with pytest.raises(ScoringError) as refused:
        _grade(world, "good", "key-norule-01", round=early)
    assert refused.value.code == "no_rule"
