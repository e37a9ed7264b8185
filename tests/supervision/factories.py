"""Work order fixtures: a district, a town, two villages and the people of each role."""

import datetime as dt
import itertools

from registry.models import Area, User
from registry.services import role_assign
from supervision.models import Category, Team
from tests.factories import Role, make_household, make_tree

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


_serial = itertools.count(1)


def person(**kwargs) -> User:
    """A user without a password (hashing one costs a second on a busy machine; these tests
    sign in with ``force_login``)."""
    number = next(_serial)
    return User.objects.create(username=f"sup{number}", name=f"人员{number}", **kwargs)


def make_staff(role: str, area: Area) -> User:
    user = person()
    role_assign(user=user, role=role, area=area)
    return user


def make_world() -> dict:
    tree = make_tree(villages=2)
    village, other = tree["villages"]
    category = Category.objects.create(
        code="three-piles", name="三大堆", source="inspection", days=7
    )
    world = {
        **tree,
        "village": village,
        "other_village": other,
        "category": category,
        "district_admin": make_staff(Role.DISTRICT_ADMIN, tree["district"]),
        "town_admin": make_staff(Role.TOWN_ADMIN, tree["town"]),
        "inspector": make_staff(Role.INSPECTOR, tree["district"]),
        "inspector2": make_staff(Role.INSPECTOR, tree["town"]),
        "committee": make_staff(Role.COMMITTEE, village),
        "committee_other": make_staff(Role.COMMITTEE, other),
        "editor": make_staff(Role.EDITOR, tree["district"]),
        "household": make_household(village),
        "stranger": person(),
    }
    team = Team.objects.create(name="清洁公司一队", area=tree["town"])
    worker = person()
    team.members.add(worker)
    world["team"], world["worker"] = team, worker
    return world


def village_of(area: Area) -> Area:
    return Area.objects.get(pk=area.pk)
