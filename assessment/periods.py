"""Periods of the roll-ups: a week starts on Monday, a month, quarter and year on their first day."""

import datetime

from assessment.models import Period


def period_start(period: str, day: datetime.date) -> datetime.date:
    if period == Period.WEEK:
        return day - datetime.timedelta(days=day.weekday())
    if period == Period.MONTH:
        return day.replace(day=1)
    if period == Period.QUARTER:
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def period_end(period: str, start: datetime.date) -> datetime.date:
    """The first day after the period that starts on ``start``."""
    if period == Period.WEEK:
        return start + datetime.timedelta(days=7)
    return _add_months(start, {Period.MONTH: 1, Period.QUARTER: 3, Period.YEAR: 12}[period])


def period_before(period: str, start: datetime.date) -> datetime.date:
    if period == Period.WEEK:
        return start - datetime.timedelta(days=7)
    return _add_months(start, -{Period.MONTH: 1, Period.QUARTER: 3, Period.YEAR: 12}[period])


def months_back(month: datetime.date, count: int) -> list[datetime.date]:
    """``count`` month starts ending with ``month``, oldest first."""
    return [_add_months(month, -offset) for offset in range(count - 1, -1, -1)]


def period_label(period: str, start: datetime.date) -> str:
    if period == Period.WEEK:
        return f"{start:%Y-%m-%d}"
    if period == Period.MONTH:
        return f"{start:%Y-%m}"
    if period == Period.QUARTER:
        return f"{start.year}Q{(start.month - 1) // 3 + 1}"
    return str(start.year)
