"""Redemptions under real concurrency on PostgreSQL: the invariants, not just "no exception"."""

import base64
import threading

import pytest
from django.db import connection
from django.db.models import Sum

from points.models import Account, Posting
from registry.services import codes
from registry.services.codes import _CARD, _PHONE  # noqa: PLC2701 - the test re-signs with another key
from shops.exceptions import ShopError
from shops.models import Redemption
from shops.services.redemptions import redemption_confirm, redemption_preview
from shops.services.stock import stock_mismatches
from tests.shops.factories import make_shop_world, make_shopkeeper, make_store, redeem_soap

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(count, work, *, rounds=1):
    """``count`` threads start at once, each calling ``work`` ``rounds`` times back to back."""
    barrier = threading.Barrier(count)
    outcomes = []

    def worker(index):
        barrier.wait()
        for round_ in range(rounds):
            try:
                outcomes.append(("ok", work(index * rounds + round_)))
            except ShopError as refused:
                outcomes.append(("refused", refused.code))
            except Exception as error:  # noqa: BLE001 - reported by the assertion
                outcomes.append(("error", repr(error)))
        connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def assert_books_balance(household):
    account = Account.objects.get(household=household)
    posted = Posting.objects.filter(account=account).aggregate(total=Sum("amount"))["total"]
    assert account.balance >= 0
    assert account.balance == posted
    assert stock_mismatches() == []


def test_one_dynamic_code_confirmed_from_two_stores_at_once_redeems_once():
    world = make_shop_world(balance=100)
    household = world["household"]
    other = make_store(world["village"])
    other_keeper = make_shopkeeper(other)
    other_item = other.items.create(name="毛巾", points_price=10, unit="条")
    from shops.services.stock import stock_move

    stock_move(item=other_item, quantity=10, kind="delivery", actor=None)
    issued = codes.phone_code_issue(household)
    counters = [
        (world["store"], world["keeper"], {world["soap"].pk: 1}),
        (other, other_keeper, {other_item.pk: 1}),
    ]

    def work(index):
        store, keeper, basket = counters[index]
        return redemption_confirm(
            store=store,
            actor=keeper,
            code=issued.token,
            basket=basket,
            idempotency_key=f"two-stores-{index}-0000000000",
        ).redemption.pk

    outcomes = run_together(2, work)
    assert sorted(kind for kind, _value in outcomes) == ["ok", "refused"]
    assert [value for kind, value in outcomes if kind == "refused"] == ["used"]
    assert Redemption.objects.count() == 1
    assert Account.objects.get(household=household).balance == 90
    assert_books_balance(household)


def test_the_same_key_retried_100_times_in_parallel_redeems_once():
    world = make_shop_world(balance=100)
    household = world["household"]
    issued = codes.phone_code_issue(household)
    preview = redemption_preview(store=world["store"], actor=world["keeper"], code=issued.token)

    def work(_index):
        return redemption_confirm(
            store=world["store"],
            actor=world["keeper"],
            code=issued.token,
            basket={world["soap"].pk: 2},
            idempotency_key=preview.idempotency_key,
        ).redemption.pk

    # 100 tries from 50 threads at once (PostgreSQL here allows 100 connections for everyone).
    outcomes = run_together(50, work, rounds=2)
    assert Redemption.objects.count() == 1
    first = Redemption.objects.get()
    assert outcomes == [("ok", first.pk)] * 100
    assert Account.objects.get(household=household).balance == 80
    assert_books_balance(household)


def test_twenty_shopkeepers_on_one_household_never_overspend():
    # Balance for 7 redemptions of 30 points (210 of 220); stock for 15.
    world = make_shop_world(balance=220, stock=15)
    household = world["household"]
    stores = [(world["store"], world["keeper"])]
    for _index in range(19):
        stores.append((world["store"], make_shopkeeper(world["store"])))
    card = codes.card_token(household)

    def work(index):
        store, keeper = stores[index]
        return redemption_confirm(
            store=store,
            actor=keeper,
            code=card,
            basket={world["soap"].pk: 3},
            idempotency_key=f"twenty-{index:02d}-0000000000",
        ).redemption.pk

    outcomes = run_together(20, work)
    done = [value for kind, value in outcomes if kind == "ok"]
    refusals = {value for kind, value in outcomes if kind == "refused"}
    assert len(done) == 5  # stock for 5 baskets of 3 runs out before the points do
    assert refusals == {"out_of_stock"}
    assert Redemption.objects.count() == 5
    assert Account.objects.get(household=household).balance == 220 - 5 * 30
    world["soap"].refresh_from_db()
    assert world["soap"].stock_on_hand == 0
    assert_books_balance(household)


def test_twenty_shopkeepers_run_out_of_points_before_stock():
    world = make_shop_world(balance=220, stock=100)
    household = world["household"]
    keepers = [world["keeper"]] + [make_shopkeeper(world["store"]) for _index in range(19)]
    card = codes.card_token(household)

    def work(index):
        return redemption_confirm(
            store=world["store"],
            actor=keepers[index],
            code=card,
            basket={world["soap"].pk: 3},
            idempotency_key=f"poor-{index:02d}-00000000000",
        ).redemption.pk

    outcomes = run_together(20, work)
    assert sum(1 for kind, _value in outcomes if kind == "ok") == 7
    assert {value for kind, value in outcomes if kind == "refused"} == {"insufficient_points"}
    assert Account.objects.get(household=household).balance == 10
    world["soap"].refresh_from_db()
    assert world["soap"].stock_on_hand == 100 - 21
    assert_books_balance(household)


def _altered(token: str):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    for position in range(len(token)):
        original = token[position]
        replacement = next(char for char in alphabet + "0" if char != original)
        yield token[:position] + replacement + token[position + 1 :]


def _resigned_with_another_key(token: str) -> str:
    import hashlib
    import hmac as hmac_module

    prefix, body = token[:3], token[3:]
    raw = base64.b32decode(body + "=" * (-len(body) % 8))
    payload = raw[:-10]
    mac = hmac_module.new(b"not-our-secret", prefix.encode() + payload, hashlib.sha256).digest()
    return prefix + base64.b32encode(payload + mac[:10]).decode().rstrip("=")


def test_expired_altered_resigned_and_revoked_codes_are_refused():
    import datetime

    from django.utils import timezone

    world = make_shop_world(balance=1000)
    household = world["household"]
    basket = {world["soap"].pk: 1}

    def attempt(code, key, now=None):
        with pytest.raises(ShopError) as refused:
            redemption_confirm(
                store=world["store"],
                actor=world["keeper"],
                code=code,
                basket=basket,
                idempotency_key=key,
                now=now,
            )
        return refused.value.code

    issued = codes.phone_code_issue(household)
    late = timezone.now() + datetime.timedelta(minutes=6)
    assert attempt(issued.token, "expired-00000000", now=late) == "expired"
    for token in (issued.token, codes.card_token(household)):
        assert token[:3] in (_CARD, _PHONE)
        for index, changed in enumerate(_altered(token)):
            assert attempt(changed, f"altered-{index:03d}-{token[:3]}000") in {
                "malformed",
                "bad_signature",
            }
        assert attempt(_resigned_with_another_key(token), f"resigned-{token[:3]}0000") == (
            "bad_signature"
        )
    old_card = codes.card_token(household)
    codes.card_reissue(actor=None, household=household)
    assert attempt(old_card, "revoked-000000000") == "revoked"
    assert Redemption.objects.count() == 0
    assert Account.objects.get(household=household).balance == 1000


def test_two_workers_send_each_notice_once():
    """The receipts wait in the outbox; concurrent senders (SKIP LOCKED) never text twice."""
    from meijia import sms
    from meijia.celery import app
    from outbox.models import Delivery
    from outbox.services import deliveries_send_due

    world = make_shop_world(balance=1000, stock=100)
    app.conf.task_always_eager = False  # as in production: beat sends them, not the request
    try:
        for index in range(12):
            redeem_soap(world, f"notice-{index:02d}-" + "x" * 20)
    finally:
        app.conf.task_always_eager = True
    assert Delivery.objects.filter(state=Delivery.State.PENDING).count() == 12
    sms.outbox.clear()
    outcomes = run_together(4, lambda index: deliveries_send_due(limit=3), rounds=4)
    assert all(status == "ok" for status, _sent in outcomes), outcomes
    assert sum(sent for _status, sent in outcomes) == 12
    assert len(sms.outbox) == 12
    assert not Delivery.objects.filter(state=Delivery.State.PENDING).exists()


def test_counter_statements_are_prepared_once_per_connection():
    """registry.sql.prepared_cursor: the hot path's statements are prepared on the server, and
    Django's query log still shows their text."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world = make_shop_world(balance=1000, stock=100)

    redeem_soap(world, "prep-1" + "x" * 20)
    with CaptureQueriesContext(connection) as captured:
        redeem_soap(world, "prep-2" + "x" * 20)
    assert all(query["sql"] for query in captured.captured_queries)
    # The prepared call's own text is in the log (psycopg's _send_query_prepared override).
    assert any("meijia_redemption_confirm(" in query["sql"] for query in captured.captured_queries)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    # The confirmation's one call (its own statements are planned and cached by PL/pgSQL).
    assert any("meijia_redemption_confirm(" in sql for sql in prepared), prepared
