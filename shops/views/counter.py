"""Phone pages of the 美家超市: the villager's code, the shopkeeper's counter, receipts, voids
and stock. Views parse, authorise through the selectors (scoped), call one service, render."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from registry.permissions import Action, Kind, may
from registry.qr import qr_svg
from registry.services import codes
from shops import selectors
from shops.exceptions import ShopError
from shops.forms import CodeForm, StockMoveForm, VoidForm
from shops.services.redemptions import (
    redemption_can_void,
    redemption_confirm,
    redemption_preview,
    redemption_void,
)
from shops.services.stock import stock_move

# --- The villager's code ------------------------------------------------------------------------


def _issued(household) -> dict:
    issued = codes.phone_code_issue(household)
    now = timezone.now()
    return {
        "svg": qr_svg(issued.token),
        "digits": issued.digits,
        "token": issued.token,
        "expires_at": issued.expires_at.isoformat(),
        "issued_at": now.isoformat(),
        # Counted down on the phone from when the page got it (its own clock may be wrong).
        "seconds_left": max(int((issued.expires_at - now).total_seconds()), 0),
        "balance": selectors.household_balance(household=household),
    }


@never_cache
@login_required
def household_code(request: HttpRequest, pk: int) -> HttpResponse:
    household = selectors.villager_household_get(user=request.user, pk=pk)
    return render(
        request,
        "shops/household_code.html",
        {"household": household, "code": _issued(household)},
    )


@never_cache
@login_required
def household_code_new(request: HttpRequest, pk: int) -> JsonResponse:
    household = selectors.villager_household_get(user=request.user, pk=pk)
    data = _issued(household)
    del data["token"]
    return JsonResponse(data)


@never_cache
@login_required
def household_code_status(request: HttpRequest, pk: int) -> JsonResponse:
    """Whether the code with these digits was used, and the receipt it made (if any)."""
    household = selectors.villager_household_get(user=request.user, pk=pk)
    row = household.phone_codes.filter(digits=request.GET.get("digits", "")[:8]).first()
    if row is None or row.used_at is None:
        return JsonResponse({"used": False})
    redemption = selectors.redemption_latest_for_household(household=household, since=row.issued_at)
    receipt = reverse("shops:receipt", args=[redemption.receipt_number]) if redemption else None
    return JsonResponse({"used": True, "receipt_url": receipt})


# --- The counter --------------------------------------------------------------------------------


@login_required
def counter_home(request: HttpRequest) -> HttpResponse:
    if not may(request.user, Kind.COUNTER, Action.READ):
        raise Http404
    stores = list(selectors.store_list_for_shopkeeper(user=request.user))
    if len(stores) == 1:
        return redirect("shops:counter", store_id=stores[0].pk)
    return render(request, "shops/counter_home.html", {"stores": stores})


# The counter page lists only the latest few; the day page has them all.
COUNTER_RECENT = 5


@login_required
def counter(request: HttpRequest, store_id: int) -> HttpResponse:
    store = selectors.store_get_for_counter(user=request.user, pk=store_id)
    today = timezone.localdate()
    return render(
        request,
        "shops/counter.html",
        {
            "store": store,
            "form": CodeForm(),
            "today": selectors.redemption_list_on(store=store, day=today)[:COUNTER_RECENT],
            "summary": selectors.store_day_summary(store=store, day=today),
        },
    )


@login_required
def counter_day(request: HttpRequest, store_id: int) -> HttpResponse:
    """The shopkeeper's end of day: the day's redemptions, points and voids (today or a day of
    the last weeks, never the future)."""
    store = selectors.store_get_for_counter(user=request.user, pk=store_id)
    today = timezone.localdate()
    try:
        day = datetime.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = today
    day = min(day, today)
    return render(
        request,
        "shops/counter_day.html",
        {
            "store": store,
            "day": day,
            "today": today,
            "previous": day - datetime.timedelta(days=1),
            "next": day + datetime.timedelta(days=1) if day < today else None,
            "summary": selectors.store_day_summary(store=store, day=day),
            "redemptions": selectors.redemption_list_on(store=store, day=day),
        },
    )


def _refused(request, refused: ShopError) -> None:
    messages.error(request, refused.message, extra_tags=f"refusal {refused.code}")


@require_POST
@login_required
def counter_preview(request: HttpRequest, store_id: int) -> HttpResponse:
    store = selectors.store_get_for_counter(user=request.user, pk=store_id)
    form = CodeForm(request.POST)
    if not form.is_valid():
        return redirect("shops:counter", store_id=store.pk)
    return _basket(request, store, form.cleaned_data["code"], {})


def _basket(request, store, code: str, chosen: dict[int, int]) -> HttpResponse:
    try:
        preview = redemption_preview(store=store, actor=request.user, code=code)
    except ShopError as refused:
        _refused(request, refused)
        return redirect("shops:counter", store_id=store.pk)
    return render(
        request,
        "shops/preview.html",
        {
            "store": store,
            "preview": preview,
            "code": code,
            # What the household can take first; the rest below, switched off, with the reason.
            "offers": sorted(
                (_basket_row(offer, preview.balance, chosen) for offer in preview.offers),
                key=lambda row: bool(row["why_not"]),
            ),
        },
    )


def _basket_row(offer, balance: int, chosen: dict[int, int]) -> dict:
    """One line of the basket: how many the household may take at most now, and if none, why
    (the service refuses the same cases at confirmation)."""
    price = offer.item.points_price
    affordable = balance // price if price else 0
    if offer.item.stock_on_hand <= 0:
        why_not = _("Out of stock")
    elif offer.remaining == 0:
        why_not = _("Monthly limit reached")
    elif affordable <= 0:
        why_not = _("Not enough points")
    else:
        why_not = ""
    return {
        "offer": offer,
        "item": offer.item,
        "chosen": chosen.get(offer.item.pk, 0),
        "most": 0 if why_not else min(offer.can_take, affordable),
        "why_not": why_not,
    }


def _parse_quantities(post) -> dict[int, int]:
    basket = {}
    for name, value in post.items():
        if name.startswith("qty_") and value.strip():
            try:
                basket[int(name[4:])] = int(value)
            except ValueError:
                continue
    return basket


@require_POST
@login_required
def counter_confirm(request: HttpRequest, store_id: int) -> HttpResponse:
    store = selectors.store_get_for_counter(user=request.user, pk=store_id)
    code = request.POST.get("code", "")
    basket = _parse_quantities(request.POST)
    try:
        receipt = redemption_confirm(
            store=store,
            actor=request.user,
            code=code,
            basket=basket,
            idempotency_key=request.POST.get("key", ""),
        )
    except ShopError as refused:
        _refused(request, refused)
        if refused.code in {
            "insufficient_points",
            "out_of_stock",
            "limit_reached",
            "empty_basket",
            "bad_quantity",
            "unknown_item",
            "price_changed",
        }:
            return _basket(request, store, code, basket)
        return redirect("shops:counter", store_id=store.pk)
    return redirect("shops:receipt", receipt_number=receipt.redemption.receipt_number)


# --- Receipts and voids -------------------------------------------------------------------------


@login_required
def receipt(request: HttpRequest, receipt_number: str) -> HttpResponse:
    redemption = selectors.redemption_get(user=request.user, receipt_number=receipt_number)
    can_void = redemption_can_void(redemption=redemption, actor=request.user) is None
    keeps_store = selectors.store_list_for_shopkeeper(user=request.user).filter(
        pk=redemption.store_id
    )
    return render(
        request,
        "shops/receipt.html",
        {
            "redemption": redemption,
            "can_void": can_void,
            "balance_after": selectors.redemption_balance_after(redemption=redemption),
            "at_counter": keeps_store.exists(),
        },
    )


@login_required
def receipt_void(request: HttpRequest, receipt_number: str) -> HttpResponse:
    redemption = selectors.redemption_get(user=request.user, receipt_number=receipt_number)
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            redemption_void(
                redemption=redemption, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ShopError as refused:
            _refused(request, refused)
        else:
            messages.success(request, _voided_message())
        return redirect("shops:receipt", receipt_number=redemption.receipt_number)
    problem = redemption_can_void(redemption=redemption, actor=request.user)
    return render(
        request,
        "shops/void.html",
        {"redemption": redemption, "form": form, "problem": problem},
    )


def _voided_message() -> str:
    return _("Voided: the points were given back and the goods returned to stock.")


# --- Stock at the counter -----------------------------------------------------------------------


@login_required
def counter_stock(request: HttpRequest, store_id: int) -> HttpResponse:
    store = selectors.store_get_for_counter(user=request.user, pk=store_id)
    form = StockMoveForm(request.POST or None, store=store)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            stock_move(
                item=data["item"],
                quantity=data["quantity"],
                kind=data["kind"],
                actor=request.user,
                reason=data["reason"],
            )
        except ShopError as refused:
            _refused(request, refused)
        else:
            return redirect("shops:counter_stock", store_id=store.pk)
    return render(
        request,
        "shops/stock.html",
        {
            "store": store,
            "form": form,
            "items": selectors.store_items_list(store=store),
            "moves": selectors.store_moves_list(store=store),
        },
    )
