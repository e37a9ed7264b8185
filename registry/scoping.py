"""The one function that turns a queryset into what a user may see.

Every view, admin screen, export and API that lists or fetches area-bound objects goes through
``visible_to``. A model takes part by naming, as class attributes, the path of its area
(``scope_area_field``, e.g. ``"village__path"``) and, where a villager may see it, the field
holding its household's id (``scope_household_field``). A staff role over an area sees everything
whose area path starts with that area's path; a villager sees their own household's rows only.
"""

from collections.abc import Iterable
from typing import TypeVar

from django.db.models import Model, Q, QuerySet

from registry.models import Area, RoleAssignment

Role = RoleAssignment.Role
M = TypeVar("M", bound=Model)


def role_assignments(user) -> list[RoleAssignment]:
    """The user's roles, loaded once per user object (that is, once per request)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_meijia_roles", None)
    if cached is None:
        cached = list(RoleAssignment.objects.filter(user=user).select_related("area"))
        user._meijia_roles = cached
    return cached


def forget_roles(user) -> None:
    user.__dict__.pop("_meijia_roles", None)


def has_role(user, roles: Iterable[str]) -> bool:
    wanted = set(roles)
    return any(assignment.role in wanted for assignment in role_assignments(user))


def may_act_as(user, roles: Iterable[str]) -> bool:
    """A superuser, or a user holding one of ``roles`` (anywhere): who may open a role's pages."""
    return user.is_superuser or has_role(user, roles)


def visible_to(user, queryset: QuerySet[M], *, roles: Iterable[str] | None = None) -> QuerySet[M]:
    """Filter ``queryset`` to the rows ``user`` may see through ``roles`` (default: any role).

    Superusers see everything; anonymous and inactive users see nothing; a model that declares
    neither scope field is visible to superusers only.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    model = queryset.model
    area_field = getattr(model, "scope_area_field", None)
    household_field = getattr(model, "scope_household_field", None)
    wanted = set(roles) if roles is not None else None
    condition = Q(pk__in=[])
    for assignment in role_assignments(user):
        if wanted is not None and assignment.role not in wanted:
            continue
        if assignment.household_id is not None:
            if household_field:
                condition |= Q(**{household_field: assignment.household_id})
        elif area_field:
            condition |= Q(**{f"{area_field}__startswith": assignment.area.path})
    return queryset.filter(condition)


def areas_visible_to(
    user, *, level: str | None = None, roles: Iterable[str] | None = None
) -> QuerySet[Area]:
    queryset = visible_to(user, Area.objects.all(), roles=roles)
    if level:
        queryset = queryset.filter(level=level)
    return queryset.order_by("path")
