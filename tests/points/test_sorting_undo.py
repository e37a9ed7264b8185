"""Undoing or changing a mis-tapped grade (issue 17), and approving every unflagged claim at once:
who may, for how long, what happens to the pending claim and to points already paid."""

import datetime
from unittest import mock

import pytest

from points.exceptions import LedgerError, ScoringError
from points.models import Account, LedgerTransaction, PointsClaim, SortingCheck
from points.selectors.rules import CAMPAIGN_TZ
from points.selectors.sorting import sorting_round_sheet
from points.services.claims import claim_approve, claims_approve_unflagged
from points.services.ledger import points_spend
from points.services.sorting import (
    UNDO_WINDOW,
    sorting_check_change,
    sorting_check_record,
    sorting_check_undo,
    sorting_round_open,
)
from tests.factories import Role, make_household, make_staff
from tests.points.factories import make_sorting_rules
from tests.shops.factories import make_store

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 11, 20)
AT = datetime.datetime(2026, 11, 20, 10, tzinfo=CAMPAIGN_TZ)


def _at(moment: datetime.datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def world(tree):
    village, other = tree["villages"]
    make_sorting_rules(tree["district"])
    scorer = make_staff(Role.COMMITTEE, village, name="李委员")
    with _at(AT):
        found = sorting_round_open(village=village, actor=scorer, held_on=DAY)
    return {
        "village": village,
        "household": make_household(village, head_name="赵秀英"),
        "scorer": scorer,
        "checker": make_staff(Role.COMMITTEE, village, name="王委员"),
        "outsider": make_staff(Role.COMMITTEE, other, name="丙委员"),
        "round": found,
    }


def _grade(world, grade, key, *, actor=None, household=None):
    with _at(AT):
        return sorting_check_record(
            round=world["round"],
            household=household or world["household"],
            grade=grade,
            actor=actor or world["scorer"],
            idempotency_key=key,
        )


def _balance(household):
    account = Account.objects.filter(household=household).first()
    return account.balance if account else 0


def _pending(household):
    return PointsClaim.objects.filter(household=household, status=PointsClaim.Status.PENDING)


def test_undo_withdraws_the_pending_claim_and_clears_the_row(world):
    check = _grade(world, "excellent", "key-undo-0001")
    with _at(AT + datetime.timedelta(minutes=2)):
        undone = sorting_check_undo(check=check, actor=world["scorer"])
    assert undone.withdrawn_at is not None
    claim = PointsClaim.objects.get(pk=check.claim_id)
    assert claim.status == PointsClaim.Status.WITHDRAWN
    assert claim.decided_by == world["scorer"]
    assert not _pending(world["household"]).exists()
    sheet = sorting_round_sheet(round=world["round"], group=None)
    row = next(r for r in sheet.rows if r.household == world["household"])
    assert row.grades == () and sheet.graded == 0
    # A double tap on "undo" changes nothing more.
    with _at(AT + datetime.timedelta(minutes=2, seconds=1)):
        again = sorting_check_undo(check=check, actor=world["scorer"])
    assert again.withdrawn_at == undone.withdrawn_at


def test_undo_of_an_automatically_paid_grade_reverses_its_points(world):
    check = _grade(world, "pass", "key-undo-pass1")
    assert _balance(world["household"]) == 1
    with _at(AT + datetime.timedelta(minutes=1)):
        sorting_check_undo(check=check, actor=world["scorer"])
    assert _balance(world["household"]) == 0
    reversal = LedgerTransaction.objects.get(kind=LedgerTransaction.Kind.REVERSAL)
    assert reversal.reverses_id == check.claim.transaction_id
    assert PointsClaim.objects.get(pk=check.claim_id).status == PointsClaim.Status.WITHDRAWN


def test_only_the_scorer_and_only_within_the_window(world):
    check = _grade(world, "excellent", "key-undo-0002")
    with _at(AT + datetime.timedelta(minutes=1)), pytest.raises(ScoringError) as refused:
        sorting_check_undo(check=check, actor=world["checker"])
    assert refused.value.code == "not_your_grade"
    with _at(AT + UNDO_WINDOW + datetime.timedelta(seconds=1)), pytest.raises(ScoringError) as late:
        sorting_check_undo(check=check, actor=world["scorer"])
    assert late.value.code == "too_late"
    assert _pending(world["household"]).count() == 1


def test_a_grade_an_approver_decided_cannot_be_undone(world):
    check = _grade(world, "excellent", "key-undo-0003")
    with _at(AT + datetime.timedelta(minutes=1)):
        claim_approve(claim=check.claim, approver=world["checker"])
    with _at(AT + datetime.timedelta(minutes=2)), pytest.raises(ScoringError) as refused:
        sorting_check_undo(check=check, actor=world["scorer"])
    assert refused.value.code == "already_decided"
    assert SortingCheck.objects.get(pk=check.pk).withdrawn_at is None
    assert _balance(world["household"]) == 3


def test_undo_of_paid_points_already_spent_is_refused_and_changes_nothing(world):
    check = _grade(world, "pass", "key-undo-spent")
    # The household spends its point: the reversal would take it below zero.
    store = make_store(world["village"])
    points_spend(
        household=world["household"],
        store_id=store.pk,
        amount=1,
        reason="肥皂",
        idempotency_key="spend-undo-1",
        actor=world["scorer"],
    )
    with _at(AT + datetime.timedelta(minutes=1)), pytest.raises(LedgerError) as refused:
        sorting_check_undo(check=check, actor=world["scorer"])
    assert refused.value.code == "insufficient_points"
    assert SortingCheck.objects.get(pk=check.pk).withdrawn_at is None
    assert PointsClaim.objects.get(pk=check.claim_id).status == PointsClaim.Status.AUTO_APPROVED


def test_change_replaces_the_claim_never_doubles_it(world):
    check = _grade(world, "excellent", "key-change-001")
    with _at(AT + datetime.timedelta(minutes=3)):
        new = sorting_check_change(
            check=check, grade="good", actor=world["scorer"], idempotency_key="key-change-002"
        )
    assert new.grade == "good" and not new.is_conflict and not new.claim.flag
    pending = list(_pending(world["household"]))
    assert [claim.pk for claim in pending] == [new.claim_id]
    old = SortingCheck.objects.get(pk=check.pk)
    assert old.replaced_by_id == new.pk and old.withdrawn_at is not None
    assert old.claim.status == PointsClaim.Status.WITHDRAWN
    # A retry of the same change returns the same new grade.
    with _at(AT + datetime.timedelta(minutes=3)):
        retried = sorting_check_change(
            check=check, grade="good", actor=world["scorer"], idempotency_key="key-change-002"
        )
    assert retried.pk == new.pk
    assert SortingCheck.objects.filter(household=world["household"]).count() == 2
    # The same key for another grade is refused.
    with _at(AT + datetime.timedelta(minutes=3)), pytest.raises(LedgerError) as refused:
        sorting_check_change(
            check=check, grade="fail", actor=world["scorer"], idempotency_key="key-change-002"
        )
    assert refused.value.code == "key_reused"


def test_undoing_one_of_two_grades_ends_the_conflict(world):
    first = _grade(world, "excellent", "key-conf-0001")
    second = _grade(world, "good", "key-conf-0002", actor=world["checker"])
    assert SortingCheck.objects.get(pk=first.pk).is_conflict
    with _at(AT + datetime.timedelta(minutes=1)):
        sorting_check_undo(check=second, actor=world["checker"])
    left = SortingCheck.objects.get(pk=first.pk)
    assert not left.is_conflict and left.claim.flag == ""


def test_a_scorer_out_of_scope_cannot_change(world):
    check = _grade(world, "excellent", "key-scope-001")
    with _at(AT + datetime.timedelta(minutes=1)), pytest.raises(ScoringError) as refused:
        sorting_check_change(
            check=check, grade="good", actor=world["outsider"], idempotency_key="key-scope-002"
        )
    assert refused.value.code == "not_your_grade"


def test_approve_all_skips_flagged_and_own_and_pays_the_rest_once(world):
    households = [make_household(world["village"], head_name=f"户{n}") for n in range(3)]
    claims = [
        _grade(world, "excellent", f"key-all-{n:04d}", household=h).claim
        for n, h in enumerate(households)
    ]
    # Graded twice: both flagged, left for one-by-one decisions.
    _grade(world, "good", "key-all-dup1", household=households[0], actor=world["checker"])
    own = _grade(world, "excellent", "key-all-own1", actor=world["checker"]).claim
    ids = [c.pk for c in PointsClaim.objects.filter(status=PointsClaim.Status.PENDING)]
    result = claims_approve_unflagged(claim_ids=ids, approver=world["checker"])
    assert result.approved == 2
    assert result.skipped == len(ids) - 2
    assert [_balance(h) for h in households] == [0, 3, 3]
    assert PointsClaim.objects.get(pk=claims[0].pk).status == PointsClaim.Status.PENDING
    assert PointsClaim.objects.get(pk=own.pk).status == PointsClaim.Status.PENDING
    again = claims_approve_unflagged(claim_ids=ids, approver=world["checker"])
    assert again.approved == 0
    assert [_balance(h) for h in households] == [0, 3, 3]


def test_approve_all_applies_scope_like_approving_one(world):
    claim = _grade(world, "excellent", "key-all-scope").claim
    result = claims_approve_unflagged(claim_ids=[claim.pk], approver=world["outsider"])
    assert (result.approved, result.skipped) == (0, 1)
    assert PointsClaim.objects.get(pk=claim.pk).status == PointsClaim.Status.PENDING
