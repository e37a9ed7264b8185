"""Exports of the dashboards: the .xlsx of what a dashboard shows and the monthly PDF report of a
town or the district (figures, rankings, red and black lists, a trend chart). Each export is
scoped by the caller (the view asks ``may`` first) and recorded as an ``ExportRecord``."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.selectors import Dashboard, PublishedList
from registry.models import ExportRecord, User

FONT = "STSong-Light"  # a CID font every PDF reader has: Chinese without shipping a font file


def _record(*, actor: User, dashboard: Dashboard, kind: str) -> None:
    ExportRecord.objects.create(
        user=actor, kind=kind, area=dashboard.area, row_count=len(dashboard.rows) + 1
    )


def _value(cell) -> str:
    if cell.value is None:
        return "—"
    return f"{cell.value}{cell.indicator.unit}"


def _title(dashboard: Dashboard) -> str:
    return _("%(area)s assessment, %(month)s") % {
        "area": dashboard.area.name,
        "month": dashboard.month.strftime("%Y-%m"),
    }


def dashboard_xlsx(*, dashboard: Dashboard, actor: User) -> bytes:
    """The dashboard's tables as a workbook: figures of the area and of each area below it,
    their scores and ranks, and the 12-month trends."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    fills = {
        "green": PatternFill("solid", fgColor="C8E6C9"),
        "amber": PatternFill("solid", fgColor="FFE0B2"),
        "red": PatternFill("solid", fgColor="FFCDD2"),
    }
    book = Workbook()
    sheet = book.active
    sheet.title = dashboard.month.strftime("%Y-%m")
    sheet.append([_title(dashboard)])
    sheet["A1"].font = Font(bold=True, size=14)
    headers = [
        _("Area"),
        _("Score"),
        _("Rank"),
        _("Change"),
        *[f"{i.name} ({i.unit})" for i in dashboard.indicators],
    ]
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    targets = [_("Target"), "", "", ""] + [
        "" if i.target is None else float(i.target) for i in dashboard.indicators
    ]
    sheet.append(targets)
    rows = [(dashboard.area, dashboard.cells, dashboard.score)] + [
        (row.area, row.cells, row.score) for row in dashboard.rows
    ]
    for area, cells, score in rows:
        sheet.append(
            [
                area.name,
                float(score.score) if score else None,
                score.rank if score else None,
                float(score.change) if score and score.change is not None else None,
                *[None if c.value is None else float(c.value) for c in cells],
            ]
        )
        for offset, cell in enumerate(cells):
            fill = fills.get(cell.colour)
            if fill is not None:
                sheet.cell(row=sheet.max_row, column=5 + offset).fill = fill
    sheet.column_dimensions["A"].width = 16
    trend = book.create_sheet(_("Trends"))
    trend.append([_("Indicator"), *dashboard.trend_months])
    for indicator in dashboard.indicators:
        if indicator.code in dashboard.trends:
            trend.append([indicator.name, *dashboard.trends[indicator.code]])
    trend.column_dimensions["A"].width = 18
    buffer = io.BytesIO()
    book.save(buffer)
    _record(actor=actor, dashboard=dashboard, kind="assessment_dashboard_xlsx")
    return buffer.getvalue()


def _trend_drawing(dashboard: Dashboard, font: str):
    """A line chart of the rate indicators over 12 months (reportlab.graphics)."""
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.charts.lineplots import LinePlot
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    palette = [colors.HexColor(c) for c in ("#c0392b", "#2471a3", "#229954", "#b7950b")]
    series = [
        (i.name, dashboard.trends[i.code])
        for i in dashboard.indicators
        if i.code in dashboard.trends and i.unit == "%"
    ][:4]
    drawing = Drawing(480, 190)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 40, 40, 300, 130
    data = []
    for _name, values in series:
        points = [(index, value) for index, value in enumerate(values) if value is not None]
        data.append(points or [(0, 0)])
    plot.data = data or [[(0, 0)]]
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = 0, 100
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = 0, len(dashboard.trend_months) - 1
    plot.xValueAxis.valueSteps = list(range(len(dashboard.trend_months)))
    plot.xValueAxis.labelTextFormat = lambda index: dashboard.trend_months[int(index)][2:]
    plot.xValueAxis.labels.fontSize = 6
    for index in range(len(data)):
        plot.lines[index].strokeColor = palette[index % len(palette)]
        plot.lines[index].strokeWidth = 1.5
    drawing.add(plot)
    legend = Legend()
    legend.x, legend.y = 350, 160
    legend.fontName, legend.fontSize = font, 8
    legend.colorNamePairs = [
        (palette[index % len(palette)], name) for index, (name, _v) in enumerate(series)
    ]
    drawing.add(legend)
    return drawing


def monthly_report_pdf(*, dashboard: Dashboard, lists: PublishedList | None, actor: User) -> bytes:
    """The monthly report of a town or the district: figures against targets, the ranking of
    the areas below, the red and black lists, and the trend chart."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    shades = {
        "green": colors.HexColor("#c8e6c9"),
        "amber": colors.HexColor("#ffe0b2"),
        "red": colors.HexColor("#ffcdd2"),
    }
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, title=_title(dashboard)
    )
    title = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=26)
    heading = ParagraphStyle("heading", fontName=FONT, fontSize=13, leading=20, spaceBefore=8)
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15)
    grid = [
        ("FONT", (0, 0), (-1, -1), FONT, 9),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1e3e5")),
    ]
    story = [Paragraph(_title(dashboard), title)]
    if dashboard.computed_at is not None:
        story.append(
            Paragraph(
                _("Figures computed at %(at)s.")
                % {"at": timezone.localtime(dashboard.computed_at).strftime("%Y-%m-%d %H:%M")},
                body,
            )
        )
    story.append(Paragraph(_("Figures against targets"), heading))
    figures = [[_("Indicator"), _("Figure"), _("Target")]]
    style = list(grid)
    for index, cell in enumerate(dashboard.cells, start=1):
        target = "—" if cell.indicator.target is None else f"{cell.indicator.target}"
        figures.append([cell.indicator.name, _value(cell), target])
        if cell.colour in shades:
            style.append(("BACKGROUND", (1, index), (1, index), shades[cell.colour]))
    table = Table(figures, colWidths=[70 * mm, 40 * mm, 40 * mm])
    table.setStyle(TableStyle(style))
    story.append(table)
    if dashboard.ranked_rows:
        story.append(Paragraph(_("Ranking"), heading))
        ranking = [[_("Rank"), _("Area"), _("Score"), _("Change")]]
        for row in dashboard.ranked_rows:
            change = row.score.change
            ranking.append(
                [
                    str(row.score.rank),
                    row.area.name,
                    str(row.score.score),
                    "—" if change is None else f"{change:+}",
                ]
            )
        table = Table(ranking, colWidths=[20 * mm, 60 * mm, 35 * mm, 35 * mm], repeatRows=1)
        table.setStyle(TableStyle(grid))
        story.append(table)
    if lists is not None:
        story.append(Paragraph(_("Red list"), heading))
        story.append(Paragraph("、".join(e.village.name for e in lists.red) or _("Nobody"), body))
        story.append(Paragraph(_("Black list"), heading))
        for entry in lists.black:
            story.append(Paragraph(f"{entry.village.name}：{entry.fault}", body))
        if not lists.black:
            story.append(Paragraph(_("Nobody"), body))
        if lists.left_black:
            story.append(
                Paragraph(
                    _("Off the black list since last time: %(names)s")
                    % {"names": "、".join(v.name for v in lists.left_black)},
                    body,
                )
            )
    story.append(Paragraph(_("Trends over 12 months"), heading))
    story.append(Spacer(1, 2 * mm))
    story.append(_trend_drawing(dashboard, FONT))
    document.build(story)
    _record(actor=actor, dashboard=dashboard, kind="assessment_report_pdf")
    return buffer.getvalue()
