"""Stores and their catalogue: shopkeepers, adopting district items, the low-stock alert."""

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from registry.models import RoleAssignment, User
from registry.services.register import role_assign
from shops.exceptions import ShopError
from shops.models import CatalogueItem, DistrictItem, Store

Role = RoleAssignment.Role


def store_shopkeeper_add(*, store: Store, user: User) -> None:
    """Bind ``user`` to ``store`` and give them the register's shopkeeper role over its area."""
    with transaction.atomic():
        role_assign(user=user, role=Role.SHOPKEEPER, area=store.area)
        store.shopkeepers.add(user)


def store_item_adopt(*, store: Store, source: DistrictItem) -> CatalogueItem:
    """Put a district-wide item into the store's catalogue (once), with no stock yet."""
    if not store.area.path.startswith(source.district.path):
        raise ShopError("other_district", _("This item belongs to another district's list."))
    item, _created = CatalogueItem.objects.get_or_create(
        store=store,
        source=source,
        defaults={
            "name": source.name,
            "unit": source.unit,
            "points_price": source.points_price,
            "cost_yuan": source.cost_yuan,
            "photo": source.photo,
        },
    )
    return item


def store_alert_recipients(*, store: Store) -> list[User]:
    """The store's active shopkeepers and the town administrators above the store."""
    town_admins = User.objects.filter(
        roles__role=Role.TOWN_ADMIN,
        roles__area__path__in=store.area.path_and_ancestors,
        is_active=True,
    )
    return list(
        User.objects.filter(
            Q(pk__in=store.shopkeepers.filter(is_active=True).values("pk"))
            | Q(pk__in=town_admins.values("pk"))
        ).order_by("pk")
    )
