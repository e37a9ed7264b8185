"""Reads of upkeep: the due list, a household's toilet, the figures the assessment app reads.

Every selector is keyword-only and typed; none writes.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.db.models import Count, QuerySet

from registry.models import Household
from registry.permissions import Action, Kind
from registry.scoping import visible_to
from upkeep.models import ContractorTeam, Toilet

# How fast a tank fills, a rule of thumb: the sludge and liquid of one person in a month (m³).
# A 1.5 m³ three-compartment tank of a four-person household is then due every 7 months.
FILL_PER_PERSON_MONTH = Decimal("0.05")
INTERVAL_MIN_MONTHS = 3
INTERVAL_MAX_MONTHS = 24
INTERVAL_UNKNOWN_MONTHS = 12  # no tank volume in the register
# Toilets without a tank of their own are never on a due list (they drain to a sewer).
TANKLESS_TYPES = frozenset({Toilet.Type.SEWER})


def emptying_interval_months(*, tank_volume: Decimal | None, people: int) -> int:
    """Months between two emptyings of a tank of ``tank_volume`` m³ used by ``people``."""
    if tank_volume is None:
        return INTERVAL_UNKNOWN_MONTHS
    months = (tank_volume / (max(people, 1) * FILL_PER_PERSON_MONTH)).to_integral_value(
        rounding=ROUND_FLOOR
    )
    return int(min(max(months, INTERVAL_MIN_MONTHS), INTERVAL_MAX_MONTHS))


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def toilet_due_on(*, toilet: Toilet, people: int) -> datetime.date | None:
    """When the toilet's tank is next due to be emptied; None for toilets without a tank.

    Counted from the last emptying, else from acceptance, else from the year it was built; a
    toilet with none of these is due at once (the earliest date, so it sorts first).
    """
    if toilet.type in TANKLESS_TYPES:
        return None
    since = toilet.last_emptied_on or toilet.accepted_on
    if since is None and toilet.built_year:
        since = datetime.date(toilet.built_year, 1, 1)
    if since is None:
        return datetime.date.min
    months = emptying_interval_months(tank_volume=toilet.tank_volume, people=people)
    return _add_months(since, months)


@dataclass(frozen=True)
class DueToilet:
    toilet: Toilet
    due_on: datetime.date
    people: int
    is_overdue: bool  # due before the month began


def toilet_due_list(*, team: ContractorTeam, month: datetime.date) -> list[DueToilet]:
    """The household toilets of the team's villages due for emptying by the end of ``month``.

    Toilets in use with a tank only. One query (toilets with their household's member count);
    the dates are worked out here. Sorted by due date, then village and 户号.
    """
    first = month.replace(day=1)
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    toilets = (
        Toilet.objects.filter(
            village__in=team.villages.all(),
            household__isnull=False,
            household__status=Household.Status.ACTIVE,
            status=Toilet.Status.IN_USE,
        )
        .exclude(type__in=TANKLESS_TYPES)
        .select_related("household", "village")
        .annotate(people=Count("household__members"))
        .order_by("village__path", "household__number")
    )
    due = []
    for toilet in toilets:
        due_on = toilet_due_on(toilet=toilet, people=toilet.people)
        if due_on is not None and due_on <= last:
            due.append(
                DueToilet(
                    toilet=toilet, due_on=due_on, people=toilet.people, is_overdue=due_on < first
                )
            )
    due.sort(key=lambda item: item.due_on)
    return due


def teams_of_contractor(*, user) -> QuerySet[ContractorTeam]:
    """The active teams ``user`` works in (a contractor's phone page)."""
    if not getattr(user, "is_authenticated", False):
        return ContractorTeam.objects.none()
    return ContractorTeam.objects.filter(members=user, is_active=True).order_by("name")


def team_for_village(*, village_id: int) -> ContractorTeam | None:
    """The team a new order of the village goes to when the town does not choose one."""
    return ContractorTeam.objects.filter(villages=village_id, is_active=True).order_by("pk").first()


def household_toilet_get(*, user, household: Household) -> Toilet | None:
    """The household's toilet, if ``user`` may read it (a villager: their own household)."""
    toilets = visible_to(user, Toilet.objects.filter(household=household), kind=Kind.TOILET)
    return toilets.first()


def toilet_list(*, user, village=None, public: bool | None = None) -> QuerySet[Toilet]:
    """The toilets ``user`` may read, optionally of one village, public or household ones."""
    toilets = visible_to(user, Toilet.objects.all(), kind=Kind.TOILET, action=Action.READ)
    if village is not None:
        toilets = toilets.filter(village=village)
    if public is not None:
        toilets = toilets.filter(household__isnull=public)
    return toilets.select_related("household", "village").order_by(
        "village__path", "household__number", "name"
    )


__all__ = [
    "DueToilet",
    "emptying_interval_months",
    "household_toilet_get",
    "team_for_village",
    "teams_of_contractor",
    "toilet_due_list",
    "toilet_due_on",
    "toilet_list",
]
