"""Stock moves: deliveries, adjustments and voids (a redemption's moves are written by the counter's
SQL function, shops/sql/redemption_confirm_v1.sql, with the same rules).

Each move is appended and the item's cached stock updated in the same transaction; the database
refuses stock below zero (``stock_never_negative``). Stock rows are locked ``SELECT … FOR UPDATE``
in id order, after any household account (docs/ledger.md, "Locking order").
"""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from registry.models import User
from shops.exceptions import ShopError
from shops.models import CatalogueItem, StockMove
from shops.services.notify import low_stock_alert_write

Kind = StockMove.Kind


def out_of_stock(name: str, left: int) -> ShopError:
    return ShopError(
        "out_of_stock",
        _("Not enough %(name)s in stock: %(left)s left.") % {"name": name, "left": left},
    )


def _after_change(item: CatalogueItem) -> None:
    """Write the low-stock alert into the outbox once when stock falls to the item's level (in
    this transaction, with the flag that says it was written); re-arm above it."""
    if item.stock_on_hand <= item.low_stock_level and not item.low_stock_alerted:
        CatalogueItem.objects.filter(pk=item.pk).update(low_stock_alerted=True)
        low_stock_alert_write(item=item)
    elif item.stock_on_hand > item.low_stock_level and item.low_stock_alerted:
        CatalogueItem.objects.filter(pk=item.pk).update(low_stock_alerted=False)


def stock_lock(*, item_ids: Iterable[int]) -> dict[int, CatalogueItem]:
    """Lock the items' rows in id order (inside the caller's transaction) and return them."""
    ids = sorted(set(item_ids))
    return {
        item.pk: item
        for item in CatalogueItem.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }


def stock_apply(
    *,
    items: dict[int, CatalogueItem],
    changes: dict[int, int],
    kind: str,
    actor: User | None,
    reason: str = "",
    redemption=None,
) -> None:
    """Record one move per changed item on rows the caller has locked with :func:`stock_lock`.

    Raises ShopError(out_of_stock) when a move would take an item below zero.
    """
    moves = []
    for item_id in sorted(changes):
        quantity = changes[item_id]
        item = items[item_id]
        if item.stock_on_hand + quantity < 0:
            raise out_of_stock(item.name, item.stock_on_hand)
        item.stock_on_hand += quantity
        moves.append(
            StockMove(
                item=item,
                kind=kind,
                quantity=quantity,
                reason=reason[:200],
                redemption=redemption,
                actor=actor,
            )
        )
    StockMove.objects.bulk_create(moves)
    for item_id in sorted(changes):
        CatalogueItem.objects.filter(pk=item_id).update(
            stock_on_hand=F("stock_on_hand") + changes[item_id]
        )
        _after_change(items[item_id])


def stock_move(
    *, item: CatalogueItem, quantity: int, kind: str, actor: User | None, reason: str = ""
) -> CatalogueItem:
    """A delivery (positive) or an adjustment (either sign, with a reason) of one item."""
    if kind not in (Kind.DELIVERY, Kind.ADJUSTMENT):
        raise ValueError("redemptions and voids move stock through their own services")
    if quantity == 0:
        raise ShopError("zero_quantity", _("Enter a quantity other than zero."))
    if kind == Kind.DELIVERY and quantity < 0:
        raise ShopError("negative_delivery", _("A delivery adds stock; use an adjustment."))
    if kind == Kind.ADJUSTMENT and not reason.strip():
        raise ShopError("reason_required", _("Say why the stock is adjusted."))
    try:
        with transaction.atomic():
            locked = stock_lock(item_ids=[item.pk])
            stock_apply(
                items=locked, changes={item.pk: quantity}, kind=kind, actor=actor, reason=reason
            )
    except IntegrityError as error:  # pragma: no cover - stock_apply checks first
        raise ShopError("out_of_stock", _("Stock cannot go below zero.")) from error
    item.stock_on_hand = locked[item.pk].stock_on_hand
    return item


def stock_mismatches() -> list[int]:
    """Items whose cached stock differs from the sum of their moves (should be none)."""
    sums = dict(
        StockMove.objects.values("item_id")
        .annotate(total=Sum("quantity"))
        .values_list("item_id", "total")
    )
    return [
        pk
        for pk, cached in CatalogueItem.objects.values_list("pk", "stock_on_hand")
        if cached != sums.get(pk, 0)
    ]
