"""Stock moves: the only code that changes ``CatalogueItem.stock_on_hand``.

Each move is appended and the item's cached stock updated in the same transaction; the database
refuses stock below zero (``stock_never_negative``). Stock rows are locked ``SELECT … FOR UPDATE``
in id order, after any household account (docs/ledger.md, "Locking order").
"""

from collections.abc import Iterable

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import User
from registry.sql import prepared_cursor
from shops.exceptions import ShopError
from shops.models import CatalogueItem, StockMove
from shops.services.notify import low_stock_alert_write

Kind = StockMove.Kind
_SQL_TAKE = (
    f"UPDATE {CatalogueItem._meta.db_table} SET stock_on_hand = stock_on_hand - %s "  # noqa: S608
    "WHERE id = %s AND stock_on_hand >= %s "
    "RETURNING stock_on_hand, points_price, is_active, low_stock_level, low_stock_alerted"
)
_INSERT_MOVE = (
    f"INSERT INTO {StockMove._meta.db_table} "  # noqa: S608 - our own table
    "(item_id, kind, quantity, reason, redemption_id, actor_id, created_at)"
)
_SQL_INSERT_MOVE = f"{_INSERT_MOVE} VALUES (%s, %s, %s, %s, %s, %s, %s)"
# PostgreSQL: the move is written by the same statement, only when the stock was there.
_SQL_TAKE_AND_MOVE = (
    f"WITH s AS ({_SQL_TAKE}), m AS ({_INSERT_MOVE} "  # noqa: S608
    "SELECT %s::bigint, %s::varchar, %s::integer, %s::varchar, %s::bigint, %s::bigint, "
    "%s::timestamptz FROM s) SELECT * FROM s"
)


def _out_of_stock(name: str, left: int) -> ShopError:
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
            raise _out_of_stock(item.name, item.stock_on_hand)
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
    *,
    items: dict[int, CatalogueItem],
    quantities: dict[int, int],
    kind: str,
    actor: User | None,
    redemption,
) -> None:
    """Take ``quantities`` off stock inside the caller's transaction, row by row in id order,
    recording each item's move (and alerting if low).

    Each row is locked by its own conditional ``UPDATE … WHERE stock_on_hand >= n``, the latest
    moment possible, which on PostgreSQL also inserts the move in the same statement. Raises
    ShopError: out_of_stock, price_changed (the price or sale status changed since ``items``
    were read, so the points charged would be wrong).
    """
    postgres = connection.vendor == "postgresql"
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    with prepared_cursor() as cursor:
        for pk in sorted(quantities):
            quantity, item = quantities[pk], items[pk]
            move = [pk, kind, -quantity, "", redemption.pk, actor.pk if actor else None, at]
            if postgres:
                cursor.execute(_SQL_TAKE_AND_MOVE, [quantity, pk, quantity, *move])
            else:
                cursor.execute(_SQL_TAKE, [quantity, pk, quantity])
            row = cursor.fetchone()
            if row is None:
                left = (
                    CatalogueItem.objects.filter(pk=pk)
                    .values_list("stock_on_hand", flat=True)
                    .first()
                )
                raise _out_of_stock(item.name, left or 0)
            stock, price, is_active, level, alerted = row
            if price != item.points_price or not is_active:
                raise ShopError("price_changed", _("A price changed. Please scan again."))
            if not postgres:
                cursor.execute(_SQL_INSERT_MOVE, move)
            item.stock_on_hand, item.low_stock_level, item.low_stock_alerted = stock, level, alerted
            _after_change(item)


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
