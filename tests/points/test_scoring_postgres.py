"""Scoring under real concurrency (PostgreSQL): phones re-sending queued grades at once, two
scorers grading one household at once, two beat workers ending one publicity at once."""

import datetime

import pytest

from points.models import LedgerTransaction, PointsClaim, SortingCheck
from points.selectors.ledger import ledger_problems_list
from points.services.appraisals import (
    appraisal_campaign_create,
    appraisal_score_record,
    appraisal_verify,
)
from points.services.publicity import publicity_end_run
from points.services.sorting import sorting_check_record, sorting_round_open
from tests.factories import Role, make_household, make_staff, make_tree
from tests.points.factories import make_sorting_rules
from tests.points.test_ledger_postgres import _in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world():
    tree = make_tree(villages=1)
    village = tree["villages"][0]
    make_sorting_rules(tree["district"])
    scorers = [make_staff(Role.COMMITTEE, village, name=f"委员{i}") for i in range(3)]
    return {
        "village": village,
        "scorers": scorers,
        "household": make_household(village, head_name="钱秀梅"),
        "round": sorting_round_open(village=village, actor=scorers[0]),
    }


def test_eight_resends_of_one_queued_grade_at_once_record_it_once(world):
    def work(index):
        sorting_check_record(
            round=world["round"],
            household=world["household"],
            grade="pass",
            actor=world["scorers"][0],
            idempotency_key="offline-entry-0001",
        )

    _in_threads(8, work)
    assert SortingCheck.objects.count() == 1
    assert PointsClaim.objects.count() == 1
    assert LedgerTransaction.objects.filter(source_type="sorting_check").count() == 1
    assert ledger_problems_list()[0] == []


def test_two_scorers_grading_one_household_at_once_are_both_flagged(world):
    def work(index):
        sorting_check_record(
            round=world["round"],
            household=world["household"],
            grade="pass",
            actor=world["scorers"][index],
            idempotency_key=f"scorer-{index}-entry",
        )

    _in_threads(2, work)
    checks = list(SortingCheck.objects.all())
    assert len(checks) == 2 and all(check.is_conflict for check in checks)
    # The second arrival saw the first: its routine grade waits for an approver.
    assert PointsClaim.objects.filter(status=PointsClaim.Status.PENDING).count() >= 1


def test_two_workers_ending_one_publicity_at_once_award_once(world):
    scorer, verifier = world["scorers"][0], world["scorers"][1]
    campaign = appraisal_campaign_create(
        village=world["village"],
        title="评比",
        period_start=datetime.date(2026, 10, 1),
        period_end=datetime.date(2026, 10, 31),
        actor=scorer,
    )
    households = [world["household"]] + [
        make_household(world["village"], head_name=f"户{i}") for i in range(5)
    ]
    for index, household in enumerate(households):
        appraisal_score_record(
            campaign=campaign,
            household=household,
            scorer=scorer,
            scores={c.pk: 18 for c in campaign.criteria.all()},
            idempotency_key=f"sheet-key-{index}",
        )
    appraisal_verify(campaign=campaign, actor=verifier, starts_on=datetime.date(2026, 11, 1))

    _in_threads(4, lambda index: publicity_end_run(today=datetime.date(2026, 11, 20)))
    assert LedgerTransaction.objects.filter(source_type="appraisal_result").count() == 6
    assert ledger_problems_list()[0] == []
