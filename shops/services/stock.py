"""Stock moves: the only code that changes ``CatalogueItem.stock_on_hand``.

Each move is appended and the item's cached stock updated in the same transaction; the database
refuses stock below zero (``stock_never_negative``). Stock rows are locked ``SELECT … FOR UPDATE``
in id order, after any household account (docs/ledger.md, "Locking order").
"""

from collections.abc import Iterable

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from registry.models import User
from shops.exceptions import ShopError
from shops.models import CatalogueItem, StockMove

Kind = StockMove.Kind


def _after_change(item: CatalogueItem) -> None:
    """Queue the low-stock alert once when stock falls to the item's level; re-arm above it."""
    from shops.tasks import low_stock_alert

    if item.stock_on_hand <= item.low_stock_level and not item.low_stock_alerted:
        CatalogueItem.objects.filter(pk=item.pk).update(low_stock_alerted=True)
        transaction.on_commit(lambda pk=item.pk: low_stock_alert.delay(pk))
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
            raise ShopError(
                "out_of_stock",
                _("Not enough %(name)s in stock: %(left)s left.")
                % {"name": item.name, "left": item.stock_on_hand},
            )
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


def stock_take(
    *, items: dict[int, CatalogueItem], quantities: dict[int, int]
) -> dict[int, CatalogueItem]:
    """Take ``quantities`` off stock inside the caller's transaction, row by row in id order.

    Each row is locked by its own conditional ``UPDATE … WHERE stock_on_hand >= n RETURNING``,
    the latest moment possible, and read back in the same statement. Returns the items as they
    are now. Raises ShopError: out_of_stock, price_changed (the price or sale status changed
    since ``items`` were read, so the points charged would be wrong).
    """
    table = CatalogueItem._meta.db_table
    sql = (
        f"UPDATE {table} SET stock_on_hand = stock_on_hand - %s "  # noqa: S608 - our table name
        "WHERE id = %s AND stock_on_hand >= %s "
        "RETURNING stock_on_hand, points_price, is_active, cost_yuan, low_stock_level, "
        "low_stock_alerted"
    )
    taken = {}
    with connection.cursor() as cursor:
        for pk in sorted(quantities):
            quantity, item = quantities[pk], items[pk]
            cursor.execute(sql, [quantity, pk, quantity])
            row = cursor.fetchone()
            if row is None:
                left = (
                    CatalogueItem.objects.filter(pk=pk)
                    .values_list("stock_on_hand", flat=True)
                    .first()
                )
                raise ShopError(
                    "out_of_stock",
                    _("Not enough %(name)s in stock: %(left)s left.")
                    % {"name": item.name, "left": left or 0},
                )
            stock, price, is_active, cost, level, alerted = row
            if price != item.points_price or not is_active:
                raise ShopError("price_changed", _("A price changed. Please scan again."))
            item.stock_on_hand, item.cost_yuan = stock, cost
            item.low_stock_level, item.low_stock_alerted = level, alerted
            taken[pk] = item
    return taken


def stock_record(
    *,
    items: dict[int, CatalogueItem],
    changes: dict[int, int],
    kind: str,
    actor: User | None,
    reason: str = "",
    redemption=None,
) -> None:
    """Record the moves of stock already changed by :func:`stock_take` (and alert if low)."""
    StockMove.objects.bulk_create(
        StockMove(
            item=items[pk],
            kind=kind,
            quantity=changes[pk],
            reason=reason[:200],
            redemption=redemption,
            actor=actor,
        )
        for pk in sorted(changes)
    )
    for pk in sorted(changes):
        _after_change(items[pk])


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
