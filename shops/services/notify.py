"""Text messages the shop sends after commit (loaded by id inside Celery tasks)."""

from django.utils.translation import gettext as _

from meijia.tasks import send_sms
from shops.models import CatalogueItem, Redemption
from shops.services.stores import store_alert_recipients


def low_stock_notify(*, item_id: int) -> int:
    item = CatalogueItem.objects.select_related("store__area").get(pk=item_id)
    text = _("%(store)s: %(item)s is running low, %(left)s %(unit)s left. Please restock.") % {
        "store": item.store.name,
        "item": item.name,
        "left": item.stock_on_hand,
        "unit": item.unit,
    }
    phones = store_alert_recipients(store=item.store)
    for phone in phones:
        send_sms.delay(phone, text)
    return len(phones)


def redemption_notify(*, redemption_id: int) -> int:
    redemption = Redemption.objects.select_related("store", "household", "ledger_transaction").get(
        pk=redemption_id
    )
    phones = sorted(
        {
            member.phone
            for member in redemption.household.members.all()
            if member.phone and member.relation == "head"
        }
    )
    if redemption.is_voided:
        text = _("%(store)s voided receipt %(receipt)s: %(points)s points were given back.")
    else:
        text = _("%(store)s: %(points)s points spent, receipt %(receipt)s.")
    text = text % {
        "store": redemption.store.name,
        "receipt": redemption.receipt_number,
        "points": redemption.points,
    }
    for phone in phones:
        send_sms.delay(phone, text)
    return len(phones)
