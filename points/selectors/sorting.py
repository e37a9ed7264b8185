"""Reads for the sorting-check screens: rounds, the round sheet of a group, household search."""

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from points.models import SortingCheck, SortingRound
from points.services.sorting import UNDO_WINDOW
from registry.models import Area, Household, Member, User
from registry.permissions import Action, Kind
from registry.scoping import areas_visible_to, visible_to

SEARCH_LIMIT = 30


@dataclass(frozen=True)
class SheetRow:
    """One household on the round screen and what it was given in this round (oldest first)."""

    household: Household
    grades: tuple[str, ...]
    is_conflict: bool
    # The viewer's own newest grade here that they may still undo or change, if any.
    undoable: SortingCheck | None = None


def _undoable(checks: list[SortingCheck], viewer: User | None) -> SortingCheck | None:
    now = timezone.now()
    for check in reversed(checks):
        if viewer is not None and check.recorded_by_id == viewer.pk:
            return check if now - check.recorded_at <= UNDO_WINDOW else None
    return None


@dataclass(frozen=True)
class RoundSheet:
    round: SortingRound
    group: Area | None
    rows: list[SheetRow]
    graded: int  # households of the sheet graded at least once

    @property
    def total(self) -> int:
        return len(self.rows)


def scoring_villages(*, user: User) -> QuerySet[Area]:
    """Villages the user may score (committee: their own; town and district admins: below)."""
    return areas_visible_to(user, level=Area.Level.VILLAGE, kind=Kind.SCORING, action=Action.WRITE)


def sorting_round_list(*, user: User, limit: int = 20) -> QuerySet[SortingRound]:
    rounds = visible_to(user, SortingRound.objects.all(), kind=Kind.SCORING, action=Action.WRITE)
    return rounds.select_related("village")[:limit]


def sorting_round_get(*, user: User, pk: int) -> SortingRound:
    """A round the user may score in; raises SortingRound.DoesNotExist otherwise."""
    return (
        visible_to(user, SortingRound.objects.all(), kind=Kind.SCORING, action=Action.WRITE)
        .select_related("village")
        .get(pk=pk)
    )


def _households() -> QuerySet[Household]:
    heads = Member.objects.filter(relation=Member.Relation.HEAD)
    return (
        Household.objects.filter(status=Household.Status.ACTIVE)
        .select_related("group")
        .prefetch_related(Prefetch("members", queryset=heads))
    )


def _rows(
    round: SortingRound, households: list[Household], viewer: User | None = None
) -> list[SheetRow]:
    checks: dict[int, list[SortingCheck]] = {}
    for check in SortingCheck.objects.filter(
        round=round, household__in=[h.pk for h in households], withdrawn_at__isnull=True
    ).only("household_id", "grade", "is_conflict", "recorded_by_id", "recorded_at", "round_id"):
        checks.setdefault(check.household_id, []).append(check)
    return [
        SheetRow(
            household=household,
            grades=tuple(c.get_grade_display() for c in checks.get(household.pk, [])),
            is_conflict=any(c.is_conflict for c in checks.get(household.pk, [])),
            undoable=_undoable(checks.get(household.pk, []), viewer),
        )
        for household in households
    ]


def sorting_round_sheet(
    *, round: SortingRound, group: Area | None, viewer: User | None = None
) -> RoundSheet:
    """The households of ``group`` (or of the whole village) in 户号 order with their grades.

    Three queries whatever the number of households: households, heads, this round's checks.
    """
    households = _households().filter(village_id=round.village_id)
    if group is not None:
        households = households.filter(group=group)
    rows = _rows(round, list(households.order_by("number")), viewer)
    return RoundSheet(
        round=round, group=group, rows=rows, graded=sum(1 for row in rows if row.grades)
    )


def household_search(
    *, round: SortingRound, text: str, viewer: User | None = None
) -> list[SheetRow]:
    """Households of the round's village whose head's name, 户号 or group name contains
    ``text`` (at most ``SEARCH_LIMIT``)."""
    text = text.strip()
    if not text:
        return []
    matches = (
        Household.objects.filter(village_id=round.village_id, status=Household.Status.ACTIVE)
        .filter(
            Q(number__icontains=text)
            | Q(members__name__icontains=text)
            | Q(group__name__icontains=text)
        )
        .values("pk")
    )
    households = list(_households().filter(pk__in=matches).order_by("number")[:SEARCH_LIMIT])
    return _rows(round, households, viewer)


def household_search_row(*, round: SortingRound, household: Household, viewer: User) -> SheetRow:
    """One household's row of the round screen, as it stands now."""
    return _rows(round, [_households().get(pk=household.pk)], viewer)[0]
