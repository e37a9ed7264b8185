"""The counter's daily screens (issue 17): what the basket lets the shopkeeper choose, the
receipt's balance and way on, and the shopkeeper's end of day."""

import datetime
import re
from unittest import mock

import pytest
from django.urls import reverse

from registry.services import codes
from shops.selectors import store_day_summary
from shops.services.redemptions import redemption_void
from tests.shops.factories import (
    give_points,
    make_item,
    make_shop_world,
    make_villager,
    redeem_soap,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = make_shop_world(balance=50, stock=10)
    world["villager"] = make_villager(world["household"])
    return world


def _item_row(html: str, item) -> str:
    return re.search(rf'<li class="basket-item[^"]*" data-item="{item.pk}">.*?</li>', html, re.S)[0]


def test_basket_switches_off_what_the_household_cannot_take_and_says_why(client, world):
    store = world["store"]
    dear = make_item(store, name="电饭煲", price=80, stock=3)
    empty = make_item(store, name="毛巾", price=5, stock=0)
    limited = make_item(store, name="洗衣粉", price=5, stock=5, limit=1)
    # The household already took its one 洗衣粉 this month.
    from shops.services.redemptions import redemption_confirm

    redemption_confirm(
        store=store,
        actor=world["keeper"],
        code=codes.card_token(world["household"]),
        basket={limited.pk: 1},
        idempotency_key="limit-taken-1",
    )
    client.force_login(world["keeper"])
    html = client.post(
        reverse("shops:counter_preview", args=[store.pk]),
        {"code": codes.card_token(world["household"])},
    ).content.decode()
    assert "不够" in _item_row(html, dear) and "disabled" in _item_row(html, dear)
    assert "缺货" in _item_row(html, empty) and "disabled" in _item_row(html, empty)
    assert "上限" in _item_row(html, limited) and "disabled" in _item_row(html, limited)
    soap = _item_row(html, world["soap"])
    # Soap (10 points) with 45 left: at most 4, and both steppers are there.
    assert 'max="4"' in soap and "disabled" not in soap
    assert soap.count('class="step"') == 2
    total = re.search(r'<p class="basket-total".*?</p>', html, re.S)[0]
    assert "合计" in total and "\n" not in total


def test_receipt_shows_the_balance_after_and_next_customer_at_the_counter_only(client, world):
    redemption = redeem_soap(world, "receipt-balance-1")
    url = reverse("shops:receipt", args=[redemption.receipt_number])
    client.force_login(world["keeper"])
    html = client.get(url).content.decode()
    assert re.search(r'data-role="balance-after">40<', html)
    assert reverse("shops:counter", args=[world["store"].pk]) in html
    assert 'data-role="next-customer"' in html
    client.force_login(world["villager"])
    html = client.get(url).content.decode()
    assert re.search(r'data-role="balance-after">40<', html)
    assert 'data-role="next-customer"' not in html


def test_the_shopkeepers_day_counts_redemptions_points_and_voids(client, world):
    moment = datetime.datetime(2026, 11, 20, 10, tzinfo=datetime.UTC)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        first = redeem_soap(world, "day-summary-01")
        redeem_soap(world, "day-summary-02")
        redemption_void(redemption=first, actor=world["keeper"], reason="拿错了")
        summary = store_day_summary(store=world["store"], day=datetime.date(2026, 11, 20))
    assert (summary.redemptions, summary.points, summary.voids, summary.voided_points) == (
        2,
        20,
        1,
        10,
    )
    assert summary.net_points == 10
    assert summary.items == [("肥皂", "块", 1)]
    other_day = store_day_summary(store=world["store"], day=datetime.date(2026, 11, 21))
    assert (other_day.redemptions, other_day.points) == (0, 0)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        client.force_login(world["keeper"])
        html = client.get(
            reverse("shops:counter_day", args=[world["store"].pk]), {"day": "2026-11-20"}
        ).content.decode()
    assert 'data-role="day-count">2<' in html and 'data-role="day-voids">1<' in html
    assert first.receipt_number in html


def test_counter_and_day_pages_keep_their_queries_flat(
    client, world, django_assert_max_num_queries
):
    give_points(world["household"], 100)
    for n in range(6):
        redeem_soap(world, f"flat-queries-{n:02d}")
    client.force_login(world["keeper"])
    with django_assert_max_num_queries(16):
        counter = client.get(reverse("shops:counter", args=[world["store"].pk]))
    assert counter.status_code == 200
    with django_assert_max_num_queries(16):
        day = client.get(reverse("shops:counter_day", args=[world["store"].pk]))
    assert day.content.decode().count('class="posting"') == 6


def test_day_page_never_shows_the_future_and_survives_a_bad_date(client, world):
    client.force_login(world["keeper"])
    url = reverse("shops:counter_day", args=[world["store"].pk])
    assert client.get(url, {"day": "not-a-date"}).status_code == 200
    future = client.get(url, {"day": "2999-01-01"}).content.decode()
    heading = re.search(r"<h1>(.*?)</h1>", future, re.S)[1]
    assert heading.strip() == "今天"


def test_code_page_has_one_name_the_balance_and_the_countdown(client, world):
    household = world["household"]
    client.force_login(world["villager"])
    home = client.get(reverse("household", args=[household.pk])).content.decode()
    assert "我的美家码" in home and "兑换码" not in home
    html = client.get(reverse("household_code", args=[household.pk])).content.decode()
    assert "我的美家码" in html
    assert re.search(r'data-role="balance">50<', html)
    seconds = int(re.search(r'data-seconds-left="(\d+)"', html)[1])
    assert 0 < seconds <= 60
    fresh = client.get(reverse("household_code_new", args=[household.pk])).json()
    assert fresh["balance"] == 50 and 0 < fresh["seconds_left"] <= 60
