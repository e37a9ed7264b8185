"""The ledger's invariants (DESIGN.md 1–7) on any database."""

import pytest
from django.db.models import Sum

from points.exceptions import LedgerError
from points.models import Account, LedgerCheck, LedgerTransaction, Posting
from points.selectors.ledger import ledger_problems_list
from points.services import (
    points_adjust,
    points_award,
    points_expire,
    points_reverse,
    points_spend,
    points_void,
)
from points.services.checks import ledger_check_run
from points.services.ledger import household_account
from tests.factories import Role, make_household, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(tree):
    return make_household(tree["villages"][0], head_name="钱秀兰")


def _balance(household) -> int:
    return Account.objects.get(household=household).balance


def _award(household, amount, key, **kwargs):
    return points_award(
        household=household,
        amount=amount,
        reason="垃圾分类 优",
        idempotency_key=key,
        actor=None,
        **kwargs,
    )


def test_award_moves_points_from_the_districts_pool(household, tree):
    entry = _award(household, 10, "award-1")
    assert _balance(household) == 10
    legs = dict(entry.postings.values_list("account__kind", "amount"))
    assert legs == {"household": 10, "pool": -10}
    pool = Account.objects.get(kind="pool")
    assert pool.area == tree["district"]


def test_every_transaction_sums_to_zero_and_nothing_is_created_or_lost(household):
    _award(household, 30, "a1")
    spent = points_spend(
        household=household,
        amount=12,
        store_id=7,
        reason="兑换 洗衣粉",
        idempotency_key="s1",
        actor=None,
    )
    points_void(redemption=spent, reason="扫错了", idempotency_key="v1", actor=None)
    points_expire(household=household, amount=5, reason="年度清零", idempotency_key="e1")
    assert Posting.objects.aggregate(total=Sum("amount"))["total"] == 0
    assert _balance(household) == 25
    assert ledger_problems_list()[0] == []


def test_same_idempotency_key_returns_the_first_transaction(household):
    first = _award(household, 10, "same-key")
    again = _award(household, 10, "same-key")
    assert again.pk == first.pk
    assert _balance(household) == 10
    assert LedgerTransaction.objects.count() == 1


def test_a_key_reused_for_something_else_is_refused(household):
    _award(household, 10, "k")
    with pytest.raises(LedgerError) as error:
        _award(household, 11, "k")
    assert error.value.code == "key_reused"


def test_no_balance_goes_below_zero(household):
    _award(household, 5, "a")
    with pytest.raises(LedgerError) as error:
        points_spend(
            household=household, amount=6, store_id=1, reason="x", idempotency_key="s", actor=None
        )
    assert error.value.code == "insufficient_points"
    assert _balance(household) == 5
    assert not LedgerTransaction.objects.filter(idempotency_key="s").exists()


def test_the_database_refuses_a_negative_household_balance(household):
    from django.db import IntegrityError, transaction

    account = household_account(household)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(balance=-1)


def test_a_redemption_is_voided_once(household):
    _award(household, 20, "a")
    spent = points_spend(
        household=household, amount=8, store_id=3, reason="x", idempotency_key="s", actor=None
    )
    points_void(redemption=spent, reason="退货", idempotency_key="v1", actor=None)
    with pytest.raises(LedgerError) as error:
        points_void(redemption=spent, reason="退货", idempotency_key="v2", actor=None)
    assert error.value.code == "already_reversed"
    assert _balance(household) == 20


def test_only_redemptions_are_voided(household):
    award = _award(household, 20, "a")
    with pytest.raises(LedgerError):
        points_void(redemption=award, reason="x", idempotency_key="v", actor=None)


def test_reversal_names_what_it_reverses_and_refuses_spent_points(household):
    award = _award(household, 10, "a")
    points_spend(
        household=household, amount=8, store_id=3, reason="x", idempotency_key="s", actor=None
    )
    with pytest.raises(LedgerError) as error:
        points_reverse(original=award, reason="评错了", idempotency_key="r", actor=None)
    assert error.value.code == "insufficient_points"
    _award(household, 10, "a2")
    reversal = points_reverse(original=award, reason="评错了", idempotency_key="r", actor=None)
    assert reversal.reverses == award
    assert award.reversed_by == reversal
    assert _balance(household) == 2


def test_adjustment_needs_a_reason(household):
    staff = make_staff(Role.COMMITTEE, household.village)
    with pytest.raises(LedgerError):
        points_adjust(household=household, amount=5, reason=" ", idempotency_key="j", actor=staff)
    points_adjust(household=household, amount=5, reason="补录", idempotency_key="j", actor=staff)
    assert _balance(household) == 5


def test_each_households_postings_form_a_hash_chain(household):
    for index in range(5):
        _award(household, index + 1, f"a{index}")
    postings = list(Posting.objects.filter(account__household=household).order_by("sequence"))
    assert [p.sequence for p in postings] == [1, 2, 3, 4, 5]
    assert postings[0].prev_hash == ""
    for before, after in zip(postings, postings[1:], strict=False):
        assert after.prev_hash == before.hash
    assert household_account(household).last_hash == postings[-1].hash


def test_verification_finds_a_tampered_posting(household, django_capture_on_commit_callbacks):
    """Bypass the application (as an attacker with database access would) and check the checker."""
    from django.db import connection

    district_admin = make_staff(
        Role.DISTRICT_ADMIN, household.village.get_root(), phone="13800009999"
    )
    _award(household, 10, "a1")
    _award(household, 10, "a2")
    assert ledger_check_run().is_clean
    posting = Posting.objects.filter(account__household=household).order_by("sequence").first()
    with connection.cursor() as cursor:
        # As a database superuser could: skip the append-only trigger for this statement.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE points_posting SET amount = 50 WHERE id = %s", [posting.pk])
        cursor.execute("SET session_replication_role = DEFAULT")
    from meijia import sms

    with django_capture_on_commit_callbacks(execute=True):
        check = ledger_check_run()
    assert not check.is_clean
    codes = {problem["code"] for problem in check.problems}
    assert {"hash_mismatch", "balance_mismatch", "unbalanced_transaction"} <= codes
    assert LedgerCheck.objects.filter(is_clean=False).count() == 1
    assert [message.phone for message in sms.outbox] == [district_admin.phone]


def test_verification_finds_a_cached_balance_out_of_step(household):
    _award(household, 10, "a1")
    Account.objects.filter(household=household).update(balance=11)
    problems, _accounts, _transactions = ledger_problems_list()
    assert [problem["code"] for problem in problems] == ["balance_mismatch"]


def test_verify_ledger_command(household, capsys):
    from django.core.management import call_command

    _award(household, 10, "a1")
    call_command("verify_ledger")
    assert "intact" in capsys.readouterr().out


def test_household_keeps_its_points_when_it_moves(household, tree):
    import datetime

    from registry.services.register import household_move

    _award(household, 15, "a1")
    household_move(
        actor=None,
        household=household,
        to_village=tree["villages"][1],
        to_group=None,
        number="0999",
        effective_on=datetime.date(2026, 11, 23),
    )
    assert _balance(household) == 15
    assert ledger_problems_list()[0] == []


def test_a_second_reversal_is_refused_as_such_even_without_points(household):
    award = _award(household, 100, "a")
    points_reverse(original=award, reason="评错了", idempotency_key="r1", actor=None)
    with pytest.raises(LedgerError) as error:
        points_reverse(original=award, reason="评错了", idempotency_key="r2", actor=None)
    assert error.value.code == "already_reversed"


# --- The kept month rows (HouseholdMonth) -------------------------------------------------------


def _months(household) -> dict:
    from points.models import HouseholdMonth

    columns = HouseholdMonth.KIND_COLUMNS.values()
    return {
        row.month.isoformat(): {name: getattr(row, name) for name in columns if getattr(row, name)}
        for row in HouseholdMonth.objects.filter(household=household)
    }


def test_each_kind_lands_in_its_month_and_column(household):
    import datetime

    october, november = datetime.date(2026, 10, 31), datetime.date(2026, 11, 1)
    first = _award(household, 30, "a1", occurred_on=october)
    _award(household, 20, "a2", occurred_on=november)
    spent = points_spend(
        household=household,
        store_id=7,
        amount=12,
        reason="兑换",
        idempotency_key="s1",
        actor=None,
    )
    points_void(redemption=spent, reason="扫错了", idempotency_key="v1", actor=None)
    points_reverse(original=first, reason="评分有误", idempotency_key="r1", actor=None)
    points_expire(household=household, amount=5, reason="积分到期", idempotency_key="e1")
    points_adjust(household=household, amount=-3, reason="更正", idempotency_key="j1", actor=None)
    today = spent.occurred_on.replace(day=1).isoformat()
    expected = {
        # a reversal keeps the day of what it reverses
        "2026-10-01": {"awarded": 30, "reversed": -30},
        "2026-11-01": {"awarded": 20},
    }
    today_row = {"redeemed": -12, "voided": 12, "expired": -5, "adjusted": -3}
    if today in expected:
        expected[today] |= today_row
    else:
        expected[today] = today_row
    assert _months(household) == expected
    assert ledger_problems_list()[0] == []


def test_verification_reports_a_month_row_out_of_step(household, capsys):
    import datetime

    from django.core.management import call_command

    from points.models import HouseholdMonth

    _award(household, 10, "a1", occurred_on=datetime.date(2026, 11, 2))
    _award(household, 4, "a2", occurred_on=datetime.date(2026, 10, 2))
    HouseholdMonth.objects.filter(household=household, month="2026-11-01").update(awarded=11)
    HouseholdMonth.objects.filter(household=household, month="2026-10-01").delete()
    problems, _accounts, _transactions = ledger_problems_list()
    assert sorted(problems, key=lambda problem: problem["month"]) == [
        {
            "code": "month_mismatch",
            "household": household.pk,
            "month": "2026-10-01",
            "kept": dict.fromkeys(HouseholdMonth.KIND_COLUMNS.values()),
            "sum": {"awarded": 4, "redeemed": 0, "voided": 0, "reversed": 0}
            | {"expired": 0, "adjusted": 0},
        },
        {
            "code": "month_mismatch",
            "household": household.pk,
            "month": "2026-11-01",
            "kept": {"awarded": 11, "redeemed": 0, "voided": 0, "reversed": 0}
            | {"expired": 0, "adjusted": 0},
            "sum": {"awarded": 10, "redeemed": 0, "voided": 0, "reversed": 0}
            | {"expired": 0, "adjusted": 0},
        },
    ]
    with pytest.raises(SystemExit):
        call_command("verify_ledger")
    assert "month_mismatch" in capsys.readouterr().out
    assert not LedgerCheck.objects.latest("started_at").is_clean


def test_the_migration_fills_the_month_rows_from_the_postings(household, tree):
    """The fill of migration 0011 (for postings written before version 2) gives the rows that
    version 2 keeps."""
    import datetime
    import importlib

    from django.db import connection

    from points.models import HouseholdMonth

    other = make_household(tree["villages"][1])
    _award(household, 10, "a1", occurred_on=datetime.date(2026, 9, 30))
    _award(household, 7, "a2")
    _award(other, 3, "a3")
    points_spend(
        household=other, store_id=7, amount=2, reason="兑换", idempotency_key="s1", actor=None
    )
    kept = sorted(HouseholdMonth.objects.values_list())
    HouseholdMonth.objects.all().delete()
    migration = importlib.import_module("points.migrations.0011_household_month")
    with connection.cursor() as cursor:
        cursor.execute(migration.FILL)
    filled = sorted(HouseholdMonth.objects.values_list())
    strip_id = [row[1:] for row in filled]
    assert strip_id == [row[1:] for row in kept]
    assert len(filled) == 3
