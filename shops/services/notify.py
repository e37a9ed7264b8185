"""Text messages the shop sends after commit (loaded by id inside Celery tasks)."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
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


def redemption_notices_send(*, limit: int = 200) -> int:
    """Text the households of redemptions and voids not texted yet; returns the messages queued.

    The redemption rows are the outbox: a confirmation or void only leaves its row marked "not
    texted" in its own transaction (no broker call in the counter's request). Rows are claimed
    with ``SKIP LOCKED``, so two workers never text the same one, and marked in the transaction
    that queues their messages (on commit). Runs every few seconds from Celery beat.
    """
    now = timezone.now()
    messages: list[tuple[str, str]] = []
    with transaction.atomic():
        due = list(
            Redemption.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                Q(notified_at__isnull=True)
                | Q(voided_at__isnull=False, void_notified_at__isnull=True)
            )
            .select_related("store", "household")
            .prefetch_related("household__members")
            .order_by("id")[:limit]
        )
        for redemption in due:
            phones = sorted(
                {
                    member.phone
                    for member in redemption.household.members.all()
                    if member.phone and member.relation == "head"
                }
            )
            values = {
                "store": redemption.store.name,
                "receipt": redemption.receipt_number,
                "points": redemption.points,
            }
            texts = []
            if redemption.notified_at is None:
                texts.append(_("%(store)s: %(points)s points spent, receipt %(receipt)s.") % values)
            if redemption.is_voided and redemption.void_notified_at is None:
                texts.append(
                    _("%(store)s voided receipt %(receipt)s: %(points)s points were given back.")
                    % values
                )
            messages += [(phone, text) for text in texts for phone in phones]
        ids = [redemption.pk for redemption in due]
        Redemption.objects.filter(pk__in=ids, notified_at__isnull=True).update(notified_at=now)
        Redemption.objects.filter(
            pk__in=ids, voided_at__isnull=False, void_notified_at__isnull=True
        ).update(void_notified_at=now)
        transaction.on_commit(lambda: [send_sms.delay(phone, text) for phone, text in messages])
    return len(messages)
