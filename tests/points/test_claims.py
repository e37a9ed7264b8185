"""Maker-checker: one person records points, another approves, the ledger pays."""

import datetime

import pytest
from django.utils import timezone

from points.exceptions import ScoringError
from points.models import Account, LedgerTransaction, PointsClaim
from points.selectors.ledger import household_pending_points, ledger_problems_list
from points.services.claims import claim_approve, claim_record, claim_reject
from points.services.rules import rule_create
from tests.factories import Role, make_household, make_staff

pytestmark = pytest.mark.django_db
# Caps count by the local day the ledger records the award.
TODAY = timezone.localdate()


@pytest.fixture
def setup(tree):
    village_a, village_b = tree["villages"]
    rule = rule_create(
        actor=None,
        area=tree["district"],
        code="sorting-excellent",
        category="sorting",
        is_published=True,
        name="垃圾分类 优",
        points=5,
        cap_per_day=5,
        valid_from=datetime.date(2026, 1, 1),
    )
    routine = rule_create(
        actor=None,
        area=tree["district"],
        code="sorting-pass",
        category="sorting",
        is_published=True,
        name="垃圾分类 合格",
        points=1,
        valid_from=datetime.date(2026, 1, 1),
        auto_approve_up_to=2,
    )
    return {
        "household": make_household(village_a, head_name="何美珍"),
        "recorder": make_staff(Role.COMMITTEE, village_a, name="甲委员"),
        "checker": make_staff(Role.COMMITTEE, village_a, name="乙委员"),
        "outsider": make_staff(Role.COMMITTEE, village_b, name="丙委员"),
        "town_admin": make_staff(Role.TOWN_ADMIN, tree["town"], name="镇干部"),
        "version": rule.versions.get(version=1),
        "routine": routine.versions.get(version=1),
    }


def _record(setup, key="c1", version=None, actor=None):
    return claim_record(
        household=setup["household"],
        version=version or setup["version"],
        actor=actor or setup["recorder"],
        idempotency_key=key,
        occurred_on=TODAY,
    )


def _balance(setup):
    account = Account.objects.filter(household=setup["household"]).first()
    return account.balance if account else 0


def test_recorded_points_wait_for_a_second_person(setup):
    claim = _record(setup)
    assert claim.status == PointsClaim.Status.PENDING
    assert household_pending_points(household=setup["household"]) == 5
    assert _balance(setup) == 0
    claim = claim_approve(claim=claim, approver=setup["checker"])
    assert claim.status == PointsClaim.Status.APPROVED
    assert _balance(setup) == 5
    entry = claim.transaction
    assert (entry.actor, entry.approver) == (setup["recorder"], setup["checker"])
    assert (entry.rule_code, entry.rule_version) == ("sorting-excellent", 1)
    assert household_pending_points(household=setup["household"]) == 0


def test_the_recorder_cannot_approve_their_own_points(setup):
    claim = _record(setup)
    with pytest.raises(ScoringError) as error:
        claim_approve(claim=claim, approver=setup["recorder"])
    assert error.value.code == "own_claim"
    assert _balance(setup) == 0


def test_a_member_of_another_village_cannot_record_or_approve(setup):
    with pytest.raises(ScoringError):
        _record(setup, actor=setup["outsider"])
    claim = _record(setup)
    with pytest.raises(ScoringError) as error:
        claim_approve(claim=claim, approver=setup["outsider"])
    assert error.value.code == "not_in_scope"


def test_a_town_admin_may_approve(setup):
    claim = claim_approve(claim=_record(setup), approver=setup["town_admin"])
    assert claim.status == PointsClaim.Status.APPROVED


def test_approving_twice_pays_once(setup):
    claim = _record(setup)
    claim_approve(claim=claim, approver=setup["checker"])
    claim_approve(claim=claim, approver=setup["checker"])
    assert _balance(setup) == 5
    assert LedgerTransaction.objects.count() == 1


def test_recording_twice_with_one_key_makes_one_claim(setup):
    assert _record(setup, key="same").pk == _record(setup, key="same").pk
    assert PointsClaim.objects.count() == 1


def test_small_routine_amounts_are_approved_automatically(setup):
    claim = _record(setup, version=setup["routine"])
    assert claim.status == PointsClaim.Status.AUTO_APPROVED
    assert claim.transaction.approver is None
    assert _balance(setup) == 1


def test_the_cap_applies_at_approval(setup):
    first = _record(setup, key="c1")
    second = _record(setup, key="c2")
    claim_approve(claim=first, approver=setup["checker"])
    second = claim_approve(claim=second, approver=setup["checker"])
    assert second.transaction is None
    assert _balance(setup) == 5
    assert ledger_problems_list()[0] == []


def test_rejection_needs_a_reason_and_pays_nothing(setup):
    claim = _record(setup)
    with pytest.raises(ScoringError):
        claim_reject(claim=claim, approver=setup["checker"], note="")
    claim = claim_reject(claim=claim, approver=setup["checker"], note="照片看不清")
    assert claim.status == PointsClaim.Status.REJECTED
    claim_approve(claim=claim, approver=setup["checker"])
    assert _balance(setup) == 0


def test_approval_queue_in_the_admin(client, setup):
    from django.urls import reverse

    claim = _record(setup)
    client.force_login(setup["recorder"])
    page = client.get(reverse("points_claims:queue")).content.decode()
    assert "何美珍" in page
    client.post(reverse("points_claims:decide", args=[claim.pk]), {"decision": "approve"})
    assert _balance(setup) == 0  # the recorder's own approval is refused
    client.force_login(setup["outsider"])
    assert "何美珍" not in client.get(reverse("points_claims:queue")).content.decode()
    response = client.post(
        reverse("points_claims:decide", args=[claim.pk]), {"decision": "approve"}
    )
    assert response.status_code == 404
    client.force_login(setup["checker"])
    client.post(reverse("points_claims:decide", args=[claim.pk]), {"decision": "approve"})
    assert _balance(setup) == 5
