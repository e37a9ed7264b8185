import io

import pytest
from django.core.management import call_command

from registry.models import User
from shops.models import CatalogueItem, Redemption, StockMove, Store
from shops.selectors import store_list_for_shopkeeper
from shops.services.stock import stock_mismatches

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_seed_demo_opens_stores_with_stock_a_shopkeeper_and_redemptions_once():
    out = io.StringIO()
    call_command("seed_demo", households=120, stdout=out)
    assert "美家超市" in out.getvalue()
    keeper = User.objects.get(username="shop")
    stores = list(store_list_for_shopkeeper(user=keeper))
    assert len(stores) == 1
    assert stores[0].items.filter(stock_on_hand__gt=0).count() == 8
    made = Redemption.objects.count()
    assert made >= 1
    assert stock_mismatches() == []
    before = (Store.objects.count(), CatalogueItem.objects.count(), StockMove.objects.count())
    call_command("seed_demo", households=120, stdout=io.StringIO())
    after = (Store.objects.count(), CatalogueItem.objects.count(), StockMove.objects.count())
    assert after == before and Redemption.objects.count() == made
