"""Reads for the shop pages, always scoped to what the user may see."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from points.models import Account, Posting
from registry.models import Household, User
from registry.permissions import Action, Kind
from registry.scoping import visible_to
from shops.models import CatalogueItem, Redemption, RedemptionLine, StockMove, Store


def store_list_for_shopkeeper(*, user: User) -> QuerySet[Store]:
    """The open stores whose counter ``user`` keeps: bound to the store and holding the counter's
    role over its area (``Kind.COUNTER`` is bound: superusers get no exception)."""
    return _kept_stores(user=user).filter(is_active=True).select_related("area")


def _kept_stores(*, user: User) -> QuerySet[Store]:
    bound = (
        Store.objects.filter(shopkeepers=user) if user.is_authenticated else Store.objects.none()
    )
    return visible_to(user, bound, kind=Kind.COUNTER, action=Action.WRITE)


def store_get_for_counter(*, user: User, pk: int) -> Store:
    """A store whose counter ``user`` keeps, or 404."""
    return get_object_or_404(store_list_for_shopkeeper(user=user), pk=pk)


def store_items_list(*, store: Store) -> QuerySet[CatalogueItem]:
    return store.items.select_related("photo").order_by("-is_active", "name")


def store_moves_list(*, store: Store, limit: int = 30) -> QuerySet[StockMove]:
    return (
        StockMove.objects.filter(item__store=store)
        .select_related("item", "actor")
        .order_by("-created_at", "-id")[:limit]
    )


def villager_household_get(*, user: User, pk: int) -> Household:
    """The household as its own villager sees it (staff do not get a household's live code)."""
    queryset = visible_to(user, Household.objects.all(), kind=Kind.HOUSEHOLD_CODE).select_related(
        "village"
    )
    return get_object_or_404(queryset, pk=pk)


def _redemptions() -> QuerySet[Redemption]:
    return Redemption.objects.select_related(
        "store", "household__village", "actor", "voided_by"
    ).prefetch_related(
        Prefetch("lines", queryset=RedemptionLine.objects.order_by("id")),
        "household__members",
    )


def redemption_get(*, user: User, receipt_number: str) -> Redemption:
    """A receipt for its household's villagers, the store's shopkeepers and staff above it."""
    if not user.is_authenticated:
        raise Http404
    # One query; subqueries, so that a store with several shopkeepers gives one row.
    keeps = Q(store__in=_kept_stores(user=user).values("pk"))
    sees = Q(
        pk__in=visible_to(
            user, Redemption.objects.filter(receipt_number=receipt_number), kind=Kind.REDEMPTION
        ).values("pk")
    )
    return get_object_or_404(_redemptions().filter(keeps | sees), receipt_number=receipt_number)


def redemption_list_today(*, store: Store, now: datetime.datetime | None = None):
    today = timezone.localdate(now or timezone.now())
    return redemption_list_on(store=store, day=today)


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, start + datetime.timedelta(days=1)


def redemption_list_on(*, store: Store, day: datetime.date) -> QuerySet[Redemption]:
    """The store's redemptions made on ``day`` (local time), newest first."""
    start, end = _day_bounds(day)
    return (
        _redemptions()
        .filter(store=store, created_at__gte=start, created_at__lt=end)
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class DaySummary:
    """A shopkeeper's end of day: what went over the counter, and what was taken back."""

    day: datetime.date
    redemptions: int
    points: int  # redeemed, voids included
    voids: int
    voided_points: int
    items: list[tuple[str, str, int]]  # (name, unit, net quantity), most taken first

    @property
    def net_points(self) -> int:
        return self.points - self.voided_points


def store_day_summary(*, store: Store, day: datetime.date) -> DaySummary:
    """Counts and points of ``day``'s redemptions at ``store`` and of the voids among them, with
    the net quantity of each item. Two queries whatever the day's size."""
    start, end = _day_bounds(day)
    made = Redemption.objects.filter(store=store, created_at__gte=start, created_at__lt=end)
    voided = Q(voided_at__isnull=False)
    totals = made.aggregate(
        count=Count("pk"),
        points_sum=Coalesce(Sum("points"), 0),
        voids_count=Count("pk", filter=voided),
        voided_sum=Coalesce(Sum("points", filter=voided), 0),
    )
    items = (
        RedemptionLine.objects.filter(redemption__in=made, redemption__voided_at__isnull=True)
        .values("name", "unit")
        .annotate(quantity=Sum("quantity"))
        .order_by("-quantity", "name")
    )
    return DaySummary(
        day=day,
        redemptions=totals["count"],
        points=totals["points_sum"],
        voids=totals["voids_count"],
        voided_points=totals["voided_sum"],
        items=[(row["name"], row["unit"], row["quantity"]) for row in items],
    )


def household_balance(*, household: Household) -> int:
    """The household's points now (its account's cached balance; 0 before its first posting)."""
    return (
        Account.objects.filter(kind=Account.Kind.HOUSEHOLD, household=household)
        .values_list("balance", flat=True)
        .first()
    ) or 0


def redemption_balance_after(*, redemption: Redemption) -> int | None:
    """The household's balance right after this redemption (from its ledger posting)."""
    return (
        Posting.objects.filter(
            transaction_id=redemption.ledger_transaction_id,
            account__kind=Account.Kind.HOUSEHOLD,
        )
        .values_list("balance_after", flat=True)
        .first()
    )


def redemption_latest_for_household(
    *, household: Household, since: datetime.datetime
) -> Redemption | None:
    return (
        Redemption.objects.filter(household=household, created_at__gte=since)
        .order_by("-created_at")
        .first()
    )


def redemption_lines_by_transaction(*, transaction_ids: list[int]) -> dict[int, list]:
    """Items of the redemptions (and voids) among ``transaction_ids``, for a points history."""
    lines: dict[int, list] = defaultdict(list)
    if not transaction_ids:
        return lines
    wanted = set(transaction_ids)
    found = RedemptionLine.objects.filter(
        Q(redemption__ledger_transaction_id__in=wanted)
        | Q(redemption__void_transaction_id__in=wanted)
    ).select_related("redemption")
    for line in found:  # a voided line belongs under both its redemption and its void
        for transaction_id in (
            line.redemption.ledger_transaction_id,
            line.redemption.void_transaction_id,
        ):
            if transaction_id in wanted:
                lines[transaction_id].append(line)
    return lines


def store_directory(*, area_path: str) -> QuerySet[Store]:
    """The open stores in an area or serving a village in it, each with ``items_on_sale`` (the
    active items by name): the campaign site's store list. Public information: no scoping."""
    return (
        Store.objects.filter(is_active=True)
        .filter(Q(area__path__startswith=area_path) | Q(villages__path__startswith=area_path))
        .distinct()
        .order_by("name")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=CatalogueItem.objects.filter(is_active=True).order_by("name"),
                to_attr="items_on_sale",
            )
        )
    )
