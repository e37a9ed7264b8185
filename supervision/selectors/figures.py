"""Set-based reads of the work orders for the assessment platform: one grouped query per
question, every village at once (``{village id: {name: number}}``). Orders filed on a village group or a household count for its village."""

import datetime

from django.db.models import Count, F, Q
from django.utils import timezone

from registry.models import Area
from supervision.models import WorkOrder

FINISHED = [WorkOrder.Status.DONE, WorkOrder.Status.CHECKED, WorkOrder.Status.CLOSED]


def _village_of(rows: dict[str, dict]) -> dict[int, dict]:
    """Fold per-area-path rows into their villages (a path's first three steps)."""
    village_length = 3 * Area.steplen
    paths = {path[:village_length] for path in rows}
    ids = dict(
        Area.objects.filter(path__in=paths, level=Area.Level.VILLAGE).values_list("path", "id")
    )
    result: dict[int, dict] = {}
    for path, row in rows.items():
        village_id = ids.get(path[:village_length])
        if village_id is None:
            continue  # an order on a town or the district belongs to no village
        total = result.setdefault(village_id, dict.fromkeys(row, 0))
        for name, value in row.items():
            total[name] += value
    return result


def rectification_by_village(*, start: datetime.date, end: datetime.date) -> dict[int, dict]:
    """Per village, of the orders whose deadline fell in the period: ``due`` and ``on_time``
    (reported done by the deadline and not reopened since)."""
    tz = timezone.get_current_timezone()
    low = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    high = datetime.datetime.combine(end, datetime.time.min, tzinfo=tz)
    rows = (
        WorkOrder.objects.filter(deadline_at__gte=low, deadline_at__lt=high)
        .values("area__path")
        .annotate(
            due=Count("id"),
            on_time=Count(
                "id",
                filter=Q(status__in=FINISHED, done_at__lte=F("deadline_at")),
            ),
        )
        .order_by()
    )
    return _village_of({row.pop("area__path"): row for row in rows})
