"""The ledger under real concurrency, and the append-only trigger (real PostgreSQL)."""

import random
import threading
import time

import pytest
from django.db import connection, connections
from django.db.utils import DatabaseError

from points.exceptions import LedgerError
from points.models import Account, LedgerTransaction, Posting
from points.selectors.ledger import ledger_problems_list
from points.services import points_award, points_spend
from tests.factories import make_household, make_tree

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _in_threads(count, work):
    barrier = threading.Barrier(count)
    errors = []

    def run(index):
        try:
            barrier.wait()
            work(index)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:3]


def test_fifty_threads_awarding_and_spending_keep_every_point():
    household = make_household(make_tree(villages=1)["villages"][0])
    points_award(household=household, amount=100, reason="起始", idempotency_key="seed", actor=None)
    succeeded = []  # signed amounts of the operations that went through
    refused = []
    lock = threading.Lock()
    deadline = time.monotonic() + 4

    def work(index):
        rng = random.Random(index)
        serial = 0
        while time.monotonic() < deadline:
            serial += 1
            amount = rng.randint(1, 40)
            key = f"t{index}-{serial}"
            try:
                if rng.random() < 0.5:
                    points_award(
                        household=household,
                        amount=amount,
                        reason="并发",
                        idempotency_key=key,
                        actor=None,
                    )
                    signed = amount
                else:
                    points_spend(
                        household=household,
                        amount=amount,
                        store_id=1,
                        reason="并发",
                        idempotency_key=key,
                        actor=None,
                    )
                    signed = -amount
            except LedgerError as error:
                assert error.code == "insufficient_points"
                with lock:
                    refused.append(key)
                continue
            with lock:
                succeeded.append(signed)

    _in_threads(50, work)
    account = Account.objects.get(household=household)
    assert len(succeeded) > 100
    assert account.balance == 100 + sum(succeeded)
    assert account.balance >= 0
    assert not Posting.objects.filter(account=account, balance_after__lt=0).exists()
    assert account.posting_count == len(succeeded) + 1
    assert ledger_problems_list()[0] == []


def test_a_retry_storm_with_one_key_makes_one_transaction():
    """100 submissions of one key at once (40 connections: PostgreSQL's default limit is 100)."""
    household = make_household(make_tree(villages=1)["villages"][0])
    results = []
    lock = threading.Lock()

    def work(index):
        for _attempt in range(100 // 40 + (1 if index < 100 % 40 else 0)):
            entry = points_award(
                household=household, amount=7, reason="重试", idempotency_key="storm", actor=None
            )
            with lock:
                results.append(entry.pk)

    _in_threads(40, work)
    assert len(results) == 100
    assert len(set(results)) == 1
    assert LedgerTransaction.objects.filter(idempotency_key="storm").count() == 1
    assert Account.objects.get(household=household).balance == 7


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE points_posting SET amount = amount + 1",
        "DELETE FROM points_posting",
        "UPDATE points_ledgertransaction SET reason = 'x'",
        "DELETE FROM points_ledgertransaction",
    ],
)
def test_raw_sql_cannot_change_the_ledger(statement):
    household = make_household(make_tree(villages=1)["villages"][0])
    points_award(household=household, amount=5, reason="x", idempotency_key="k", actor=None)
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute(statement)
    assert Posting.objects.filter(amount=5).count() == 1
