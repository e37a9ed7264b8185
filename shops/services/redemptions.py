"""Redemption at the counter: preview (no side effect), confirm (one atomic write), void.

The shape follows pretix's ``perform_checkin``: cheap checks first, outside any lock (the basket,
the code's signature and household); then one ``transaction.atomic`` block holding one call of the
PostgreSQL function ``meijia_redemption_confirm`` (shops/sql/redemption_confirm_v1.sql), which
takes the scarce rows in the fixed order of docs/ledger.md (the household's points account through
the ledger's function, then the phone code's row, then the stock rows in id order), honours the
idempotency key created with the preview so that a retry returns the first redemption, and writes
everything; the household's text and the low-stock alerts are written into the outbox in the same
transaction (sent after commit). Python keeps what SQL should not do: HTTP, the codes'
signatures, the messages (every refusal is a ``ShopError`` whose ``code`` is machine-readable and
whose ``message`` is for people, in Chinese) and the outbox.
"""

from __future__ import annotations

import datetime
import secrets
import uuid
from dataclasses import dataclass

import psycopg
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from outbox.services import HouseholdMessageCall, household_messages_written
from points.exceptions import LedgerError
from points.models import Account, Posting
from points.services.keys import key_is_valid, request_fingerprint
from points.services.ledger import ledger_refusal, points_void
from registry.models import Area, Household, RoleAssignment, User
from registry.permissions import Action, Kind, may, roles_for
from registry.services.codes import (
    PHONE_CODE_CONFIRM_WINDOW,
    PHONE_CODE_TTL,
    CodeRefused,
    ScannedCode,
    code_household_id,
    code_preview_record,
    code_read,
)
from registry.sql import inserted, prepared_cursor
from shops.exceptions import ShopError
from shops.models import CatalogueItem, Redemption, RedemptionLine, StockMove, Store, StoreMonth
from shops.services.notify import (
    low_stock_alert_write,
    redemption_notice_call,
    redemption_notice_write,
)
from shops.services.stock import out_of_stock, stock_apply, stock_lock

# The statements every confirmation runs, in plain SQL: building them with the ORM took longer
# than PostgreSQL took to run them.


# The counter's roles, from registry.permissions' table (a test checks this SQL against ``may``).
_COUNTER_ROLES = sorted(roles_for(Kind.COUNTER, Action.WRITE))


def _sql_shopkeeper(paths: int) -> str:
    """SQL true when the user is bound to the store and holds one of the counter's roles over one
    of ``paths`` area paths (the store's area and those above it): ``may(user, Kind.COUNTER,
    Action.WRITE, store)`` in one statement. Parameters: store, user, the roles, then the paths
    (see :func:`_shopkeeper_params`)."""
    roles = ", ".join(["%s"] * len(_COUNTER_ROLES))
    return (
        f"EXISTS (SELECT 1 FROM {Store.shopkeepers.through._meta.db_table} k "  # noqa: S608
        "WHERE k.store_id = %s AND k.user_id = %s AND EXISTS ("
        f"SELECT 1 FROM {RoleAssignment._meta.db_table} r "
        f"JOIN {Area._meta.db_table} a ON a.id = r.area_id "
        f"WHERE r.user_id = k.user_id AND r.role IN ({roles}) "
        f"AND a.path IN ({', '.join(['%s'] * paths)})))"
    )


def _shopkeeper_params(*, store: Store, actor: User) -> list[object]:
    return [store.pk, actor.pk, *_COUNTER_ROLES, *store.area.path_and_ancestors]


def _shopkeeper_paths(params: list[object]) -> int:
    """How many area paths ``_shopkeeper_params`` put in ``params``."""
    return len(params) - 2 - len(_COUNTER_ROLES)


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


def _scan(code: str, *, actor: User, now: datetime.datetime) -> ScannedCode:
    """The household code read at the counter; its refusal as the counter's (ShopError)."""
    try:
        return code_read(code, actor=actor, now=now)
    except CodeRefused as refused:
        raise ShopError(refused.code, refused.message) from None


def _is_shopkeeper(*, store: Store, actor: User) -> bool:
    """Bound to the store and holding the register's shopkeeper role over its area (one query,
    in plain SQL: it runs in every counter request)."""
    params = _shopkeeper_params(store=store, actor=actor)
    with prepared_cursor() as cursor:
        cursor.execute(f"SELECT {_sql_shopkeeper(_shopkeeper_paths(params))}", params)
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

    Spends nothing; records the phone code's first preview, from which its confirmation grace
    runs (registry.services.codes). The returned ``idempotency_key`` goes with the confirmation.
    """
    now = now or timezone.now()
    _check_counter(store=store, actor=actor)
    scanned = _scan(code, actor=actor, now=now)
    household = scanned.household
    _check_served(store=store, household=household)
    balance = (
        Account.objects.filter(kind=Account.Kind.HOUSEHOLD, household=household)
        .values_list("balance", flat=True)
        .first()
    ) or 0
    items = list(store.items.filter(is_active=True).select_related("photo").order_by("name"))
    remaining = _remaining(household=household, items=items, now=now)
    # Shown to the shopkeeper: a phone code's confirmation grace starts now.
    code_preview_record(scanned, now=now)
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
    """Item ids and quantities are integers, nothing that merely converts to one ("62", 62.0,
    True): the caller parses what people typed."""
    cleaned: dict[int, int] = {}
    for item_id, quantity in basket.items():
        if type(item_id) is not int or type(quantity) is not int or not 0 < item_id < 2**63:
            raise ShopError("bad_basket", _("The basket could not be read."))
        if quantity < 0 or quantity > MAX_QUANTITY:
            raise ShopError("bad_quantity", _("Enter a quantity between 1 and 99."))
        if quantity:
            cleaned[item_id] = cleaned.get(item_id, 0) + quantity
    if not cleaned:
        raise ShopError("empty_basket", _("Choose at least one item."))
    if len(cleaned) > MAX_LINES:
        raise ShopError("bad_basket", _("The basket could not be read."))
    return cleaned


def _fingerprint(*, store: Store, household_id: int | None, wanted: dict[int, int]) -> str:
    """What a confirmation asks for: the store, the code's household and the basket (merged)."""
    return request_fingerprint(
        kind="redemption",
        store=store.pk,
        household=household_id,
        basket=sorted(wanted.items()),
    )


@dataclass(frozen=True)
class Receipt:
    """What a confirmation answers: the redemption, its lines, and the household's balance that
    the redemption's own posting left (for a retry too, not today's balance)."""

    redemption: Redemption
    lines: tuple[RedemptionLine, ...]
    balance_after: int | None


def _receipt(redemption: Redemption, balance_after: int | None) -> Receipt:
    return Receipt(
        redemption=redemption, lines=tuple(redemption.lines.all()), balance_after=balance_after
    )


def _existing(
    *, store: Store, code: str, basket: dict[int, int], idempotency_key: str
) -> Receipt | None:
    """The redemption first confirmed under ``idempotency_key``, when this request is its retry
    (same store, same code's household, same basket), with the balance its own posting left;
    None when the key is new. Another request under a used key is refused: key_reused."""
    found = Redemption.objects.filter(idempotency_key=idempotency_key).first()
    if found is None:
        return None
    try:
        wanted = _parse_basket(basket)
    except ShopError:
        wanted = {}
    asked = _fingerprint(store=store, household_id=code_household_id(code), wanted=wanted)
    if found.store_id != store.pk or found.request_fingerprint != asked:
        raise ShopError(
            "key_reused",
            _("This key was already used for another redemption. Scan the code again."),
        )
    return _receipt(found, _posted_balance(found))


def _posted_balance(redemption: Redemption) -> int | None:
    """The household's balance that the redemption's own posting left (not today's)."""
    return (
        Posting.objects.filter(
            transaction_id=redemption.ledger_transaction_id,
            account__household_id=redemption.household_id,
        )
        .values_list("balance_after", flat=True)
        .first()
    )


def redemption_confirm(
    *,
    store: Store,
    actor: User,
    code: str,
    basket: dict[int, int],
    idempotency_key: str,
    now: datetime.datetime | None = None,
) -> Receipt:
    """Spend the code, the points and the stock for ``basket`` ({item id: quantity}) at once.

    One database call (``meijia_redemption_confirm``) locks (docs/ledger.md), each as late as
    possible: the household's points account (in the ledger's function), the phone code's row
    (its single-use UPDATE), then the basket's stock rows in id order (each by its own
    conditional UPDATE). A call whose ``idempotency_key`` was already confirmed returns that
    first redemption's receipt and changes nothing, when it is the same request (store, code's
    household, basket; its ``balance_after`` is the one its posting left); the key with any other request
    is refused (key_reused) and charges nothing.
    Raises ShopError: bad_key, not_shopkeeper, store_closed, wrong_store, expired, used, revoked,
    bad_signature, malformed, unknown_number, too_many_attempts, empty_basket, bad_quantity,
    unknown_item, insufficient_points, out_of_stock, limit_reached, price_changed, key_reused.
    """
    now = now or timezone.now()
    if not key_is_valid(idempotency_key):
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
        found = _existing(store=store, code=code, basket=basket, idempotency_key=idempotency_key)
        if found is not None:
            return found
        if isinstance(problem, IntegrityError):
            raise ShopError("already_recorded", _("This change was already recorded.")) from problem
        raise


# shops/sql/redemption_confirm_v1.sql (loaded by migration shops 0005): everything from the
# shopkeeper check to the stock moves, with the ledger's own function for the points, in one call.
_SQL_CONFIRM_CALL = (
    "meijia_redemption_confirm(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
    "%s, %s, %s, %s, %s)"
)
_SQL_CONFIRM = (
    "SELECT redemption_id, is_new, transaction_id, points, balance_after, alert_items, NULL "
    "FROM " + _SQL_CONFIRM_CALL
)


def _sql_confirm_and_notice(notice: HouseholdMessageCall) -> str:
    """The confirmation and, only when it is new, the household's receipt text in the same
    statement (one round trip): the outbox's call runs after the confirmation's row exists and
    reads its points (``c.points``); its parameters come first."""
    return (
        "SELECT c.redemption_id, c.is_new, c.transaction_id, c.points, c.balance_after, "  # noqa: S608 - our own SQL
        "c.alert_items, " + notice.column(when="c.is_new") + " FROM " + _SQL_CONFIRM_CALL + " AS c"
    )


_REFUSAL = "MJ001"  # the SQLSTATE of the function's refusals


def _refusal(code: str, detail: str) -> ShopError:
    """The ShopError for a refusal of ``meijia_redemption_confirm`` (DETAIL is 'name|number')."""
    name, _bar, number = (detail or "").rpartition("|")
    if code in {"insufficient_points", "key_reused"}:
        refused = ledger_refusal(code, balance=int(number) if number else None)
        if code == "key_reused":
            return ShopError(
                code,
                _("This key was already used for another redemption. Scan the code again."),
            )
        return ShopError(refused.code, refused.message)
    if code == "limit_reached":
        return ShopError(
            code,
            _("Monthly limit reached for %(name)s: %(left)s more this month.")
            % {"name": name, "left": number},
        )
    if code == "out_of_stock":
        return out_of_stock(name, int(number or 0))
    messages = {
        "not_shopkeeper": lambda: _("Only this store's shopkeepers can redeem here."),
        "wrong_store": lambda: _(
            "This household's village is not served by this store. Please go to your own store."
        ),
        "unknown_item": lambda: _("An item in the basket is not on sale here."),
        "price_changed": lambda: _("A price changed. Please scan again."),
        "revoked": lambda: _(
            "This card was reported lost. Please use the new card or the phone code."
        ),
        "expired": lambda: _("This code has expired. Ask the villager to refresh it."),
        "used": lambda: _("This code has already been used. Ask for a new one."),
    }
    return ShopError(code, messages[code]())


def _confirm(
    *,
    store: Store,
    actor: User,
    code: str,
    basket: dict[int, int],
    idempotency_key: str,
    now: datetime.datetime,
) -> Receipt:
    # Cheap checks first, outside any transaction.
    if not store.is_active or not actor.is_active:
        _check_counter(store=store, actor=actor)
    wanted = _parse_basket(basket)
    scanned = _scan(code, actor=actor, now=now)
    household = scanned.household
    item_ids = sorted(wanted)
    # The reason the villager reads: the store's name now, the items' names filled in by SQL.
    reason = _("Redeemed at %(store)s: %(items)s").replace("%(store)s", store.name)
    params = [
        store.pk,
        list(store.area.path_and_ancestors),
        actor.pk,
        _COUNTER_ROLES,
        household.pk,
        household.village_id,
        scanned.kind,
        scanned.phone_code_id,
        scanned.card_version,
        # A phone code is spent while live or within its own preview's grace (registry.services.codes).
        now - PHONE_CODE_TTL,
        now - PHONE_CODE_CONFIRM_WINDOW,
        item_ids,
        [wanted[pk] for pk in item_ids],
        idempotency_key,
        _fingerprint(store=store, household_id=household.pk, wanted=wanted),
        _receipt_number(now),
        reason,
        month_start(now),
        now,
        timezone.localdate(now),
    ]
    # The household's receipt text goes into the outbox in the same statement (None: WeChat is
    # on, so it is written after the call with redemption_notice_write).
    notice = redemption_notice_call(
        store=store, household=household, receipt_number=params[15], points_sql="c.points"
    )
    sql = _SQL_CONFIRM if notice is None else _sql_confirm_and_notice(notice)
    try:
        with transaction.atomic():
            with prepared_cursor() as cursor:
                cursor.execute(sql, params if notice is None else notice.params + params)
                redemption_id, is_new, entry_id, points, balance_after, alerts, deliveries = (
                    cursor.fetchone()
                )
            if is_new:
                redemption = inserted(
                    Redemption,
                    pk=redemption_id,
                    store=store,
                    household=household,
                    receipt_number=params[15],
                    idempotency_key=idempotency_key,
                    request_fingerprint=params[14],
                    points=points,
                    code_kind=scanned.kind,
                    ledger_transaction_id=entry_id,
                    actor=actor,
                    created_at=now,
                    void_reason="",
                )
                # Side effects, written into the outbox in this transaction (sent after commit):
                # the household's text and the low-stock alerts the function flagged.
                if notice is None:
                    redemption_notice_write(redemption=redemption)
                else:
                    household_messages_written(delivery_ids=deliveries)
                if alerts:
                    for item in CatalogueItem.objects.filter(pk__in=alerts).select_related("store"):
                        low_stock_alert_write(item=item)
    except DatabaseError as error:
        cause = error.__cause__
        if not isinstance(cause, psycopg.Error) or cause.sqlstate != _REFUSAL:
            raise
        raise _refusal(cause.diag.message_primary or "", cause.diag.message_detail or "") from None
    if not is_new:  # a retry of a confirmed request: the first redemption, if the same request
        found = _existing(store=store, code=code, basket=basket, idempotency_key=idempotency_key)
        if found is None:  # pragma: no cover - the function found it under the same key
            raise ShopError("already_recorded", _("This change was already recorded."))
        return found
    # The balance comes from the function's answer: the receipt need not read it back.
    return _receipt(redemption, balance_after)


# --- Void ---------------------------------------------------------------------------------------


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
    if not made_it and not may(actor, Kind.REDEMPTION, Action.WRITE, store.area):
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
