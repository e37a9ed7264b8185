import dataclasses
import datetime

import pytest
from django.utils import timezone

from meijia import sms
from points.models import Account, LedgerTransaction
from registry.services import codes
from shops.exceptions import ShopError
from shops.models import Redemption, StoreMonth
from shops.services.redemptions import (
    Receipt,
    redemption_confirm,
    redemption_preview,
    redemption_void,
)
from shops.services.stock import stock_mismatches
from tests.factories import make_household
from tests.shops.factories import make_shop_world, make_shopkeeper, make_store

pytestmark = pytest.mark.django_db


def balance(household) -> int:
    return Account.objects.get(household=household).balance


def confirm(world, code, basket, key="k" * 32, **kwargs):
    return redemption_confirm(
        store=kwargs.pop("store", world["store"]),
        actor=kwargs.pop("actor", world["keeper"]),
        code=code,
        basket=basket,
        idempotency_key=key,
        **kwargs,
    ).redemption


def test_preview_shows_masked_name_balance_and_what_is_left_this_month():
    world = make_shop_world(balance=100)
    issued = codes.phone_code_issue(world["household"])
    preview = redemption_preview(store=world["store"], actor=world["keeper"], code=issued.token)
    assert preview.masked_name == "张*明家"
    assert preview.balance == 100
    assert len(preview.idempotency_key) == 32
    offers = {offer.item.name: offer for offer in preview.offers}
    assert offers["食用油"].remaining == 2
    assert offers["肥皂"].remaining is None
    # Previewing spends nothing: the same code can be previewed and confirmed.
    assert codes.code_read(issued.token).household == world["household"]


def test_confirm_spends_points_stock_and_code_once_and_texts_the_household(
    django_capture_on_commit_callbacks,
):
    world = make_shop_world(balance=100, stock=10)
    issued = codes.phone_code_issue(world["household"])
    preview = redemption_preview(store=world["store"], actor=world["keeper"], code=issued.token)
    basket = {world["soap"].pk: 2, world["oil"].pk: 1}
    with django_capture_on_commit_callbacks(execute=True):
        redemption = confirm(world, issued.token, basket, key=preview.idempotency_key)
    assert redemption.points == 50
    assert balance(world["household"]) == 50
    assert [(line.name, line.quantity) for line in redemption.lines.all()] == [
        ("肥皂", 2),
        ("食用油", 1),
    ]
    world["soap"].refresh_from_db()
    assert world["soap"].stock_on_hand == 8
    assert stock_mismatches() == []
    assert redemption.ledger_transaction.kind == LedgerTransaction.Kind.REDEMPTION
    assert [m.phone for m in sms.outbox] == ["13800000011"]
    assert redemption.receipt_number in sms.outbox[0].text
    # A retry with the same key returns the first redemption and spends nothing more.
    again = confirm(world, issued.token, basket, key=preview.idempotency_key)
    assert again.pk == redemption.pk
    assert balance(world["household"]) == 50
    # A new request with the same code is refused: the code was used.
    with pytest.raises(ShopError) as refused:
        confirm(world, issued.token, basket, key="n" * 32)
    assert refused.value.code == "used"
    assert refused.value.message


def test_confirm_answers_a_receipt_with_its_lines_and_the_balance_its_posting_left():
    world = make_shop_world(balance=100, stock=10)
    card = codes.card_token(world["household"])
    basket = {world["soap"].pk: 2}
    receipt = redemption_confirm(
        store=world["store"],
        actor=world["keeper"],
        code=card,
        basket=basket,
        idempotency_key="r" * 32,
    )
    assert isinstance(receipt, Receipt)
    assert receipt.balance_after == balance(world["household"]) == 80
    assert [(line.name, line.quantity) for line in receipt.lines] == [("肥皂", 2)]
    with pytest.raises(dataclasses.FrozenInstanceError):
        receipt.balance_after = 0  # type: ignore[misc]
    # Spending on, then retrying the first request: its receipt keeps the balance it left.
    confirm(world, card, {world["soap"].pk: 1}, key="s" * 32)
    again = redemption_confirm(
        store=world["store"],
        actor=world["keeper"],
        code=card,
        basket=basket,
        idempotency_key="r" * 32,
    )
    assert again.redemption.pk == receipt.redemption.pk
    assert again.balance_after == 80 and balance(world["household"]) == 70
    assert [(line.name, line.quantity) for line in again.lines] == [("肥皂", 2)]


@pytest.mark.parametrize("typed", [False, True])
def test_the_confirm_window_runs_from_that_codes_preview(typed):
    world = make_shop_world()
    issued = codes.phone_code_issue(world["household"])
    text = issued.digits if typed else issued.token
    start = timezone.now()
    redemption_preview(store=world["store"], actor=world["keeper"], code=text, now=start)
    later = start + datetime.timedelta(seconds=150)
    redemption = confirm(world, text, {world["soap"].pk: 1}, now=later)
    assert redemption.code_kind == "phone"


@pytest.mark.parametrize("typed", [False, True])
def test_a_code_never_previewed_is_not_confirmed_after_its_minute(typed):
    world = make_shop_world(balance=100)
    issued = codes.phone_code_issue(world["household"])
    later = timezone.now() + datetime.timedelta(seconds=150)
    with pytest.raises(ShopError) as refused:
        confirm(world, issued.digits if typed else issued.token, {world["soap"].pk: 1}, now=later)
    assert refused.value.code == ("unknown_number" if typed else "expired")
    assert balance(world["household"]) == 100
    assert not Redemption.objects.exists()


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("poor", "insufficient_points"),
        ("no_stock", "out_of_stock"),
        ("limit", "limit_reached"),
        ("other_store", "wrong_store"),
        ("not_keeper", "not_shopkeeper"),
        ("empty", "empty_basket"),
        ("expired", "expired"),
        ("off_sale", "unknown_item"),
    ],
)
def test_every_refusal_has_a_reason_and_changes_nothing(setup, reason):
    world = make_shop_world(balance=100, stock=3)
    household = world["household"]
    issued = codes.phone_code_issue(household)
    store, actor = world["store"], world["keeper"]
    basket = {world["soap"].pk: 1}
    now = None
    if setup == "poor":
        basket = {world["oil"].pk: 2, world["soap"].pk: 3}
        world["oil"].points_price = 50
        world["oil"].save()
    elif setup == "no_stock":
        basket = {world["soap"].pk: 4}
    elif setup == "limit":
        basket = {world["oil"].pk: 3}
    elif setup == "other_store":
        other_village = world["tree"]["villages"][1]
        store = make_store(other_village)
        actor = make_shopkeeper(store)
        basket = {store.items.create(name="盐", points_price=1, unit="袋").pk: 1}
    elif setup == "not_keeper":
        actor = make_shopkeeper(make_store(world["village"]))
    elif setup == "empty":
        basket = {world["soap"].pk: 0}
    elif setup == "expired":
        now = timezone.now() + datetime.timedelta(minutes=6)
    elif setup == "off_sale":
        world["oil"].is_active = False
        world["oil"].save()
        basket = {world["soap"].pk: 1, world["oil"].pk: 1}
    transactions = LedgerTransaction.objects.count()
    with pytest.raises(ShopError) as refused:
        redemption_confirm(
            store=store,
            actor=actor,
            code=issued.token,
            basket=basket,
            idempotency_key="x" * 20,
            now=now,
        )
    assert refused.value.code == reason
    assert refused.value.message
    assert balance(household) == 100
    # Refusals that come after the points were taken inside the database call (stock, limits)
    # undo the ledger's transaction with everything else.
    assert LedgerTransaction.objects.count() == transactions
    assert Redemption.objects.count() == 0
    assert stock_mismatches() == []
    # Nothing was spent: the code still works (unless it expired).
    if setup != "expired":
        assert codes.code_read(issued.token).household == household


def test_monthly_limit_counts_earlier_redemptions_but_not_voided_ones():
    world = make_shop_world(balance=300)
    household = world["household"]
    first = confirm(world, codes.card_token(household), {world["oil"].pk: 2}, key="a" * 20)
    with pytest.raises(ShopError) as refused:
        confirm(world, codes.card_token(household), {world["oil"].pk: 1}, key="b" * 20)
    assert refused.value.code == "limit_reached"
    redemption_void(redemption=first, actor=world["keeper"], reason="拿错了")
    assert confirm(world, codes.card_token(household), {world["oil"].pk: 2}, key="c" * 20)


def test_revoked_card_is_refused_at_preview_and_confirm():
    world = make_shop_world()
    household = world["household"]
    old = codes.card_token(household)
    codes.card_reissue(actor=None, household=household)
    for call in (
        lambda: redemption_preview(store=world["store"], actor=world["keeper"], code=old),
        lambda: confirm(world, old, {world["soap"].pk: 1}),
    ):
        with pytest.raises(ShopError) as refused:
            call()
        assert refused.value.code == "revoked"
    assert confirm(world, codes.card_token(household), {world["soap"].pk: 1})


def test_void_returns_points_and_stock_once_same_day_only():
    world = make_shop_world(balance=100, stock=10)
    household = world["household"]
    redemption = confirm(world, codes.card_token(household), {world["soap"].pk: 3})
    assert balance(household) == 70
    voided = redemption_void(redemption=redemption, actor=world["keeper"], reason="顾客退货")
    assert voided.is_voided and voided.void_reason == "顾客退货"
    assert voided.void_transaction.reverses_id == redemption.ledger_transaction_id
    assert balance(household) == 100
    world["soap"].refresh_from_db()
    assert world["soap"].stock_on_hand == 10
    assert stock_mismatches() == []
    with pytest.raises(ShopError) as refused:
        redemption_void(redemption=voided, actor=world["keeper"], reason="再来一次")
    assert refused.value.code == "already_voided"
    assert balance(household) == 100


def test_void_rules_who_when_and_settled_months():
    world = make_shop_world(balance=100)
    household = world["household"]
    other_keeper = make_shopkeeper(world["store"])
    redemption = confirm(world, codes.card_token(household), {world["soap"].pk: 1})
    with pytest.raises(ShopError) as refused:
        redemption_void(redemption=redemption, actor=other_keeper, reason="x")
    assert refused.value.code == "not_allowed"
    with pytest.raises(ShopError) as refused:
        redemption_void(redemption=redemption, actor=world["keeper"], reason="  ")
    assert refused.value.code == "reason_required"
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    with pytest.raises(ShopError) as refused:
        redemption_void(redemption=redemption, actor=world["keeper"], reason="x", now=tomorrow)
    assert refused.value.code == "too_late"
    StoreMonth.objects.create(
        store=world["store"],
        month=timezone.localdate(redemption.created_at).replace(day=1),
        settled_by=world["town_admin"],
        points=10,
        cost_yuan=0,
    )
    with pytest.raises(ShopError) as refused:
        redemption_void(redemption=redemption, actor=world["town_admin"], reason="x")
    assert refused.value.code == "month_settled"
    StoreMonth.objects.all().delete()
    # A town administrator may void another shopkeeper's redemption.
    assert redemption_void(redemption=redemption, actor=world["town_admin"], reason="x").is_voided


def test_same_key_at_another_store_is_refused():
    world = make_shop_world()
    household = world["household"]
    confirm(world, codes.card_token(household), {world["soap"].pk: 1}, key="s" * 20)
    other = make_store(world["village"])
    keeper = make_shopkeeper(other)
    with pytest.raises(ShopError) as refused:
        confirm(world, codes.card_token(household), {}, key="s" * 20, store=other, actor=keeper)
    assert refused.value.code == "key_reused"


def test_household_in_a_served_village_may_use_a_store_of_another_village():
    world = make_shop_world()
    second = world["tree"]["villages"][1]
    world["store"].villages.add(second)
    neighbour = make_household(second, head_name="李四")
    from tests.shops.factories import give_points

    give_points(neighbour, 20)
    assert confirm(world, codes.card_token(neighbour), {world["soap"].pk: 1}).points == 10
