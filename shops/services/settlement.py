"""Monthly settlement (结算) of a store with the town: what was redeemed and voided, in items,
points and cost in yuan; exports as .xlsx and PDF; settling a month closes it to voids."""

import calendar
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import DecimalField, ExpressionWrapper, F, IntegerField, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import ExportRecord, User
from registry.permissions import Action, Kind, may
from shops.exceptions import ShopError
from shops.models import RedemptionLine, Store, StoreMonth


@dataclass
class StatementRow:
    name: str
    unit: str
    redeemed_quantity: int = 0
    redeemed_points: int = 0
    redeemed_cost: Decimal = Decimal("0.00")
    voided_quantity: int = 0
    voided_points: int = 0
    voided_cost: Decimal = Decimal("0.00")

    @property
    def net_quantity(self) -> int:
        return self.redeemed_quantity - self.voided_quantity

    @property
    def net_points(self) -> int:
        return self.redeemed_points - self.voided_points

    @property
    def net_cost(self) -> Decimal:
        return self.redeemed_cost - self.voided_cost


@dataclass
class Statement:
    store: Store
    month: datetime.date
    rows: list[StatementRow] = field(default_factory=list)
    redemption_count: int = 0
    settled: StoreMonth | None = None

    @property
    def totals(self) -> StatementRow:
        total = StatementRow(name=_("Total"), unit="")
        for row in self.rows:
            for name in (
                "redeemed_quantity",
                "redeemed_points",
                "redeemed_cost",
                "voided_quantity",
                "voided_points",
                "voided_cost",
            ):
                setattr(total, name, getattr(total, name) + getattr(row, name))
        return total


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    first = month.replace(day=1)
    last_day = calendar.monthrange(first.year, first.month)[1]
    after = first + datetime.timedelta(days=last_day)
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(first, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(after, datetime.time.min, tzinfo=tz),
    )


def settlement_statement(*, store: Store, month: datetime.date) -> Statement:
    """Redeemed and voided items of ``store`` in the month of ``month`` (one grouped query; a
    voided line counts as redeemed and as voided)."""
    month = month.replace(day=1)
    start, end = month_bounds(month)
    lines = RedemptionLine.objects.filter(
        redemption__store=store, redemption__created_at__gte=start, redemption__created_at__lt=end
    )
    points = ExpressionWrapper(F("quantity") * F("points_price"), output_field=IntegerField())
    cost = ExpressionWrapper(
        F("quantity") * F("cost_yuan"), output_field=DecimalField(max_digits=12, decimal_places=2)
    )

    voided = Q(redemption__voided_at__isnull=False)
    rows = [
        StatementRow(
            name=found["name"],
            unit=found["unit"],
            redeemed_quantity=found["quantity_"],
            redeemed_points=found["points_"],
            redeemed_cost=found["cost_"] or Decimal("0.00"),
            voided_quantity=found["voided_quantity"] or 0,
            voided_points=found["voided_points"] or 0,
            voided_cost=found["voided_cost"] or Decimal("0.00"),
        )
        for found in lines.values("item_id", "name", "unit").annotate(
            quantity_=Sum("quantity"),
            points_=Sum(points),
            cost_=Sum(cost),
            voided_quantity=Sum("quantity", filter=voided),
            voided_points=Sum(points, filter=voided),
            voided_cost=Sum(cost, filter=voided),
        )
    ]
    return Statement(
        store=store,
        month=month,
        rows=sorted(rows, key=lambda row: row.name),
        redemption_count=store.redemptions.filter(
            created_at__gte=start, created_at__lt=end
        ).count(),
        settled=StoreMonth.objects.filter(store=store, month=month).first(),
    )


def store_month_settle(
    *, store: Store, month: datetime.date, actor: User, now: datetime.datetime | None = None
) -> StoreMonth:
    """Mark a finished month settled (once); its redemptions can no longer be voided."""
    now = now or timezone.now()
    month = month.replace(day=1)
    if not may(actor, Kind.SETTLEMENT, Action.APPROVE, store.area):
        raise ShopError("not_allowed", _("Only a town administrator can settle a store's month."))
    if month_bounds(month)[1] > now:
        raise ShopError("month_not_over", _("A month can be settled only after it has ended."))
    totals = settlement_statement(store=store, month=month).totals
    try:
        with transaction.atomic():
            return StoreMonth.objects.create(
                store=store,
                month=month,
                settled_by=actor,
                points=totals.net_points,
                cost_yuan=totals.net_cost,
            )
    except IntegrityError:
        raise ShopError("already_settled", _("This month is already settled.")) from None


# --- Exports ------------------------------------------------------------------------------------


def _headers() -> list[str]:
    return [
        _("Item"),
        _("Unit"),
        _("Redeemed"),
        _("Points redeemed"),
        _("Cost redeemed (yuan)"),
        _("Voided"),
        _("Points voided"),
        _("Cost voided (yuan)"),
        _("Net quantity"),
        _("Net points"),
        _("Net cost (yuan)"),
    ]


def _cells(row: StatementRow) -> list:
    return [
        row.name,
        row.unit,
        row.redeemed_quantity,
        row.redeemed_points,
        row.redeemed_cost,
        row.voided_quantity,
        row.voided_points,
        row.voided_cost,
        row.net_quantity,
        row.net_points,
        row.net_cost,
    ]


def _title(statement: Statement) -> str:
    return _("%(store)s settlement for %(month)s") % {
        "store": statement.store.name,
        "month": statement.month.strftime("%Y-%m"),
    }


def _record(*, actor: User, statement: Statement, kind: str) -> None:
    ExportRecord.objects.create(
        user=actor, kind=kind, area=statement.store.area, row_count=len(statement.rows)
    )


def settlement_xlsx(*, statement: Statement, actor: User) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = statement.month.strftime("%Y-%m")
    sheet.append([_title(statement)])
    sheet["A1"].font = Font(bold=True, size=14)
    status = _("Settled") if statement.settled else _("Not settled")
    sheet.append([status, _("Redemptions: %(count)s") % {"count": statement.redemption_count}])
    sheet.append(_headers())
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in statement.rows:
        sheet.append(_cells(row))
    sheet.append(_cells(statement.totals))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column in ("E", "H", "K"):
        for cell in sheet[column][3:]:
            cell.number_format = "0.00"
    sheet.column_dimensions["A"].width = 18
    buffer = io.BytesIO()
    book.save(buffer)
    _record(actor=actor, statement=statement, kind="shop_settlement_xlsx")
    return buffer.getvalue()


def settlement_pdf(*, statement: Statement, actor: User) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from shops.services.cards import _font

    font = _font()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        title=_title(statement),
    )
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=22)
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=14)
    status = _("Settled") if statement.settled else _("Not settled")
    data = [_headers()] + [
        [str(value) for value in _cells(row)] for row in [*statement.rows, statement.totals]
    ]
    table = Table(data, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 9),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1e3e5")),
                ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f5f5f5")),
                ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    document.build(
        [
            Paragraph(_title(statement), title),
            Paragraph(
                f"{status} · "
                + _("Redemptions: %(count)s") % {"count": statement.redemption_count},
                body,
            ),
            Spacer(1, 4 * mm),
            table,
        ]
    )
    _record(actor=actor, statement=statement, kind="shop_settlement_pdf")
    return buffer.getvalue()
