"""The shop's messages, written into the outbox in the transaction of their event.

A receipt or a void is written with the redemption (``outbox.services.message_send``): a broker
that is down at the counter loses no message and turns no committed redemption into an error;
the outbox sends it (on commit in development, from Celery beat within seconds in production).
"""

from outbox.services import HouseholdMessageCall, household_message_call, message_send
from registry.models import Household
from shops.models import CatalogueItem, Redemption, Store
from shops.services.stores import store_alert_recipients


def redemption_notice_write(*, redemption: Redemption, is_void: bool = False) -> int:
    """Tell the household's head (inbox and SMS) of a redemption or its void."""
    return message_send(
        template="shops.redemption_void" if is_void else "shops.redemption",
        data={
            "store": redemption.store.name,
            "receipt": redemption.receipt_number,
            "points": redemption.points,
        },
        households=[redemption.household],
        heads_only=True,
    )


def redemption_notice_call(
    *, store: Store, household: Household, receipt_number: str, points_sql: str
) -> HouseholdMessageCall | None:
    """The receipt's text (as redemption_notice_write writes it) as SQL for the confirmation's
    own statement, its points taken from ``points_sql``; None when it must be written with
    redemption_notice_write instead."""
    return household_message_call(
        template="shops.redemption",
        data={"store": store.name, "receipt": receipt_number},
        sql_data={"points": points_sql},
        household_id=household.pk,
        heads_only=True,
    )


def low_stock_alert_write(*, item: CatalogueItem) -> int:
    """Tell the store's shopkeepers and the town administrators that an item is running out."""
    store = item.store
    return message_send(
        template="shops.low_stock",
        data={
            "store": store.name,
            "item": item.name,
            "left": item.stock_on_hand,
            "unit": item.unit,
        },
        users=store_alert_recipients(store=store),
    )
