import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from registry.models import ExportRecord
from registry.services import codes
from registry.services.register import role_groups_sync
from shops.exceptions import ShopError
from shops.models import Redemption, StoreMonth
from shops.services.redemptions import redemption_confirm, redemption_void
from shops.services.settlement import settlement_statement, store_month_settle
from tests.shops.factories import make_shop_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def month_of_sales():
    world = make_shop_world(balance=500, stock=50)
    card = codes.card_token(world["household"])
    keeper, store = world["keeper"], world["store"]
    made = [
        redemption_confirm(
            store=store, actor=keeper, code=card, basket=basket, idempotency_key=f"s{index}" * 10
        ).redemption
        for index, basket in enumerate(
            [
                {world["soap"].pk: 2, world["oil"].pk: 1},
                {world["soap"].pk: 3},
                {world["oil"].pk: 1},
            ]
        )
    ]
    redemption_void(redemption=made[1], actor=keeper, reason="拿错了")
    world["month"] = timezone.localdate().replace(day=1)
    return world


def test_statement_counts_redeemed_and_voided_items_points_and_cost(month_of_sales):
    statement = settlement_statement(store=month_of_sales["store"], month=month_of_sales["month"])
    rows = {row.name: row for row in statement.rows}
    soap, oil = rows["肥皂"], rows["食用油"]
    assert (soap.redeemed_quantity, soap.voided_quantity, soap.net_quantity) == (5, 3, 2)
    assert (soap.redeemed_points, soap.net_points) == (50, 20)
    assert soap.net_cost == Decimal("7.00")
    assert (oil.redeemed_quantity, oil.voided_quantity, oil.net_points) == (2, 0, 60)
    assert statement.totals.net_points == 80
    assert statement.redemption_count == 3


def test_settling_a_month_closes_it_to_voids(month_of_sales):
    world = month_of_sales
    with pytest.raises(ShopError) as refused:
        store_month_settle(store=world["store"], month=world["month"], actor=world["town_admin"])
    assert refused.value.code == "month_not_over"
    with pytest.raises(ShopError) as refused:
        store_month_settle(store=world["store"], month=world["month"], actor=world["keeper"])
    assert refused.value.code == "not_allowed"
    next_month = (world["month"] + datetime.timedelta(days=32)).replace(day=1)
    later = timezone.make_aware(datetime.datetime.combine(next_month, datetime.time(9)))
    settled = store_month_settle(
        store=world["store"], month=world["month"], actor=world["town_admin"], now=later
    )
    assert settled.points == 80
    with pytest.raises(ShopError) as refused:
        store_month_settle(
            store=world["store"], month=world["month"], actor=world["town_admin"], now=later
        )
    assert refused.value.code == "already_settled"
    open_one = Redemption.objects.filter(voided_at__isnull=True).first()
    with pytest.raises(ShopError) as refused:
        redemption_void(redemption=open_one, actor=world["town_admin"], reason="x")
    assert refused.value.code == "month_settled"


def test_statement_pages_and_exports_are_recorded(client, month_of_sales):
    role_groups_sync()
    world = month_of_sales
    month = world["month"]
    client.force_login(world["town_admin"])
    url = reverse("shops_settlement:detail", args=[world["store"].pk, month.year, month.month])
    page = client.get(url).content.decode()
    assert "肥皂" in page and 'data-role="net-points">80<' in page
    xlsx = client.get(url, {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [cell.value for cell in sheet["A"]]
    assert "肥皂" in values and "食用油" in values
    pdf = client.get(url, {"format": "pdf"})
    assert pdf.content.startswith(b"%PDF")
    assert sorted(ExportRecord.objects.values_list("kind", flat=True)) == [
        "shop_settlement_pdf",
        "shop_settlement_xlsx",
    ]
    settle = reverse("shops_settlement:settle", args=[world["store"].pk, month.year, month.month])
    client.post(settle)
    assert not StoreMonth.objects.exists()  # the month is not over yet
    # The shopkeeper reads the same statement on the phone; other admins' stores answer 404.
    client.force_login(world["keeper"])
    phone = client.get(reverse("shops:counter_settlement", args=[world["store"].pk]))
    assert 'data-role="net-points">80<' in phone.content.decode()
    assert client.get(url).status_code in (302, 403, 404)
