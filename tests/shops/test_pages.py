import re

import pytest
from django.urls import reverse

from registry.services import codes
from shops.models import Redemption
from tests.shops.factories import make_shop_world, make_shopkeeper, make_store, make_villager

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = make_shop_world(balance=100, stock=10)
    world["villager"] = make_villager(world["household"])
    return world


def test_villager_code_page_shows_a_qr_and_a_number_that_refresh(client, world):
    household = world["household"]
    client.force_login(world["villager"])
    page = client.get(reverse("household", args=[household.pk]))
    assert reverse("household_code", args=[household.pk]) in page.content.decode()
    response = client.get(reverse("household_code", args=[household.pk]))
    html = response.content.decode()
    assert "<svg" in html
    digits = re.search(r'data-digits="(\d{8})"', html).group(1)
    assert codes.code_read(digits).household == household
    fresh = client.get(reverse("household_code_new", args=[household.pk])).json()
    assert fresh["digits"] != digits and "<svg" in fresh["svg"] and "token" not in fresh
    status = reverse("household_code_status", args=[household.pk])
    assert client.get(status, {"digits": fresh["digits"]}).json() == {"used": False}


def test_nobody_else_gets_a_households_live_code(client, world):
    household = world["household"]
    for user in (world["keeper"], world["town_admin"]):
        client.force_login(user)
        assert client.get(reverse("household_code", args=[household.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("household_code", args=[household.pk])).status_code == 302


def test_counter_scan_preview_confirm_receipt_and_villager_history(client, world):
    household, store = world["household"], world["store"]
    client.force_login(world["villager"])
    digits = re.search(
        r'data-digits="(\d{8})"',
        client.get(reverse("household_code", args=[household.pk])).content.decode(),
    ).group(1)

    client.force_login(world["keeper"])
    counter = client.get(reverse("shops:counter_home"), follow=True)
    assert "data-scanner" in counter.content.decode()
    preview = client.post(reverse("shops:counter_preview", args=[store.pk]), {"code": digits})
    html = preview.content.decode()
    assert "张*明家" in html and "张建明" not in html
    key = re.search(r'name="key" value="([0-9a-f]{32})"', html).group(1)
    confirm = client.post(
        reverse("shops:counter_confirm", args=[store.pk]),
        {"code": digits, "key": key, f"qty_{world['soap'].pk}": "2"},
    )
    redemption = Redemption.objects.get()
    assert confirm.url == reverse("shops:receipt", args=[redemption.receipt_number])
    receipt = client.get(confirm.url).content.decode()
    assert "肥皂" in receipt and "20" in receipt
    # The same code again: refused with a clear message, nothing spent.
    again = client.post(
        reverse("shops:counter_confirm", args=[store.pk]),
        {"code": digits, "key": "f" * 32, f"qty_{world['soap'].pk}": "1"},
        follow=True,
    )
    assert "refusal used" in again.content.decode()
    assert Redemption.objects.count() == 1

    client.force_login(world["villager"])
    status = client.get(
        reverse("household_code_status", args=[household.pk]), {"digits": digits}
    ).json()
    assert status == {"used": True, "receipt_url": confirm.url}
    assert client.get(confirm.url).status_code == 200
    history = client.get(reverse("household_history", args=[household.pk])).content.decode()
    assert "肥皂×2" in history and redemption.receipt_number in history


def test_receipts_are_private_to_the_household_and_the_store(client, world):
    redemption_code = codes.card_token(world["household"])
    from shops.services.redemptions import redemption_confirm

    redemption = redemption_confirm(
        store=world["store"],
        actor=world["keeper"],
        code=redemption_code,
        basket={world["soap"].pk: 1},
        idempotency_key="p" * 32,
    ).redemption
    url = reverse("shops:receipt", args=[redemption.receipt_number])
    stranger = make_shopkeeper(make_store(world["tree"]["villages"][1]))
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.force_login(world["town_admin"])
    assert client.get(url).status_code == 200


def test_void_screen(client, world):
    from shops.services.redemptions import redemption_confirm

    redemption = redemption_confirm(
        store=world["store"],
        actor=world["keeper"],
        code=codes.card_token(world["household"]),
        basket={world["soap"].pk: 1},
        idempotency_key="v" * 32,
    ).redemption
    client.force_login(world["keeper"])
    url = reverse("shops:receipt_void", args=[redemption.receipt_number])
    assert client.get(url).status_code == 200
    client.post(url, {"reason": "拿错了"})
    redemption.refresh_from_db()
    assert redemption.is_voided
    client.force_login(world["villager"])
    assert (
        "拿错了"
        in client.get(reverse("shops:receipt", args=[redemption.receipt_number])).content.decode()
    )


def test_stock_page_records_deliveries_and_adjustments(client, world):
    client.force_login(world["keeper"])
    url = reverse("shops:counter_stock", args=[world["store"].pk])
    soap = world["soap"]
    client.post(url, {"item": soap.pk, "kind": "delivery", "quantity": 5, "reason": ""})
    client.post(url, {"item": soap.pk, "kind": "adjustment", "quantity": -2, "reason": "破损"})
    response = client.post(url, {"item": soap.pk, "kind": "adjustment", "quantity": -1})
    assert response.status_code == 200  # no reason: refused
    soap.refresh_from_db()
    assert soap.stock_on_hand == 13


def test_counter_and_history_pages_do_a_fixed_number_of_queries(
    client, world, django_assert_max_num_queries
):
    from shops.services.redemptions import redemption_confirm

    for index in range(5):
        redemption_confirm(
            store=world["store"],
            actor=world["keeper"],
            code=codes.card_token(world["household"]),
            basket={world["soap"].pk: 1},
            idempotency_key=f"q{index}" * 10,
        )
    client.force_login(world["keeper"])
    with django_assert_max_num_queries(12):
        client.get(reverse("shops:counter", args=[world["store"].pk]))
    client.force_login(world["villager"])
    with django_assert_max_num_queries(12):
        client.get(reverse("household_history", args=[world["household"].pk]))


def test_shopkeeper_lands_on_the_counter(client, world):
    client.force_login(world["keeper"])
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("shops:counter", args=[world["store"].pk])


def test_work_desk_lists_only_the_admins_stores_and_records_a_delivery(client, world):
    from registry.services.register import role_groups_sync
    from tests.factories import make_staff, make_town

    role_groups_sync()
    other_town = make_town(world["tree"]["district"], name="别的镇")
    from tests.factories import make_village

    foreign = make_store(make_village(other_town, name="别的村"), name="外镇超市")
    admin = make_staff("town_admin", world["tree"]["town"])
    client.force_login(admin)
    listing = client.get(reverse("shops_store:index")).content.decode()
    assert world["store"].name in listing and foreign.name not in listing
    assert client.get(reverse("shops_store:edit", args=[foreign.pk])).status_code == 404
    edit = client.get(reverse("shops_store:edit", args=[world["store"].pk])).content.decode()
    assert "别的村" not in edit and world["village"].name in edit
    items = client.get(reverse("shops_catalogueitem:index")).content.decode()
    assert reverse("shops_catalogueitem:stock", args=[world["soap"].pk]) in items
    soap = world["soap"]
    url = reverse("shops_catalogueitem:stock", args=[soap.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"item": soap.pk, "kind": "delivery", "quantity": 7, "reason": ""})
    soap.refresh_from_db()
    assert soap.stock_on_hand == 17
