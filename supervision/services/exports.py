"""The work order list as .xlsx: only the rows the user may read (the caller's scoped queryset),
never a household or a person's phone, and every export recorded (``registry.ExportRecord``)."""

from __future__ import annotations

import io

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from registry.models import Area, ExportRecord, User
from registry.permissions import Action, Kind, may
from registry.scoping import areas_visible_to, visible_to
from supervision.models import WorkOrder

MAX_ROWS = 100_000


def work_orders_export(
    *, user: User, orders: QuerySet[WorkOrder], area: Area | None = None
) -> bytes:
    """``orders`` (narrowed again to what ``user`` may read) as a workbook; records the export
    against ``area`` or the widest area the user reads orders in."""
    orders = visible_to(user, orders, kind=Kind.WORK_ORDER, action=Action.READ)
    if area is None:
        area = areas_visible_to(user, kind=Kind.WORK_ORDER).order_by("depth", "path").first()
    if area is None:
        raise PermissionError("no area")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("work orders"))
    sheet.append(
        [
            _("No."),
            _("category"),
            _("problem"),
            _("area"),
            _("status"),
            _("filed at"),
            _("deadline"),
            _("done at"),
            _("overdue"),
            _("times reopened"),
        ]
    )
    now = timezone.now()
    count = 0
    rows = orders.select_related("category", "area").order_by("pk")[:MAX_ROWS]
    for order in rows.iterator(chunk_size=2000):
        sheet.append(
            [
                order.pk,
                order.category.name,
                order.title,
                order.area.name,
                order.get_status_display(),
                timezone.localtime(order.created_at).replace(tzinfo=None),
                timezone.localtime(order.deadline_at).replace(tzinfo=None),
                timezone.localtime(order.done_at).replace(tzinfo=None) if order.done_at else None,
                _("yes") if (order.is_overdue or order.is_late(now)) else "",
                order.times_reopened,
            ]
        )
        count += 1
    ExportRecord.objects.create(user=user, kind="work_orders", area=area, row_count=count)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def tally_totals_export(*, user: User, campaign, area: Area) -> bytes:
    """A campaign's approved totals in ``area`` against the targets (by area below it, and by
    week) as a workbook. The caller has checked that ``user`` reads tallies in ``area``; the
    export is recorded against it."""
    from supervision.selectors.tallies import tally_totals

    if not may(user, Kind.TALLY, Action.READ, area):
        raise PermissionError("area not visible")
    table = tally_totals(campaign=campaign, area=area)
    workbook = Workbook(write_only=True)
    head = [_("area")]
    for measure in table.measures:
        head += [f"{measure.name}（{measure.unit}）", _("target"), _("percent")]
    sheet = workbook.create_sheet(_("by area"))
    sheet.append(head)
    count = 0
    for row in [*table.rows, table.total]:
        line: list[object] = [row.label]
        for cell in row.cells:
            line += [cell.total, cell.target, cell.percent]
        sheet.append(line)
        count += 1
    weeks = workbook.create_sheet(_("by week"))
    weeks.append([_("week of"), *[f"{m.name}（{m.unit}）" for m in table.measures]])
    for row in table.weeks:
        weeks.append([row.label, *[cell.total for cell in row.cells]])
        count += 1
    ExportRecord.objects.create(user=user, kind="tally_totals", area=area, row_count=count)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
