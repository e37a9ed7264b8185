"""JSON endpoints for counter devices (a tablet or phone app at the 美家超市 counter).

``Authorization: Bearer mjc_…`` with a counter device token (``manage.py counter_device``): the
device acts as its shopkeeper at its store, so every rule of the counter page applies. Preview
spends nothing and returns the idempotency key that the confirmation must carry (the schema links
the two); a retried confirmation, the same request under the same key, returns the first receipt;
any other request under a used key is refused (``key_reused``). Every refusal is
``{"code", "message"}``: 409 for the counter's own reasons, and the API's shared answers (400,
401, 405, 422, declared here and written by ``meijia.api``).
"""

import datetime
from typing import Annotated

from ninja import Field, Router, Schema, Status
from ninja.security import HttpBearer
from pydantic import ConfigDict, WithJsonSchema

from points.services.keys import KEY_PATTERN
from shops.exceptions import ShopError
from shops.services.devices import counter_device_authenticate
from shops.services.redemptions import (
    MAX_LINES,
    MAX_QUANTITY,
    redemption_confirm,
    redemption_preview,
)


class CounterDeviceToken(HttpBearer):
    """A counter device's token (``manage.py counter_device``); the device acts as its
    shopkeeper at its store."""

    openapi_bearerFormat = "mjc_…"  # noqa: N815 - OpenAPI's spelling
    openapi_description = (
        "A counter device token (mjc_…, printed once by manage.py counter_device). "
        "Only the counter operations take it."
    )

    def authenticate(self, request, token):
        device = counter_device_authenticate(token=token)
        if device is not None:
            request.user = device.user
        return device


router = Router(auth=CounterDeviceToken(), tags=["counter"])


class Refusal(Schema):
    """Every refusal of the API, whatever its status: a code for machines, a message for
    people (Simplified Chinese)."""

    code: str = Field(examples=["used"])
    message: str = Field(examples=["这个码已经用过了，请让村民刷新。"])


# The statuses every operation may answer besides its own (written by meijia.api's handlers and,
# for 400, by the bad-input gate, meijia.hardening, which refuses control characters anywhere in a
# request before any view).
COMMON_REFUSALS = {400: Refusal, 401: Refusal, 405: Refusal, 422: Refusal}
BODY_REFUSALS = COMMON_REFUSALS
# Text a person or a scanner sends: no control characters (the bad-input gate refuses them).
PRINTABLE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def _whole_number(minimum: int, maximum: int, example: int):
    """An integer, strictly: "62" and true are refused by validation (422). JSON Schema cannot
    tell 62.0 from 62, so such a number passes the schema and the counter refuses it
    (409 bad_basket): a basket holds integers only, nothing that merely converts to one."""
    bounds = Field(strict=True, ge=minimum, le=maximum)
    return Annotated[
        Annotated[int, bounds] | Annotated[float, bounds],
        WithJsonSchema(
            {"type": "integer", "minimum": minimum, "maximum": maximum, "examples": [example]}
        ),
    ]


ItemId = _whole_number(1, 2**63 - 1, 1)
Quantity = _whole_number(1, MAX_QUANTITY, 2)


class PreviewIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        max_length=200,
        pattern=PRINTABLE,
        description="The scanned QR text (MJP… phone code or MJC… card) or the 8 typed digits.",
        examples=["MJCAAAAAAEAAB7JX2ZTPBZWJ4K4"],
    )


class OfferOut(Schema):
    item_id: int
    name: str
    unit: str
    points_price: int
    stock: int
    remaining_this_month: int | None
    can_take: int


class PreviewOut(Schema):
    household: str = Field(examples=["张*明家"])
    village: str = Field(examples=["杏花村"])
    balance: int = Field(examples=[120])
    code_kind: str = Field(examples=["phone"])
    idempotency_key: str = Field(
        description="Send it with the confirmation of this preview, and only with it.",
        examples=["0f8fad5bd9cb469fa16570867728950e"],
    )
    items: list[OfferOut]


class LineIn(Schema):
    model_config = ConfigDict(extra="forbid")

    item_id: ItemId
    quantity: Quantity


class ConfirmIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        max_length=200,
        pattern=PRINTABLE,
        description="The same code as the preview's.",
        examples=["MJCAAAAAAEAAB7JX2ZTPBZWJ4K4"],
    )
    idempotency_key: str = Field(
        pattern=f"^{KEY_PATTERN.pattern}$",
        description=(
            "The preview's key. A retry of this request returns its first receipt; another "
            "request under a used key is refused (key_reused)."
        ),
        examples=["0f8fad5bd9cb469fa16570867728950e"],
    )
    basket: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)


class LineOut(Schema):
    name: str
    unit: str
    quantity: int
    points: int


class ReceiptOut(Schema):
    receipt_number: str = Field(examples=["261203-K7QX2M"])
    store: str
    household: str
    points: int
    balance_after: int = Field(
        description="The household's balance right after this redemption (its own posting)."
    )
    redeemed_at: datetime.datetime
    is_voided: bool
    lines: list[LineOut]


_CONFIRM_LINK = {
    "confirm": {
        "operationId": "counter_confirm",
        "description": "Confirm what the preview showed: its code, its key and an item on offer.",
        "requestBody": {
            "code": "$request.body#/code",
            "idempotency_key": "$response.body#/idempotency_key",
            "basket": [{"item_id": "$response.body#/items/0/item_id", "quantity": 1}],
        },
    }
}


@router.post(
    "/preview",
    response={200: PreviewOut, 409: Refusal, **BODY_REFUSALS},
    operation_id="counter_preview",
    summary="Preview a household code (spends nothing)",
    openapi_extra={"responses": {200: {"links": _CONFIRM_LINK}}},
)
def counter_preview(request, payload: PreviewIn):
    device = request.auth
    try:
        preview = redemption_preview(store=device.store, actor=device.user, code=payload.code)
    except ShopError as refused:
        return Status(409, Refusal(code=refused.code, message=refused.message))
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
    response={200: ReceiptOut, 409: Refusal, **BODY_REFUSALS},
    operation_id="counter_confirm",
    summary="Confirm a redemption (idempotent by the preview's key)",
)
def counter_confirm(request, payload: ConfirmIn):
    device = request.auth
    basket: dict = {}
    for line in payload.basket:
        if type(line.item_id) is not int or type(line.quantity) is not int:
            basket = {line.item_id: line.quantity}  # 62.0: the service refuses it (bad_basket)
            break
        basket[line.item_id] = basket.get(line.item_id, 0) + line.quantity
    try:
        receipt = redemption_confirm(
            store=device.store,
            actor=device.user,
            code=payload.code,
            basket=basket,
            idempotency_key=payload.idempotency_key,
        )
    except ShopError as refused:
        return Status(409, Refusal(code=refused.code, message=refused.message))
    redemption = receipt.redemption
    return Status(
        200,
        ReceiptOut(
            receipt_number=redemption.receipt_number,
            store=device.store.name,
            household=redemption.household.masked_name,
            points=redemption.points,
            balance_after=receipt.balance_after,
            redeemed_at=redemption.created_at,
            is_voided=redemption.is_voided,
            lines=[
                LineOut(name=line.name, unit=line.unit, quantity=line.quantity, points=line.points)
                for line in receipt.lines
            ],
        ),
    )
