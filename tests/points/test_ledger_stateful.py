"""A Hypothesis state machine over the ledger services (invariants 1, 2, 3 and 5 of DESIGN.md).

Random sequences of awards, redemptions, voids, reversals, expiries, adjustments, idempotent
replays and reused keys run against the real services, next to a model of what every account
should hold. After every step: each household's cached balance equals the model and the sum of its
postings, no household is below zero, all postings sum to zero, every other account (pools,
stores, expiry) holds what the model says, refused calls and replays changed nothing, and
``ledger_problems_list()`` finds no problem (hash chains, sequences, balanced transactions).

Each example builds its own two area trees inside a savepoint that is rolled back at teardown,
so examples never see each other's rows.
"""

import datetime as dt
import itertools
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from points.exceptions import LedgerError
from points.models import Account, HouseholdMonth, LedgerTransaction, Posting
from points.selectors.ledger import household_points_get, ledger_problems_list

# The module, not its functions: a mutation test can swap them and this machine follows.
from points.services import ledger
from tests.factories import UserFactory, make_household, make_tree

STORES = (101, 102)
KINDS = {
    "points_award": LedgerTransaction.Kind.AWARD,
    "points_spend": LedgerTransaction.Kind.REDEMPTION,
    "points_void": LedgerTransaction.Kind.VOID,
    "points_reverse": LedgerTransaction.Kind.REVERSAL,
    "points_expire": LedgerTransaction.Kind.EXPIRY,
    "points_adjust": LedgerTransaction.Kind.ADJUSTMENT,
}
_keys = itertools.count(1)

# How a debit's amount relates to the balance: within it, all of it, or more than it.
HOW = st.sampled_from(["within", "exact", "over"])
HOUSEHOLD = st.integers(min_value=0, max_value=2)
FUNDER = st.integers(min_value=0, max_value=2)  # the district's pool, the town's, the village's
# The event's day of an award: today, or one of two months in the past (the kept
# month rows follow occurred_on; a reversal keeps the day of what it reverses).
ON = st.sampled_from([None, dt.date(2026, 1, 31), dt.date(2026, 2, 1)])


def _debit(how: str, balance: int, amount: int) -> int:
    if how == "within" and balance > 0:
        return 1 + (amount - 1) % balance
    if how == "exact" and balance > 0:
        return balance
    if how == "over":
        return balance + amount
    return amount


@dataclass
class Call:
    """A service call that succeeded: replaying it must return the same transaction."""

    name: str
    kwargs: dict
    transaction_id: int


@dataclass
class Entry:
    """A recorded transaction that may later be voided or reversed."""

    transaction: LedgerTransaction
    household: int  # index into the machine's households
    deltas: dict = field(default_factory=dict)  # model account key → amount

    def __repr__(self) -> str:
        return f"Entry({self.transaction.kind} #{self.transaction.pk}, {self.deltas})"


class LedgerMachine(RuleBasedStateMachine):
    redemptions = Bundle("redemptions")
    corrections = Bundle("corrections")  # awards and adjustments: what points_reverse takes

    def __init__(self, actor=None):
        super().__init__()
        # Everything this example writes is rolled back in teardown().
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        first, second = make_tree(), make_tree(villages=1)
        villages = [
            (first, first["villages"][0]),
            (first, first["villages"][1]),
            (second, second["villages"][0]),
        ]
        self.households = [make_household(village) for _tree, village in villages]
        self.districts = [tree["district"] for tree, _village in villages]
        # What each household's awards and adjustments may be funded by (None: the district).
        self.funders = [(None, tree["town"], village) for tree, village in villages]
        self.actor = actor or UserFactory()
        self.model: dict[tuple, int] = {}  # account key → points it holds
        self.reversed: set[int] = set()  # ids of transactions voided or reversed
        self.calls: list[Call] = []
        self.transactions_before = LedgerTransaction.objects.count()
        self.transactions = 0

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- The model ------------------------------------------------------------------------------

    def _hh(self, index: int) -> tuple:
        return ("household", self.households[index].pk)

    def balance(self, index: int) -> int:
        return self.model.get(self._hh(index), 0)

    def _pool(self, index: int, funder: int) -> tuple:
        area = self.funders[index][funder] or self.districts[index]
        return ("pool", area.pk)

    def _key(self, prefix: str) -> str:
        return f"stateful:{prefix}:{next(_keys)}"

    def _succeed(self, name: str, deltas: dict, **kwargs) -> LedgerTransaction:
        entry = getattr(ledger, name)(**kwargs)
        assert entry.pk is not None
        assert entry.idempotency_key == kwargs["idempotency_key"]
        assert entry.kind == KINDS[name]
        original = kwargs.get("redemption") or kwargs.get("original")
        assert entry.reverses_id == (original.pk if original else None)
        recorded = {}
        for posting in entry.postings.select_related("account"):
            account = posting.account
            owner = {
                Account.Kind.HOUSEHOLD: account.household_id,
                Account.Kind.STORE: account.store_id,
            }.get(account.kind, account.area_id)
            key = (account.kind, owner)
            recorded[key] = recorded.get(key, 0) + posting.amount
        assert recorded == deltas
        for key, amount in deltas.items():
            self.model[key] = self.model.get(key, 0) + amount
        self.transactions += 1
        self.calls.append(Call(name, kwargs, entry.pk))
        return entry

    def _refused(self, name: str, codes: set[str], **kwargs) -> None:
        with pytest.raises(LedgerError) as refused:
            getattr(ledger, name)(**kwargs)
        assert refused.value.code in codes, refused.value.code

    # --- Rules ----------------------------------------------------------------------------------

    @initialize(target=corrections, amounts=st.lists(st.integers(0, 400), min_size=3, max_size=3))
    def opening_awards(self, amounts):
        """Most examples start with points, so spends and voids succeed even when swarm testing
        switches the award rule off."""
        return multiple(
            *(
                self.award(index, amount, funder=0)
                for index, amount in enumerate(amounts)
                if amount > 0
            )
        )

    @rule(target=corrections, index=HOUSEHOLD, amount=st.integers(1, 500), funder=FUNDER, on=ON)
    def award(self, index, amount, funder, on=None):
        entry = self._succeed(
            "points_award",
            {self._hh(index): amount, self._pool(index, funder): -amount},
            household=self.households[index],
            amount=amount,
            reason="垃圾分类 优",
            idempotency_key=self._key("award"),
            actor=self.actor,
            funded_by=self.funders[index][funder],
            occurred_on=on,
        )
        return Entry(entry, index, {self._hh(index): amount, self._pool(index, funder): -amount})

    @rule(
        target=redemptions,
        index=HOUSEHOLD,
        store=st.sampled_from(STORES),
        how=HOW,
        amount=st.integers(1, 300),
    )
    def spend(self, index, store, how, amount):
        amount = _debit(how, self.balance(index), amount)
        kwargs = {
            "household": self.households[index],
            "amount": amount,
            "store_id": store,
            "reason": "美家超市 兑换",
            "idempotency_key": self._key("spend"),
            "actor": self.actor,
        }
        if amount > self.balance(index):
            self._refused("points_spend", {"insufficient_points"}, **kwargs)
            return multiple()
        deltas = {self._hh(index): -amount, ("store", store): amount}
        return Entry(self._succeed("points_spend", deltas, **kwargs), index, deltas)

    @rule(redemption=redemptions)
    def void(self, redemption):
        kwargs = {
            "redemption": redemption.transaction,
            "reason": "顾客退货",
            "idempotency_key": self._key("void"),
            "actor": self.actor,
        }
        if redemption.transaction.pk in self.reversed:
            self._refused("points_void", {"already_reversed"}, **kwargs)
            return
        deltas = {key: -amount for key, amount in redemption.deltas.items()}
        self._succeed("points_void", deltas, **kwargs)
        self.reversed.add(redemption.transaction.pk)

    @rule(original=corrections)
    def reverse(self, original):
        kwargs = {
            "original": original.transaction,
            "reason": "录错了",
            "idempotency_key": self._key("reverse"),
            "actor": self.actor,
        }
        deltas = {key: -amount for key, amount in original.deltas.items()}
        short = self.balance(original.household) + deltas[self._hh(original.household)] < 0
        if original.transaction.pk in self.reversed:
            # A second reversal is refused as such, whatever the balance.
            codes = {"already_reversed"}
            self._refused("points_reverse", codes, **kwargs)
        elif short:
            self._refused("points_reverse", {"insufficient_points"}, **kwargs)
        else:
            self._succeed("points_reverse", deltas, **kwargs)
            self.reversed.add(original.transaction.pk)

    @rule(redemption=redemptions, original=corrections)
    def wrong_kind(self, redemption, original):
        self._refused(
            "points_void",
            {"not_a_redemption"},
            redemption=original.transaction,
            reason="作废",
            idempotency_key=self._key("void"),
            actor=self.actor,
        )
        self._refused(
            "points_reverse",
            {"not_reversible"},
            original=redemption.transaction,
            reason="冲正",
            idempotency_key=self._key("reverse"),
            actor=self.actor,
        )

    @rule(index=HOUSEHOLD, how=HOW, amount=st.integers(1, 300))
    def expire(self, index, how, amount):
        amount = _debit(how, self.balance(index), amount)
        kwargs = {
            "household": self.households[index],
            "amount": amount,
            "reason": "积分到期",
            "idempotency_key": self._key("expire"),
        }
        if amount > self.balance(index):
            self._refused("points_expire", {"insufficient_points"}, **kwargs)
            return
        expiry = ("expiry", self.districts[index].pk)
        self._succeed("points_expire", {self._hh(index): -amount, expiry: amount}, **kwargs)

    @rule(
        target=corrections,
        index=HOUSEHOLD,
        how=HOW,
        amount=st.integers(1, 300),
        negative=st.booleans(),
        funder=FUNDER,
        reason=st.sampled_from(["更正评分", "评分录入有误", "  "]),
    )
    def adjust(self, index, how, amount, negative, funder, reason):
        if negative:
            amount = -_debit(how, self.balance(index), amount)
        kwargs = {
            "household": self.households[index],
            "amount": amount,
            "reason": reason,
            "idempotency_key": self._key("adjust"),
            "actor": self.actor,
            "funded_by": self.funders[index][funder],
        }
        if not reason.strip():
            self._refused("points_adjust", {"reason_required"}, **kwargs)
            return multiple()
        if self.balance(index) + amount < 0:
            self._refused("points_adjust", {"insufficient_points"}, **kwargs)
            return multiple()
        deltas = {self._hh(index): amount, self._pool(index, funder): -amount}
        return Entry(self._succeed("points_adjust", deltas, **kwargs), index, deltas)

    @precondition(lambda self: self.calls)
    @rule(data=st.data(), variant=st.sampled_from(["same", "other amount", "other kind"]))
    def replay(self, data, variant):
        """A retry returns the first transaction; the key used for another change is refused.

        Either way nothing is recorded (checked by ``nothing_created_or_lost``).
        """
        call = data.draw(st.sampled_from(self.calls), label="call")
        if variant == "same":
            again = getattr(ledger, call.name)(**call.kwargs)
            assert again.pk == call.transaction_id
        elif variant == "other amount" and "amount" in call.kwargs and call.kwargs["amount"] > 0:
            kwargs = {**call.kwargs, "amount": call.kwargs["amount"] + 1}
            self._refused(call.name, {"key_reused"}, **kwargs)
        else:
            # Another kind of transaction under the same key: refused before any balance check.
            name = "points_spend" if call.name == "points_award" else "points_award"
            kwargs = {
                "household": self.households[0],
                "amount": 10**9,
                "reason": "x",
                "idempotency_key": call.kwargs["idempotency_key"],
                "actor": self.actor,
            }
            if name == "points_spend":
                kwargs["store_id"] = STORES[0]
            self._refused(name, {"key_reused"}, **kwargs)

    # --- Invariants -----------------------------------------------------------------------------

    @invariant()
    def households_match_the_model(self):
        totals = {
            account_id: (total, count)
            for account_id, total, count in Posting.objects.filter(
                account__kind=Account.Kind.HOUSEHOLD
            )
            .values_list("account_id")
            .annotate(Sum("amount"), Count("id"))
        }
        accounts = {
            account.household_id: account
            for account in Account.objects.filter(household__in=self.households)
        }
        for index, household in enumerate(self.households):
            account = accounts.get(household.pk)
            if account is None:
                assert self.balance(index) == 0
                continue
            total, count = totals.get(account.pk, (0, 0))
            assert account.balance == self.balance(index)
            assert account.balance == total
            assert account.posting_count == count
        assert not Account.objects.filter(kind=Account.Kind.HOUSEHOLD, balance__lt=0).exists()

    @invariant()
    def other_accounts_match_the_model(self):
        held = {}
        rows = (
            Posting.objects.exclude(account__kind=Account.Kind.HOUSEHOLD)
            .values_list("account__kind", "account__area_id", "account__store_id")
            .annotate(Sum("amount"))
        )
        for kind, area_id, store_id, total in rows:
            if total:
                held[(kind, store_id if kind == Account.Kind.STORE else area_id)] = total
        expected = {
            key: amount
            for key, amount in self.model.items()
            if key[0] != "household" and amount != 0
        }
        assert held == expected

    @invariant()
    def nothing_created_or_lost(self):
        assert (Posting.objects.aggregate(total=Sum("amount"))["total"] or 0) == 0
        assert sum(self.model.values()) == 0
        # Refused calls and replays recorded nothing.
        assert LedgerTransaction.objects.count() == self.transactions_before + self.transactions

    @invariant()
    def kept_months_match_the_postings(self):
        """The kept month rows equal the household postings summed by month and kind, and the
        villager's figures (this month's earnings, rank) read from them equal the same sums."""
        column = HouseholdMonth.KIND_COLUMNS
        summed: dict[tuple, dict[str, int]] = {}
        rows = (
            Posting.objects.filter(account__household__in=self.households)
            .annotate(month=TruncMonth("transaction__occurred_on"))
            .values_list("account__household_id", "month", "transaction__kind")
            .annotate(total=Sum("amount"))
        )
        for household_id, month, kind, total in rows:
            summed.setdefault((household_id, month), {})[column[kind]] = total
        kept = {
            (row.household_id, row.month): {
                name: getattr(row, name) for name in column.values() if getattr(row, name)
            }
            for row in HouseholdMonth.objects.filter(household__in=self.households)
        }
        assert kept == {key: {k: v for k, v in sums.items() if v} for key, sums in summed.items()}
        for household in self.households:
            for month in {month for _household, month in summed}:
                awarded = {
                    other: sums.get("awarded", 0)
                    for (other, other_month), sums in summed.items()
                    if other_month == month
                    and other
                    in {h.pk for h in self.households if h.village_id == household.village_id}
                    and sums.get("awarded", 0) > 0
                }
                figures = household_points_get(household=household, today=month)
                mine = awarded.get(household.pk, 0)
                assert figures.earned_this_month == mine
                assert figures.households_ranked == len(awarded)
                assert figures.rank_in_village == (
                    1 + sum(1 for total in awarded.values() if total > mine) if mine else None
                )

    @invariant()
    def verification_is_clean(self):
        assert ledger_problems_list()[0] == []


@pytest.mark.django_db
def test_ledger_state_machine():
    actor = UserFactory()  # made once: hashing its password is most of an example's set-up
    run_state_machine_as_test(
        lambda: LedgerMachine(actor),
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
