"""The monthly statement of a contractor's team (.xlsx): the orders it finished in a month, the
volumes emptied and whether each was in time and how the household rated it, for the town to
pay it. Every statement is recorded (it names households)."""

from __future__ import annotations

import calendar
import datetime
import io
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from registry.models import ExportRecord, User
from registry.permissions import Action, Kind, may
from supervision.models import Team
from upkeep.exceptions import UpkeepError
from upkeep.models import ServiceOrder

EXPORT_KIND = "contractor_statement"
HEADER = (
    "工单号",
    "村",
    "户号",
    "服务",
    "申请时间",
    "完成时间",
    "是否按时",
    "抽渣量（立方米）",
    "农户评价",
)


def contractor_statement(*, user: User, team: Team, month: datetime.date) -> bytes:
    """Orders of ``team`` reported done in ``month`` (local time), one row each, then totals.

    Raises UpkeepError when ``user`` may not read the team's statements.
    """
    if not may(user, Kind.CONTRACTOR_TEAM, Action.READ, team.area):
        raise UpkeepError("not_in_scope", _("You cannot see this team's statement."))
    tz = timezone.get_current_timezone()
    first = month.replace(day=1)
    last_day = calendar.monthrange(first.year, first.month)[1]
    since = datetime.datetime.combine(first, datetime.time.min, tzinfo=tz)
    until = since + datetime.timedelta(days=last_day)
    rows = (
        ServiceOrder.objects.filter(
            order__assignee_team=team, order__done_at__gte=since, order__done_at__lt=until
        )
        .select_related("order", "toilet__village", "toilet__household")
        .order_by("order__done_at")
    )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Statement"))
    title = WriteOnlyCell(sheet, value=f"{team.name} {first:%Y-%m} 服务结算单")
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    sheet.append(list(HEADER))
    count, volume, in_time = 0, Decimal(0), 0
    for service in rows:
        order = service.order
        on_time = order.done_at <= order.deadline_at
        count += 1
        in_time += on_time
        volume += service.volume or 0
        sheet.append(
            [
                order.pk,
                service.toilet.village.name,
                service.toilet.household.number
                if service.toilet.household_id
                else service.toilet.name,
                service.get_kind_display(),
                timezone.localtime(order.created_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(order.done_at).strftime("%Y-%m-%d %H:%M"),
                "是" if on_time else "否",
                float(service.volume) if service.volume is not None else None,
                service.get_rating_display() if service.rating else "",
            ]
        )
    sheet.append([])
    sheet.append(["合计", f"{count} 单", "", "", "", "", f"按时 {in_time} 单", float(volume), ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    ExportRecord.objects.create(user=user, kind=EXPORT_KIND, area=team.area, row_count=count)
    return buffer.getvalue()
