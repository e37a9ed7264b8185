"""Redemption at the counter: preview (no side effect), confirm (one atomic write), void.

The shape follows pretix's ``perform_checkin``: cheap checks first, outside any lock; then one
``transaction.atomic`` block that takes the scarce rows in the fixed order of docs/ledger.md
(the household's points account through the ledger, then the phone code's row, then the stock
rows in id order), honours the idempotency key created with the preview so that a retry returns
the first redemption, and writes everything, the household's text included (into the outbox,
sent after commit). Every refusal is a ``ShopError`` whose ``code`` is machine-readable and
whose ``message`` is for people.
"""

from __future__ import annotations

import datetime
import re
import secrets
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from points.exceptions import LedgerError
from points.models import Account
from points.services.ledger import points_spend, points_void
from registry.codes import PHONE_CODE_CONFIRM_WINDOW, CodeRefused, consume_code, read_code
from registry.models import Area, Household, RoleAssignment, User
from registry.scoping import role_assignments
from registry.sql import from_row, inserted, prepared_cursor
from shops.exceptions import ShopError
from shops.models import CatalogueItem, Redemption, RedemptionLine, StockMove, Store, StoreMonth
from shops.services.notify import redemption_notice_write
from shops.services.stock import stock_apply, stock_lock, stock_take

Role = RoleAssignment.Role
# The statements every confirmation runs, in plain SQL (the same on PostgreSQL and SQLite):
# building them with the ORM took longer than PostgreSQL took to run them.
_ITEM_FIELDS = ("id", "name", "unit", "points_price", "monthly_limit", "cost_yuan")


def _sql_shopkeeper(paths: int) -> str:
    """SQL true when the user is bound to the store and holds the register's shopkeeper role over
    one of ``paths`` area paths (the store's area and those above it). Parameters: store, user,
    role, then the paths (see :func:`_shopkeeper_params`)."""
    return (
        f"EXISTS (SELECT 1 FROM {Store.shopkeepers.through._meta.db_table} k "  # noqa: S608
        "WHERE k.store_id = %s AND k.user_id = %s AND EXISTS ("
        f"SELECT 1 FROM {RoleAssignment._meta.db_table} r "
        f"JOIN {Area._meta.db_table} a ON a.id = r.area_id "
        f"WHERE r.user_id = k.user_id AND r.role = %s AND a.path IN ({', '.join(['%s'] * paths)})))"
    )


def _shopkeeper_params(*, store: Store, actor: User) -> list[object]:
    return [store.pk, actor.pk, Role.SHOPKEEPER, *store.area.path_and_ancestors]


def _sql_basket_items(*, items: int, paths: int) -> str:
    return (
        f"SELECT {', '.join('i.' + name for name in _ITEM_FIELDS)} "  # noqa: S608
        f"FROM {CatalogueItem._meta.db_table} i "
        f"WHERE i.store_id = %s AND i.is_active = %s AND i.id IN ({', '.join(['%s'] * items)}) "
        f"AND EXISTS (SELECT 1 FROM {Store.villages.through._meta.db_table} v "
        f"WHERE v.store_id = i.store_id AND v.area_id = %s) AND {_sql_shopkeeper(paths)}"
    )


_REDEMPTION_COLUMNS = (
    "store_id, household_id, receipt_number, idempotency_key, points, code_kind, "
    "ledger_transaction_id, actor_id, created_at, void_reason"
)
_LINE_COLUMNS = "redemption_id, item_id, name, unit, quantity, points_price, cost_yuan"
_SQL_INSERT_REDEMPTION = (
    f"INSERT INTO {Redemption._meta.db_table} ({_REDEMPTION_COLUMNS}) "  # noqa: S608
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
_SQL_INSERT_LINES = f"INSERT INTO {RedemptionLine._meta.db_table} ({_LINE_COLUMNS}) VALUES "  # noqa: S608


def _sql_insert_redemption_with_lines(lines: int) -> str:
    values = ", ".join(
        ["(%s::bigint, %s::varchar, %s::varchar, %s::integer, %s::integer, %s::numeric)"] * lines
    )
    return (
        f"WITH r AS ({_SQL_INSERT_REDEMPTION} RETURNING id) "  # noqa: S608
        f"INSERT INTO {RedemptionLine._meta.db_table} ({_LINE_COLUMNS}) "
        f"SELECT r.id, v.* FROM r, (VALUES {values}) v RETURNING redemption_id"
    )


KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_LINES = 30
MAX_QUANTITY = 99


@dataclass(frozen=True)
class ItemOffer:
    """An item as this household may take it now: ``remaining`` is None when unlimited."""

    item: CatalogueItem
    remaining: int | None

    @property
    def can_take(self) -> int:
        limit = self.item.stock_on_hand
        return limit if self.remaining is None else min(limit, self.remaining)


@dataclass(frozen=True)
class RedemptionPreview:
    household: Household
    masked_name: str
    village_name: str
    balance: int
    code_kind: str
    idempotency_key: str
    offers: list[ItemOffer]


def month_start(moment: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(moment)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _refuse_code(refused: CodeRefused) -> ShopError:
    return ShopError(refused.code, refused.message)


def _is_shopkeeper(*, store: Store, actor: User) -> bool:
    """Bound to the store and holding the register's shopkeeper role over its area (one query,
    in plain SQL: it runs in every counter request)."""
    params = _shopkeeper_params(store=store, actor=actor)
    with prepared_cursor() as cursor:
        cursor.execute(f"SELECT {_sql_shopkeeper(len(params) - 3)}", params)
        return bool(cursor.fetchone()[0])


def _check_counter(*, store: Store, actor: User) -> None:
    if not store.is_active:
        raise ShopError("store_closed", _("This store is closed in the system."))
    if not actor.is_active or not _is_shopkeeper(store=store, actor=actor):
        raise ShopError("not_shopkeeper", _("Only this store's shopkeepers can redeem here."))


def _check_served(*, store: Store, household: Household) -> None:
    if not store.villages.filter(pk=household.village_id).exists():
        raise ShopError(
            "wrong_store",
            _("This household's village is not served by this store. Please go to your own store."),
        )


def _remaining(
    *, household: Household, items: list[CatalogueItem], now: datetime.datetime
) -> dict[int, int]:
    """For items with a monthly limit: how many more this household may take this month."""
    limited = {item.pk: item.monthly_limit for item in items if item.monthly_limit is not None}
    if not limited:
        return {}
    taken = dict(
        RedemptionLine.objects.filter(
            item_id__in=limited,
            redemption__household=household,
            redemption__voided_at__isnull=True,
            redemption__created_at__gte=month_start(now),
        )
        .values("item_id")
        .annotate(total=Sum("quantity"))
        .values_list("item_id", "total")
    )
    return {pk: max(limit - taken.get(pk, 0), 0) for pk, limit in limited.items()}


def redemption_preview(
    *, store: Store, actor: User, code: str, now: datetime.datetime | None = None
) -> RedemptionPreview:
    """Name the household behind ``code`` (masked), its balance and what it may take this month.

    Spends nothing; the returned ``idempotency_key`` goes with the confirmation.
    """
    now = now or timezone.now()
    _check_counter(store=store, actor=actor)
    try:
        scanned = read_code(code, actor=actor, now=now)
    except CodeRefused as refused:
        raise _refuse_code(refused) from None
    household = scanned.household
    _check_served(store=store, household=household)
    balance = (
        Account.objects.filter(kind=Account.Kind.HOUSEHOLD, household=household)
        .values_list("balance", flat=True)
        .first()
    ) or 0
    items = list(store.items.filter(is_active=True).select_related("photo").order_by("name"))
    remaining = _remaining(household=household, items=items, now=now)
    return RedemptionPreview(
        household=household,
        masked_name=household.masked_name,
        village_name=household.village.name,
        balance=balance,
        code_kind=scanned.kind,
        idempotency_key=uuid.uuid4().hex,
        offers=[ItemOffer(item=item, remaining=remaining.get(item.pk)) for item in items],
    )


def _receipt_number(now: datetime.datetime) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    tail = "".join(secrets.choice(alphabet) for _index in range(6))
    return f"{timezone.localtime(now):%y%m%d}-{tail}"


def _parse_basket(basket: dict[int, int]) -> dict[int, int]:
    cleaned: dict[int, int] = {}
    for item_id, quantity in basket.items():
        try:
            item_id, quantity = int(item_id), int(quantity)
        except (TypeError, ValueError):
            raise ShopError("bad_basket", _("The basket could not be read.")) from None
        if quantity < 0 or quantity > MAX_QUANTITY:
            raise ShopError("bad_quantity", _("Enter a quantity between 1 and 99."))
        if quantity:
            cleaned[item_id] = cleaned.get(item_id, 0) + quantity
    if not cleaned:
        raise ShopError("empty_basket", _("Choose at least one item."))
    if len(cleaned) > MAX_LINES:
        raise ShopError("bad_basket", _("The basket could not be read."))
    return cleaned


def _existing(*, store: Store, idempotency_key: str) -> Redemption | None:
    found = Redemption.objects.filter(idempotency_key=idempotency_key).first()
    if found is not None and found.store_id != store.pk:
        raise ShopError("key_reused", _("This request was already used at another store."))
    return found


def redemption_confirm(
    *,
    store: Store,
    actor: User,
    code: str,
    basket: dict[int, int],
    idempotency_key: str,
    now: datetime.datetime | None = None,
) -> Redemption:
    """Spend the code, the points and the stock for ``basket`` ({item id: quantity}) at once.

    Locks (docs/ledger.md), each as late as possible: the household's points account (in the
    ledger), the phone code's row (its single-use UPDATE), then the basket's stock rows in id
    order (each by its own conditional UPDATE). A call whose ``idempotency_key`` was already
    confirmed returns that first redemption and changes nothing.
    Raises ShopError: not_shopkeeper, store_closed, wrong_store, expired, used, revoked,
    bad_signature, malformed, unknown_number, too_many_attempts, empty_basket, bad_quantity,
    unknown_item, insufficient_points, out_of_stock, limit_reached, price_changed, key_reused.
    """
    now = now or timezone.now()
    if not KEY_PATTERN.match(idempotency_key or ""):
        raise ShopError("bad_key", _("This request has no valid key. Scan the code again."))
    try:
        return _confirm(
            store=store,
            actor=actor,
            code=code,
            basket=basket,
            idempotency_key=idempotency_key,
            now=now,
        )
    except (ShopError, IntegrityError) as problem:
        # A retry of a confirmed request: its code is spent, its key and ledger entry are taken.
        # Looked up only on this (rare) path, so a first confirmation never pays for it.
        found = _existing(store=store, idempotency_key=idempotency_key)
        if found is not None:
            return found
        if isinstance(problem, IntegrityError):
            raise ShopError("already_recorded", _("This change was already recorded.")) from problem
        raise


def _confirm(
    *,
    store: Store,
    actor: User,
    code: str,
    basket: dict[int, int],
    idempotency_key: str,
    now: datetime.datetime,
) -> Redemption:
    # Cheap checks first, outside any transaction.
    if not store.is_active or not actor.is_active:
        _check_counter(store=store, actor=actor)
    wanted = _parse_basket(basket)
    try:
        scanned = read_code(code, actor=actor, max_age=PHONE_CODE_CONFIRM_WINDOW, now=now)
    except CodeRefused as refused:
        raise _refuse_code(refused) from None
    household = scanned.household
    # One read answers three questions: is ``actor`` this store's shopkeeper, does the store
    # serve the household's village, is every item on sale here. Only a refusal asks which.
    items = _basket_items(store=store, actor=actor, household=household, item_ids=sorted(wanted))
    if set(wanted) - set(items):
        _check_counter(store=store, actor=actor)
        _check_served(store=store, household=household)
        raise ShopError("unknown_item", _("An item in the basket is not on sale here."))
    total = sum(items[pk].points_price * quantity for pk, quantity in wanted.items())
    names = "、".join(f"{items[pk].name}×{quantity}" for pk, quantity in sorted(wanted.items()))
    try:
        with transaction.atomic():
            entry = points_spend(
                household=household,
                amount=total,
                store_id=store.pk,
                reason=(
                    _("Redeemed at %(store)s: %(items)s") % {"store": store.name, "items": names}
                ),
                idempotency_key=f"redeem:{idempotency_key}",
                actor=actor,
            )
            consume_code(scanned, purpose="redemption", now=now)
            if any(items[pk].monthly_limit is not None for pk in wanted):
                # Under the household's lock: no other redemption of this household runs now.
                remaining = _remaining(household=household, items=list(items.values()), now=now)
                for pk, left in remaining.items():
                    if wanted[pk] > left:
                        raise ShopError(
                            "limit_reached",
                            _("Monthly limit reached for %(name)s: %(left)s more this month.")
                            % {"name": items[pk].name, "left": left},
                        )
            # Inserting the key is the last guard: a retry racing past the checks above fails
            # here on the unique key and returns the first redemption (see redemption_confirm).
            # The receipt's rows lock nothing another redemption waits for; the stock rows,
            # locked last, are taken right after, with their moves.
            redemption, lines = _redemption_insert(
                store=store,
                household=household,
                idempotency_key=idempotency_key,
                points=total,
                code_kind=scanned.kind,
                entry=entry,
                actor=actor,
                items=items,
                quantities=wanted,
                now=now,
            )
            # The household's text, in this transaction (the outbox sends it after commit).
            redemption_notice_write(redemption=redemption)
            stock_take(
                items=items,
                quantities=wanted,
                kind=StockMove.Kind.REDEMPTION,
                actor=actor,
                redemption=redemption,
            )
    except LedgerError as refused:
        raise ShopError(refused.code, refused.message) from None
    except CodeRefused as refused:
        raise _refuse_code(refused) from None
    # What the receipt shows, without reading it back: the household's balance after this
    # redemption and the lines just written (as if prefetched).
    balances = getattr(entry, "balances_after", None)
    if balances:
        redemption.balance_after = next(iter(balances.values()))
    prefetched = redemption.lines.all()
    prefetched._result_cache, prefetched._prefetch_done = lines, True
    redemption._prefetched_objects_cache = {"lines": prefetched}
    return redemption


def _basket_items(
    *, store: Store, actor: User, household: Household, item_ids: list[int]
) -> dict[int, CatalogueItem]:
    """The basket's items on sale at ``store``, when ``actor`` is its shopkeeper and the store
    serves the household's village (otherwise none)."""
    shopkeeper = _shopkeeper_params(store=store, actor=actor)
    sql = _sql_basket_items(items=len(item_ids), paths=len(shopkeeper) - 3)
    params = [store.pk, True, *item_ids, household.village_id, *shopkeeper]
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        row[0]: from_row(
            CatalogueItem, (*_ITEM_FIELDS, "store_id", "is_active"), (*row, store.pk, True)
        )
        for row in rows
    }


def _redemption_insert(
    *,
    store: Store,
    household: Household,
    idempotency_key: str,
    points: int,
    code_kind: str,
    entry,
    actor: User,
    items: dict[int, CatalogueItem],
    quantities: dict[int, int],
    now: datetime.datetime,
) -> tuple[Redemption, list[RedemptionLine]]:
    """The redemption and its lines (name, price and cost as they are now): one statement on
    PostgreSQL, two elsewhere."""
    redemption = inserted(
        Redemption,
        store=store,
        household=household,
        receipt_number=_receipt_number(now),
        idempotency_key=idempotency_key,
        points=points,
        code_kind=code_kind,
        ledger_transaction=entry,
        actor=actor,
        created_at=now,
        void_reason="",
    )
    lines = [
        RedemptionLine(
            redemption=redemption,
            item=items[pk],
            name=items[pk].name,
            unit=items[pk].unit,
            quantity=quantity,
            points_price=items[pk].points_price,
            cost_yuan=items[pk].cost_yuan,
        )
        for pk, quantity in sorted(quantities.items())
    ]
    header = [
        store.pk,
        household.pk,
        redemption.receipt_number,
        idempotency_key,
        points,
        code_kind,
        entry.pk,
        actor.pk,
        connection.ops.adapt_datetimefield_value(now),
        "",
    ]
    cost = RedemptionLine._meta.get_field("cost_yuan")
    values: list[object] = []
    for line in lines:
        values += [
            line.item_id,
            line.name,
            line.unit,
            line.quantity,
            line.points_price,
            cost.get_db_prep_value(line.cost_yuan, connection),
        ]
    with prepared_cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_sql_insert_redemption_with_lines(len(lines)), [*header, *values])
            redemption.pk = cursor.fetchone()[0]
        else:
            cursor.execute(_SQL_INSERT_REDEMPTION + " RETURNING id", header)
            redemption.pk = cursor.fetchone()[0]
            rows: list[object] = []
            for index in range(len(lines)):
                rows += [redemption.pk, *values[index * 6 : index * 6 + 6]]
            cursor.execute(
                _SQL_INSERT_LINES + ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(lines)),
                rows,
            )
    return redemption, lines


# --- Void ---------------------------------------------------------------------------------------


def _is_town_admin(*, store: Store, actor: User) -> bool:
    if actor.is_superuser:
        return True
    area_path = store.area.path
    return any(
        assignment.role in (Role.TOWN_ADMIN, Role.DISTRICT_ADMIN)
        and assignment.area is not None
        and area_path.startswith(assignment.area.path)
        for assignment in role_assignments(actor)
    )


def redemption_can_void(
    *, redemption: Redemption, actor: User, now: datetime.datetime | None = None
) -> str | None:
    """Why ``actor`` may not void ``redemption`` now (a reason code), or None when they may."""
    now = now or timezone.now()
    if redemption.is_voided:
        return "already_voided"
    if timezone.localdate(redemption.created_at) != timezone.localdate(now):
        return "too_late"
    store = redemption.store
    made_it = redemption.actor_id == actor.pk and _is_shopkeeper(store=store, actor=actor)
    if not made_it and not _is_town_admin(store=store, actor=actor):
        return "not_allowed"
    if StoreMonth.objects.filter(
        store_id=redemption.store_id, month=month_start(redemption.created_at).date()
    ).exists():
        return "month_settled"
    return None


VOID_MESSAGES = {
    "already_voided": lambda: _("This redemption has already been voided."),
    "too_late": lambda: _("A redemption can only be voided on the day it was made."),
    "not_allowed": lambda: _(
        "Only the shopkeeper who made it or a town administrator can void this redemption."
    ),
    "month_settled": lambda: _("This month has been settled; its redemptions cannot be voided."),
}


def redemption_void(
    *, redemption: Redemption, actor: User, reason: str, now: datetime.datetime | None = None
) -> Redemption:
    """Give the points back (a reversing ledger transaction) and return the goods to stock.

    Same locks as a confirmation: household account, then stock rows in id order. A redemption
    is voided once (the ledger refuses a second reversal). Raises ShopError: reason_required,
    already_voided, too_late, not_allowed, month_settled.
    """
    now = now or timezone.now()
    if not reason.strip():
        raise ShopError("reason_required", _("Say why the redemption is voided."))
    problem = redemption_can_void(redemption=redemption, actor=actor, now=now)
    if problem:
        raise ShopError(problem, VOID_MESSAGES[problem]())
    try:
        with transaction.atomic():
            reversing = points_void(
                redemption=redemption.ledger_transaction,
                reason=_("Void of receipt %(receipt)s: %(reason)s")
                % {"receipt": redemption.receipt_number, "reason": reason.strip()},
                idempotency_key=f"void:{redemption.pk}",
                actor=actor,
            )
            current = Redemption.objects.get(pk=redemption.pk)
            if current.is_voided:
                raise ShopError("already_voided", VOID_MESSAGES["already_voided"]())
            if StoreMonth.objects.filter(
                store_id=redemption.store_id, month=month_start(redemption.created_at).date()
            ).exists():
                raise ShopError("month_settled", VOID_MESSAGES["month_settled"]())
            lines = list(redemption.lines.all())
            locked = stock_lock(item_ids=[line.item_id for line in lines])
            changes: dict[int, int] = {}
            for line in lines:
                changes[line.item_id] = changes.get(line.item_id, 0) + line.quantity
            stock_apply(
                items=locked,
                changes=changes,
                kind=StockMove.Kind.VOID,
                actor=actor,
                reason=reason,
                redemption=redemption,
            )
            Redemption.objects.filter(pk=redemption.pk).update(
                voided_at=now,
                voided_by=actor,
                void_reason=reason.strip()[:200],
                void_transaction=reversing,
            )
            redemption_notice_write(redemption=redemption, is_void=True)
    except LedgerError as refused:
        if refused.code == "already_reversed":
            raise ShopError("already_voided", VOID_MESSAGES["already_voided"]()) from None
        raise ShopError(refused.code, refused.message) from None
    redemption.refresh_from_db()
    return redemption
