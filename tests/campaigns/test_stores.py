"""The store directory lists the open 美家超市 of its area with what they stock."""

import pytest

from campaigns.models import StoreDirectoryPage
from shops.models import CatalogueItem, Store
from tests.campaigns.factories import make_site
from tests.factories import make_tree

pytestmark = pytest.mark.django_db


def test_store_directory_lists_the_areas_open_stores(
    client, media_root, django_assert_max_num_queries
):
    tree = make_tree()
    site = make_site(tree)
    here, there = tree["villages"]
    open_store = Store.objects.create(
        name="杏花村美家超市", area=here, address="村委会东侧", opening_hours="每天 8:00–18:00"
    )
    open_store.villages.add(here)
    CatalogueItem.objects.create(store=open_store, name="食用油", points_price=50)
    CatalogueItem.objects.create(store=open_store, name="洗衣液", points_price=30, is_active=False)
    Store.objects.create(name="已关门的超市", area=here, is_active=False)
    other = Store.objects.create(name="邻村超市", area=there)
    other.villages.add(there)
    page = site["village"].add_child(instance=StoreDirectoryPage(title="美家超市"))
    html = client.get(page.url).content.decode()
    assert "杏花村美家超市" in html and "每天 8:00–18:00" in html and "食用油" in html
    assert "洗衣液" not in html and "已关门的超市" not in html and "邻村超市" not in html
