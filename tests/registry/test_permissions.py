"""registry.permissions: one table, its page in docs/, and the counter's SQL twin."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

from registry.models import RoleAssignment, User
from registry.permissions import (
    BOUND,
    MATRIX_END,
    MATRIX_START,
    TABLE,
    Action,
    Kind,
    matrix_markdown,
    may,
    roles_for,
)
from registry.scoping import visible_to
from shops.models import Store
from shops.selectors import store_list_for_shopkeeper
from shops.services.redemptions import _is_shopkeeper
from tests.factories import Role, UserFactory, make_household, make_staff, make_town, make_village
from tests.shops.factories import make_store

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
APPS = ("registry", "points", "shops", "supervision", "campaigns", "site")


def test_docs_permissions_is_the_table():
    page = (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")
    start, end = page.index(MATRIX_START) + len(MATRIX_START), page.index(MATRIX_END)
    assert page[start:end].strip() == matrix_markdown().strip(), (
        "docs/permissions.md is out of date: run `python manage.py permissions_matrix`"
    )


def test_every_kind_has_a_row_and_every_row_names_known_roles():
    assert {kind for kind, _action in TABLE} == set(Kind)
    for roles in TABLE.values():
        assert roles <= set(Role.values)


def test_what_the_work_needs():
    """The deliberate lines of the matrix (issue 11): no household data for editors,
    shopkeepers or inspectors; shopkeepers only at the counter."""
    readers = roles_for(Kind.HOUSEHOLD, Action.READ)
    assert Role.EDITOR not in readers
    assert Role.SHOPKEEPER not in readers
    assert Role.INSPECTOR not in readers
    assert roles_for(Kind.COUNTER, Action.WRITE) == {Role.SHOPKEEPER}
    assert roles_for(Kind.HOUSEHOLD_CODE, Action.READ) == {Role.VILLAGER}
    # Issue 13: inspectors also walk rounds, file and check work orders, read tallies (no
    # household data: public places; a household on an order is never shown to villagers).
    inspectors_work = {Kind.WORK_ORDER, Kind.INSPECTION, Kind.CHECKLIST, Kind.TALLY}
    for kind, action in TABLE:
        if kind not in {Kind.HOUSEHOLD_LIST, Kind.AREA, *inspectors_work}:
            assert Role.INSPECTOR not in roles_for(kind, action), (kind, action)


def _python_files():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_no_app_code_passes_its_own_role_set_to_the_scoping_function():
    """Every caller of visible_to / areas_visible_to names a kind and an action, never roles."""
    offenders = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in {"visible_to", "areas_visible_to"} and any(
                keyword.arg == "roles" for keyword in node.keywords
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_no_app_code_builds_a_set_of_roles_outside_the_permission_module():
    """Role groups are named once: no tuple, list or set of two or more ``Role.…`` elsewhere."""
    offenders = []
    for path in _python_files():
        if path == ROOT / "registry" / "permissions.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Set | ast.List | ast.Tuple):
                roles = [
                    element
                    for element in node.elts
                    if isinstance(element, ast.Attribute)
                    and element.attr.isupper()
                    and "Role" in ast.unparse(element.value)
                ]
                if len(roles) >= 2:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


# --- may --------------------------------------------------------------------------------------


@pytest.fixture
def places(tree):
    other_town = make_town(tree["district"], name="另一镇")
    return {**tree, "other_village": make_village(other_town, name="另一村")}


def test_may_follows_the_area_tree(places):
    village, other = places["villages"][0], places["other_village"]
    town_admin = make_staff(Role.TOWN_ADMIN, places["town"])
    assert may(town_admin, Kind.SETTLEMENT, Action.APPROVE, village)
    assert not may(town_admin, Kind.SETTLEMENT, Action.APPROVE, other)
    assert may(town_admin, Kind.SETTLEMENT, Action.APPROVE)  # somewhere: the menu item
    committee = make_staff(Role.COMMITTEE, village)
    assert may(committee, Kind.SCORING, Action.WRITE, village)
    assert not may(committee, Kind.SETTLEMENT, Action.READ, village)
    assert not may(committee, Kind.SETTLEMENT, Action.READ)


def test_may_on_an_object_asks_the_scoping_function(places):
    village = places["villages"][0]
    household = make_household(village)
    committee = make_staff(Role.COMMITTEE, village)
    editor = make_staff(Role.EDITOR, places["district"])
    assert may(committee, Kind.HOUSEHOLD, Action.READ, household)
    assert not may(editor, Kind.HOUSEHOLD, Action.READ, household)
    villager = UserFactory()
    RoleAssignment.objects.create(user=villager, role=Role.VILLAGER, household=household)
    assert may(villager, Kind.HOUSEHOLD, Action.READ, household)
    assert not may(villager, Kind.HOUSEHOLD, Action.WRITE, household)
    other = make_household(village)
    assert not may(villager, Kind.HOUSEHOLD, Action.READ, other)


def test_superusers_may_everything_but_a_counter_they_are_not_bound_to(places):
    village = places["villages"][0]
    root = UserFactory(is_superuser=True)
    assert may(root, Kind.EXPIRY_POLICY, Action.WRITE, village)
    assert visible_to(root, Store.objects.all(), kind=Kind.STORE).count() == 0  # none exist yet
    store = make_store(village)
    assert not may(root, Kind.COUNTER, Action.WRITE, store)
    store.shopkeepers.add(root)  # bound, but without the shopkeeper's role
    assert not may(root, Kind.COUNTER, Action.WRITE, store)
    assert not store_list_for_shopkeeper(user=root).exists()
    assert visible_to(root, Store.objects.all(), kind=Kind.STORE).get() == store


def test_inactive_and_anonymous_users_may_nothing(places):
    from django.contrib.auth.models import AnonymousUser

    village = places["villages"][0]
    admin = make_staff(Role.DISTRICT_ADMIN, places["district"])
    admin.is_active = False
    for user in (admin, AnonymousUser()):
        assert not any(may(user, kind, action, village) for kind, action in TABLE)


# --- The counter's SQL twin -------------------------------------------------------------------


WHERE = ["store_village", "town", "district", "other_village"]


@pytest.mark.parametrize("bound", [True, False], ids=["bound", "not-bound"])
@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("role", [*Role.values, "superuser", "inactive-shopkeeper", "none"])
def test_the_counters_sql_check_agrees_with_the_table(places, role, where, bound):
    """``_is_shopkeeper`` (plain SQL, every counter request) answers what ``may`` answers, for
    every role held at every level, bound to the store or not."""
    village = places["villages"][0]
    store = make_store(village)
    area = {
        "store_village": village,
        "town": places["town"],
        "district": places["district"],
        "other_village": places["other_village"],
    }[where]
    user = UserFactory(is_superuser=role == "superuser")
    if role == Role.VILLAGER:
        RoleAssignment.objects.create(
            user=user,
            role=Role.VILLAGER,
            household=make_household(area if area.level == "village" else village),
        )
    elif role == "inactive-shopkeeper":
        RoleAssignment.objects.create(user=user, role=Role.SHOPKEEPER, area=area)
        User.objects.filter(pk=user.pk).update(is_active=False)
    elif role in Role.values:
        RoleAssignment.objects.create(user=user, role=role, area=area)
    if bound:
        store.shopkeepers.add(user)
    user = User.objects.get(pk=user.pk)
    store = Store.objects.select_related("area").get(pk=store.pk)
    by_sql = user.is_active and _is_shopkeeper(store=store, actor=user)
    assert by_sql == may(user, Kind.COUNTER, Action.WRITE, store)
    expected = bound and role == Role.SHOPKEEPER and where != "other_village"
    assert by_sql == expected
    assert Kind.COUNTER in BOUND


# --- Inspectors: the register's list, masked ----------------------------------------------------


def test_inspectors_list_households_masked_and_cannot_search_them_by_name(client, places):
    from django.urls import reverse

    village = places["villages"][0]
    household = make_household(village, head_name="黄永福")
    household.address = "杏花路8号"
    household.save()
    client.force_login(make_staff(Role.INSPECTOR, places["district"]))
    index = reverse("registry_household:index")
    listing = client.get(index).content.decode()
    assert "黄*福" in listing and "黄永福" not in listing
    assert household.number in client.get(index, {"q": household.number}).content.decode()
    for private in ("黄永福", "杏花路"):
        found = client.get(index, {"q": private}).content.decode()
        assert "黄*福" not in found, private
    for url_name in ("registry_household:history", "registry_household:usage"):
        assert client.get(reverse(url_name, args=[household.pk])).status_code == 404
    assert client.get(reverse("household", args=[household.pk])).status_code == 404


def test_committee_members_search_their_households_by_name_in_full(client, places):
    from django.urls import reverse

    village = places["villages"][0]
    make_household(village, head_name="黄永福")
    client.force_login(make_staff(Role.COMMITTEE, village))
    found = client.get(reverse("registry_household:index"), {"q": "黄永福"}).content.decode()
    assert "黄永福" in found
