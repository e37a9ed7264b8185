"""Stores, items and shopkeepers for the shop tests."""

import itertools

from points.services.ledger import points_award
from registry.models import Area, Household, RoleAssignment, User
from shops.models import CatalogueItem, Store
from shops.services.stock import stock_move
from shops.services.stores import store_shopkeeper_add
from tests.factories import UserFactory, make_household, make_staff, make_tree

_serial = itertools.count(1)
Role = RoleAssignment.Role


def make_store(village: Area, *, villages: list[Area] | None = None, name: str = "") -> Store:
    store = Store.objects.create(
        name=name or f"美家超市{next(_serial)}",
        area=village,
        address="村委会旁",
        opening_hours="8:00–18:00",
    )
    store.villages.set(villages or [village])
    return store


def make_shopkeeper(store: Store, **kwargs) -> User:
    user = UserFactory(**kwargs)
    store_shopkeeper_add(store=store, user=user)
    return User.objects.get(pk=user.pk)


def make_item(
    store: Store,
    *,
    name: str = "",
    price: int = 10,
    stock: int = 100,
    limit: int | None = None,
    cost: str | None = "3.50",
    low: int = 0,
) -> CatalogueItem:
    item = CatalogueItem.objects.create(
        store=store,
        name=name or f"肥皂{next(_serial)}",
        unit="块",
        points_price=price,
        cost_yuan=cost,
        monthly_limit=limit,
        low_stock_level=low,
    )
    if stock:
        stock_move(item=item, quantity=stock, kind="delivery", actor=None)
    item.refresh_from_db()
    return item


def give_points(household: Household, amount: int) -> None:
    points_award(
        household=household,
        amount=amount,
        reason="测试积分",
        idempotency_key=f"test-award:{household.pk}:{next(_serial)}",
        actor=None,
    )


def make_shop_world(*, balance: int = 100, stock: int = 100) -> dict:
    tree = make_tree()
    village = tree["villages"][0]
    store = make_store(village)
    keeper = make_shopkeeper(store)
    household = make_household(village, head_name="张建明", phone="13800000011")
    give_points(household, balance)
    soap = make_item(store, name="肥皂", price=10, stock=stock)
    oil = make_item(store, name="食用油", price=30, stock=stock, limit=2)
    town_admin = make_staff(Role.TOWN_ADMIN, tree["town"], phone="13800000099")
    return {
        "tree": tree,
        "village": village,
        "store": store,
        "keeper": keeper,
        "household": household,
        "soap": soap,
        "oil": oil,
        "town_admin": town_admin,
    }


def make_villager(household: Household, phone: str = "13800000011") -> User:
    from registry.services.register import villager_link

    user = UserFactory(phone=phone, phone_verified=True)
    villager_link(user=user)
    return User.objects.get(pk=user.pk)


def redeem_soap(world: dict, key: str):
    """One soap for the world's household by its card, at its store, by its shopkeeper."""
    from registry.services import codes
    from shops.services.redemptions import redemption_confirm

    return redemption_confirm(
        store=world["store"],
        actor=world["keeper"],
        code=codes.card_token(world["household"]),
        basket={world["soap"].pk: 1},
        idempotency_key=key,
    ).redemption
