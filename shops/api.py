"""JSON endpoints for counter devices (a tablet or phone app at the 美家超市 counter).

``Authorization: Bearer mjc_…`` with a counter device token (``manage.py counter_device``): the
device acts as its shopkeeper at its store, so every rule of the counter page applies. Preview
spends nothing and returns the idempotency key that the confirmation must carry; a retried
confirmation returns the first receipt. Refusals answer 409 with ``{"code", "message"}``.
"""

import datetime

from ninja import Router, Schema

try:
    from ninja import Status
except ImportError:  # django-ninja before Status: a (code, body) tuple

    def Status(status_code, value):  # noqa: N802
        return status_code, value


from ninja.security import HttpBearer

from points.models import Account
from shops.exceptions import ShopError
from shops.services.devices import counter_device_authenticate
from shops.services.redemptions import redemption_confirm, redemption_preview


class CounterDeviceAuth(HttpBearer):
    def authenticate(self, request, token):
        device = counter_device_authenticate(token=token)
        if device is not None:
            request.user = device.user
        return device


router = Router(auth=CounterDeviceAuth(), tags=["counter"])


class PreviewIn(Schema):
    code: str


class OfferOut(Schema):
    item_id: int
    name: str
    unit: str
    points_price: int
    stock: int
    remaining_this_month: int | None
    can_take: int


class PreviewOut(Schema):
    household: str
    village: str
    balance: int
    code_kind: str
    idempotency_key: str
    items: list[OfferOut]


class LineIn(Schema):
    item_id: int
    quantity: int


class ConfirmIn(Schema):
    code: str
    idempotency_key: str
    basket: list[LineIn]


class LineOut(Schema):
    name: str
    unit: str
    quantity: int
    points: int


class ReceiptOut(Schema):
    receipt_number: str
    store: str
    household: str
    points: int
    balance_after: int
    redeemed_at: datetime.datetime
    is_voided: bool
    lines: list[LineOut]


class RefusalOut(Schema):
    code: str
    message: str


@router.post(
    "/preview",
    response={200: PreviewOut, 409: RefusalOut},
    summary="Preview a household code (spends nothing)",
)
def counter_preview(request, payload: PreviewIn):
    device = request.auth
    try:
        preview = redemption_preview(store=device.store, actor=device.user, code=payload.code)
    except ShopError as refused:
        return Status(409, RefusalOut(code=refused.code, message=refused.message))
    return Status(
        200,
        PreviewOut(
            household=preview.masked_name,
            village=preview.village_name,
            balance=preview.balance,
            code_kind=preview.code_kind,
            idempotency_key=preview.idempotency_key,
            items=[
                OfferOut(
                    item_id=offer.item.pk,
                    name=offer.item.name,
                    unit=offer.item.unit,
                    points_price=offer.item.points_price,
                    stock=offer.item.stock_on_hand,
                    remaining_this_month=offer.remaining,
                    can_take=offer.can_take,
                )
                for offer in preview.offers
            ],
        ),
    )


@router.post(
    "/confirm",
    response={200: ReceiptOut, 409: RefusalOut},
    summary="Confirm a redemption (idempotent by the preview's key)",
)
def counter_confirm(request, payload: ConfirmIn):
    device = request.auth
    basket: dict[int, int] = {}
    for line in payload.basket:
        basket[line.item_id] = basket.get(line.item_id, 0) + line.quantity
    try:
        redemption = redemption_confirm(
            store=device.store,
            actor=device.user,
            code=payload.code,
            basket=basket,
            idempotency_key=payload.idempotency_key,
        )
    except ShopError as refused:
        return Status(409, RefusalOut(code=refused.code, message=refused.message))
    # A first confirmation carries the balance it left; a retry's receipt reads it.
    balance = getattr(redemption, "balance_after", None)
    if balance is None:
        balance = (
            Account.objects.filter(household_id=redemption.household_id)
            .values_list("balance", flat=True)
            .first()
        )
    return Status(
        200,
        ReceiptOut(
            receipt_number=redemption.receipt_number,
            store=device.store.name,
            household=redemption.household.masked_name,
            points=redemption.points,
            balance_after=balance or 0,
            redeemed_at=redemption.created_at,
            is_voided=redemption.is_voided,
            lines=[
                LineOut(name=line.name, unit=line.unit, quantity=line.quantity, points=line.points)
                for line in redemption.lines.all()
            ],
        ),
    )
