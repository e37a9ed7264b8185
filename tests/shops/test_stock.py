import pytest
from django.db import IntegrityError, transaction

from meijia import sms
from shops.exceptions import ShopError
from shops.models import CatalogueItem, DistrictItem, StockMove
from shops.services.stock import stock_mismatches, stock_move
from shops.services.stores import store_item_adopt
from tests.shops.factories import make_item, make_shop_world

pytestmark = pytest.mark.django_db


def test_stock_on_hand_is_the_sum_of_its_moves():
    world = make_shop_world(stock=20)
    soap = world["soap"]
    stock_move(item=soap, quantity=5, kind="delivery", actor=world["keeper"])
    stock_move(item=soap, quantity=-3, kind="adjustment", actor=world["keeper"], reason="破损")
    soap.refresh_from_db()
    assert soap.stock_on_hand == 22
    assert sum(soap.moves.values_list("quantity", flat=True)) == 22
    assert stock_mismatches() == []


def test_adjustment_needs_a_reason_and_stock_never_goes_below_zero():
    world = make_shop_world(stock=2)
    soap = world["soap"]
    with pytest.raises(ShopError) as refused:
        stock_move(item=soap, quantity=-1, kind="adjustment", actor=None, reason=" ")
    assert refused.value.code == "reason_required"
    with pytest.raises(ShopError) as refused:
        stock_move(item=soap, quantity=-3, kind="adjustment", actor=None, reason="丢失")
    assert refused.value.code == "out_of_stock"
    with pytest.raises(ShopError) as refused:
        stock_move(item=soap, quantity=-3, kind="delivery", actor=None)
    assert refused.value.code == "negative_delivery"
    soap.refresh_from_db()
    assert soap.stock_on_hand == 2
    # The database itself refuses negative stock, whatever the code does.
    with pytest.raises(IntegrityError), transaction.atomic():
        CatalogueItem.objects.filter(pk=soap.pk).update(stock_on_hand=-1)


def test_low_stock_alert_texts_shopkeepers_and_the_town_once(django_capture_on_commit_callbacks):
    world = make_shop_world()
    world["keeper"].phone = "13800000055"
    world["keeper"].save()
    item = make_item(world["store"], name="牙膏", stock=10, low=3)
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        stock_move(item=item, quantity=-6, kind="adjustment", actor=None, reason="盘点")
    assert sms.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        stock_move(item=item, quantity=-2, kind="adjustment", actor=None, reason="盘点")
    phones = sorted(message.phone for message in sms.outbox)
    assert phones == ["13800000055", "13800000099"]
    assert "牙膏" in sms.outbox[0].text
    with django_capture_on_commit_callbacks(execute=True):
        stock_move(item=item, quantity=-1, kind="adjustment", actor=None, reason="盘点")
    assert len(sms.outbox) == 2  # alerted once until restocked
    with django_capture_on_commit_callbacks(execute=True):
        stock_move(item=item, quantity=10, kind="delivery", actor=None)
        stock_move(item=item, quantity=-10, kind="adjustment", actor=None, reason="盘点")
    assert len(sms.outbox) == 4


def test_a_store_adopts_a_district_item_once():
    world = make_shop_world()
    listed = DistrictItem.objects.create(
        district=world["tree"]["district"], name="洗衣粉", unit="袋", points_price=25
    )
    first = store_item_adopt(store=world["store"], source=listed)
    again = store_item_adopt(store=world["store"], source=listed)
    assert first.pk == again.pk
    assert (first.name, first.points_price, first.stock_on_hand) == ("洗衣粉", 25, 0)
    assert StockMove.objects.filter(item=first).count() == 0
