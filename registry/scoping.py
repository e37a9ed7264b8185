"""The one function that turns a queryset into what a user may see.

Every view, admin screen, export and API that lists or fetches area-bound objects goes through
``visible_to``, and says what for: a kind of object and an action of ``registry.permissions``'
table, whose roles are the only ones that count. A model takes part by naming, as class
attributes, the path of its area (``scope_area_field``, e.g. ``"village__path"``) and, where a
villager may see it, the field holding its household's id (``scope_household_field``); it may name
the kind its rows are read as by default (``scope_kind``). A role over an area sees everything
whose area path starts with that area's path; a villager sees their own household's rows only.
"""

from collections.abc import Iterable
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, Q, QuerySet

from registry.models import Area
from registry.permissions import (
    BOUND,
    Action,
    Kind,
    role_assignments,
    roles_for,
)

M = TypeVar("M", bound=Model)


def has_role(user, roles: Iterable[str]) -> bool:
    """Whether the user holds one of ``roles`` anywhere (for settings that name roles)."""
    wanted = set(roles)
    return any(assignment.role in wanted for assignment in role_assignments(user))


def visible_to(
    user,
    queryset: QuerySet[M],
    *,
    kind: Kind | str | None = None,
    action: Action | str = Action.READ,
    roles: Iterable[str] | None = None,
) -> QuerySet[M]:
    """Filter ``queryset`` to the rows ``user`` may ``action`` as objects of ``kind``.

    ``kind`` defaults to the model's ``scope_kind``; ``roles``, when given, replaces the table's
    roles (for ``registry.permissions`` itself and tests). Superusers see everything but bound
    kinds (a counter is its shopkeepers' only); anonymous and inactive users see nothing; a model
    that declares neither scope field is visible to superusers only.
    """
    model = queryset.model
    if roles is None:
        kind = kind or getattr(model, "scope_kind", None)
        if kind is None:
            raise ImproperlyConfigured(f"visible_to({model.__name__}) needs a kind of object")
        roles = roles_for(kind, action)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if user.is_superuser and (kind is None or Kind(kind) not in BOUND):
        return queryset
    area_field = getattr(model, "scope_area_field", None)
    household_field = getattr(model, "scope_household_field", None)
    wanted = set(roles)
    condition = Q(pk__in=[])
    for assignment in role_assignments(user):
        if assignment.role not in wanted:
            continue
        if assignment.household_id is not None:
            if household_field:
                condition |= Q(**{household_field: assignment.household_id})
        elif area_field:
            condition |= Q(**{f"{area_field}__startswith": assignment.area.path})
    return queryset.filter(condition)


def areas_visible_to(
    user,
    *,
    kind: Kind | str,
    action: Action | str = Action.READ,
    level: str | None = None,
) -> QuerySet[Area]:
    """The areas (and those below them) where ``user`` may ``action`` on objects of ``kind``."""
    queryset = visible_to(user, Area.objects.all(), kind=kind, action=action)
    if level:
        queryset = queryset.filter(level=level)
    return queryset.order_by("path")
