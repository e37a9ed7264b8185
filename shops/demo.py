"""Demo 美家超市 for ``manage.py seed_demo``: a store per town (in its first village, serving
all the town's villages), the district's item list adopted by every store with stock, the demo
shopkeeper ``shop`` at the first store, and a few redemptions there. Idempotent: a rerun finds
everything and changes nothing. Scales with the number of towns, not households."""

from decimal import Decimal

from django.db import transaction

from registry.models import Area, Household, User
from registry.services.codes import card_token
from shops.models import CatalogueItem, DistrictItem, Redemption, Store
from shops.services.redemptions import redemption_confirm
from shops.services.stock import stock_move
from shops.services.stores import store_item_adopt, store_shopkeeper_add

# (name, unit, points, cost in yuan, monthly limit per household)
DEMO_ITEMS = [
    ("肥皂", "块", 5, "2.50", None),
    ("洗衣粉", "袋", 15, "7.80", None),
    ("牙膏", "支", 10, "5.00", None),
    ("毛巾", "条", 12, "6.00", None),
    ("卫生纸", "提", 20, "12.00", None),
    ("洗洁精", "瓶", 12, "6.50", None),
    ("酱油", "瓶", 10, "5.50", None),
    ("食用油", "桶", 60, "45.00", 1),
]
OPENING_STOCK = 50
HOURS = "每天 8:00–18:00"


def _district_items(district: Area) -> list[DistrictItem]:
    items = []
    for name, unit, points, cost, _limit in DEMO_ITEMS:
        item, _created = DistrictItem.objects.get_or_create(
            district=district,
            name=name,
            defaults={"unit": unit, "points_price": points, "cost_yuan": Decimal(cost)},
        )
        items.append(item)
    return items


@transaction.atomic
def _store_for(town: Area, listed: list[DistrictItem], keeper: User | None) -> tuple[Store, int]:
    villages = list(town.get_children().filter(level=Area.Level.VILLAGE).order_by("path"))
    if not villages:
        return None, 0
    store, created = Store.objects.get_or_create(
        area=villages[0],
        name=f"{villages[0].name}美家超市",
        defaults={"address": f"{villages[0].name}村委会旁", "opening_hours": HOURS},
    )
    if created:
        store.villages.set(villages)
    if keeper is not None:
        store_shopkeeper_add(store=store, user=keeper)
    limits = {name: limit for name, _unit, _points, _cost, limit in DEMO_ITEMS}
    added = 0
    for source in listed:
        item = store_item_adopt(store=store, source=source)
        if not item.moves.exists():
            if limits[item.name] is not None:
                CatalogueItem.objects.filter(pk=item.pk).update(monthly_limit=limits[item.name])
            stock_move(item=item, quantity=OPENING_STOCK, kind="delivery", actor=keeper)
            added += 1
    return store, added


def _redemptions(store: Store, keeper: User, village: Area) -> int:
    """Two households of the first village spend some of their demo points."""
    made = 0
    items = {item.name: item for item in store.items.all()}
    plans = [{"肥皂": 2, "牙膏": 1}, {"洗衣粉": 1}]
    households = Household.objects.filter(village=village, status="active").order_by("number")
    for index, household in enumerate(households[: len(plans)]):
        key = f"demo-redemption-{household.pk}-{index:02d}"
        if Redemption.objects.filter(idempotency_key=key).exists():
            continue
        basket = {items[name].pk: quantity for name, quantity in plans[index].items()}
        needed = sum(items[name].points_price * q for name, q in plans[index].items())
        account = getattr(household, "points_account", None)
        if account is None or account.balance < needed:
            continue
        redemption_confirm(
            store=store,
            actor=keeper,
            code=card_token(household),
            basket=basket,
            idempotency_key=key,
        )
        made += 1
    return made


def seed_shops(*, district: Area, village: Area) -> str:
    """Stores, items, stock, the shopkeeper's store and a few redemptions; returns a summary."""
    keeper = User.objects.filter(username="shop").first()
    listed = _district_items(district)
    towns = list(district.get_children().filter(level=Area.Level.TOWN).order_by("path"))
    stores, stocked = 0, 0
    keeper_store = None
    for town in towns:
        is_first = village.path.startswith(town.path)
        store, added = _store_for(town, listed, keeper if is_first else None)
        if store is None:
            continue
        stores += 1
        stocked += added
        if is_first:
            keeper_store = store
    made = 0
    if keeper_store is not None and keeper is not None:
        made = _redemptions(keeper_store, keeper, village)
    return (
        f"{stores} 家美家超市，每家 {len(listed)} 种商品；新进货 {stocked} 种；演示兑换 {made} 笔"
    )
