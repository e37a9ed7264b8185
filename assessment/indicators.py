"""The computed indicators: indicator code → a set-based function of a period.

Each function takes ``start`` and ``end`` (the period is ``[start, end)``) and returns
``{village id: (numerator, denominator)}`` for every village with records, from the selectors of
the apps that own the records (assessment reads, never writes, their rows). An ``Indicator`` row
whose code is here is computed; one whose code is not here is entered, or waits for its app.

Another app's figures join by adding a function here that calls that app's selector, and a data
migration adding its ``Indicator`` row (as the after-care indicators from ``upkeep`` do).
"""

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.utils import timezone

from points.selectors import figures as points_figures
from registry.selectors import households_by_village
from supervision.selectors import figures as supervision_figures
from supervision.selectors import inspections as supervision_inspections
from upkeep.selectors import ServiceFigures, service_figures

Fraction = tuple[Decimal, Decimal | None]
Computed = Callable[..., dict[int, Fraction]]

COMPUTED: dict[str, Computed] = {}


def computed(code: str) -> Callable[[Computed], Computed]:
    def register(function: Computed) -> Computed:
        COMPUTED[code] = function
        return function

    return register


def _d(value) -> Decimal:
    return Decimal(value or 0)


@computed("sorting_participation")
def sorting_participation(*, start: datetime.date, end: datetime.date) -> dict[int, Fraction]:
    """Households checked at least once in the period ÷ active households."""
    households = households_by_village()
    sorting = points_figures.sorting_by_village(start=start, end=end)
    return {
        village: (_d(sorting.get(village, {}).get("households")), _d(count))
        for village, count in households.items()
    }


@computed("sorting_pass_rate")
def sorting_pass_rate(*, start: datetime.date, end: datetime.date) -> dict[int, Fraction]:
    """Checks graded pass or better ÷ checks."""
    sorting = points_figures.sorting_by_village(start=start, end=end)
    return {village: (_d(row["passed"]), _d(row["checks"])) for village, row in sorting.items()}


@computed("points_issued")
def points_issued(*, start: datetime.date, end: datetime.date) -> dict[int, Fraction]:
    ledger = points_figures.ledger_by_village(start=start, end=end)
    return {village: (_d(row["awarded"]), None) for village, row in ledger.items()}


@computed("points_redeemed")
def points_redeemed(*, start: datetime.date, end: datetime.date) -> dict[int, Fraction]:
    ledger = points_figures.ledger_by_village(start=start, end=end)
    return {village: (_d(row["redeemed"]), None) for village, row in ledger.items()}


@computed("active_households")
def active_households(*, start: datetime.date, end: datetime.date) -> dict[int, Fraction]:
    """Households that earned or redeemed in the period ÷ active households."""
    households = households_by_village()
    ledger = points_figures.ledger_by_village(start=start, end=end)
    return {
        village: (_d(ledger.get(village, {}).get("active")), _d(count))
        for village, count in households.items()
    }


@computed("appraisal_stars")
def appraisal_stars(*, start: datetime.date, end: datetime.date) -> dict[int, Fraction]:
    """Mean stars of the appraisal results awarded in the period."""
    rows = points_figures.appraisal_stars_by_village(start=start, end=end)
    return {village: (_d(row["stars"]), _d(row["results"])) for village, row in rows.items()}


@computed("class_attendance")
def class_attendance(*, start: datetime.date, end: datetime.date) -> dict[int, Fraction]:
    rows = points_figures.class_attendance_by_village(start=start, end=end)
    return {village: (_d(row["attendances"]), None) for village, row in rows.items()}


@computed("rectification_on_time")
def rectification_on_time(*, start: datetime.date, end: datetime.date) -> dict[int, Fraction]:
    """Work orders due in the period reported done by their deadline ÷ orders due."""
    rows = supervision_figures.rectification_by_village(start=start, end=end)
    return {village: (_d(row["on_time"]), _d(row["due"])) for village, row in rows.items()}


def _districts():
    from registry.models import Area

    return list(Area.objects.filter(level=Area.Level.DISTRICT))


@computed("inspection_score")
def inspection_score(*, start: datetime.date, end: datetime.date) -> dict[int, Fraction]:
    """Mean score of the village's inspections on rounds planned in the period."""
    result: dict[int, list[Decimal]] = {}
    for district in _districts():
        for row in supervision_inspections.inspection_scores(area=district, start=start, end=end):
            total = result.setdefault(row.village_id, [Decimal(0), Decimal(0)])
            total[0] += row.score
            total[1] += 1
    return {village: (n, d) for village, (n, d) in result.items()}


@computed("relapses")
def relapses(*, start: datetime.date, end: datetime.date) -> dict[int, Fraction]:
    """Problems found again by a re-check in the period (lower is better)."""
    tz = timezone.get_current_timezone()
    low = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    high = datetime.datetime.combine(end, datetime.time.min, tzinfo=tz)
    result: dict[int, Fraction] = {}
    for district in _districts():
        for village, count in supervision_inspections.relapses_by_village(
            area=district, start=low, end=high
        ).items():
            result[village] = (_d(count), None)
    return result


def _aftercare(*, start: datetime.date, end: datetime.date) -> list[ServiceFigures]:
    # upkeep's periods are inclusive of their last day; ours end the day before ``end``.
    return service_figures(by="village", start=start, end=end - datetime.timedelta(days=1))


@computed("aftercare_response_hours")
def aftercare_response_hours(*, start: datetime.date, end: datetime.date) -> dict[int, Fraction]:
    """Mean hours from a household's request to a team member accepting it (lower is better)."""
    return {
        int(row.key): (Decimal(str(row.mean_response_hours)) * row.responded, _d(row.responded))
        for row in _aftercare(start=start, end=end)
        if row.key and row.mean_response_hours is not None
    }


@computed("aftercare_within_deadline")
def aftercare_within_deadline(*, start: datetime.date, end: datetime.date) -> dict[int, Fraction]:
    """Service orders asked for in the period done within their deadline ÷ orders asked for."""
    return {
        int(row.key): (_d(row.done_within_deadline), _d(row.orders))
        for row in _aftercare(start=start, end=end)
        if row.key
    }


@computed("aftercare_satisfaction")
def aftercare_satisfaction(*, start: datetime.date, end: datetime.date) -> dict[int, Fraction]:
    """农户满意率: 满意 and 基本满意 ÷ the orders rated."""
    return {
        int(row.key): (_d(row.satisfied + row.fair), _d(row.rated))
        for row in _aftercare(start=start, end=end)
        if row.key and row.rated
    }
