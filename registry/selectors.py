"""Reads from the register, always through the scoping function."""

from django.db.models import Count, Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from registry.models import Area, Household, HouseholdEvent, Member, User
from registry.permissions import Kind
from registry.scoping import visible_to


def household_list_for_villager(*, user: User) -> QuerySet[Household]:
    """The households a villager is linked to through their verified phone number."""
    return (
        visible_to(user, Household.objects.all(), kind=Kind.HOUSEHOLD_CODE)
        .select_related("village", "group")
        .prefetch_related("members")
    )


def household_get(*, user: User, pk: int) -> Household:
    """One household whose data the user's work needs (its villagers, the village staff above it),
    or 404: out-of-scope rows do not exist for them."""
    queryset = (
        visible_to(user, Household.objects.all(), kind=Kind.HOUSEHOLD)
        .select_related("village", "group", "merged_into")
        .prefetch_related(
            Prefetch("members", queryset=Member.objects.order_by("id")),
            Prefetch(
                "events",
                queryset=HouseholdEvent.objects.select_related(
                    "from_village", "to_village", "actor"
                ),
            ),
        )
    )
    return get_object_or_404(queryset, pk=pk)


def households_by_village(*, under_path: str = "") -> dict[int, int]:
    """Active households per village (village id → count), in one grouped query: the
    denominator of the assessment's participation rates. ``under_path`` limits it to one
    area's villages."""
    rows = Household.objects.filter(status=Household.Status.ACTIVE)
    if under_path:
        rows = rows.filter(village__path__startswith=under_path)
    return dict(rows.values_list("village_id").annotate(count=Count("id")).order_by())


def villages_under(*, path: str) -> QuerySet[Area]:
    """The villages under an area (the area itself when it is one), in tree order."""
    return Area.objects.filter(level=Area.Level.VILLAGE, path__startswith=path).order_by("path")
