"""A committee member sees only their village; a villager only their household."""

import pytest
from django.urls import reverse

from registry.models import Household, Member
from registry.scoping import visible_to
from registry.services.register import villager_link
from tests.factories import Role, UserFactory, make_household, make_staff

pytestmark = pytest.mark.django_db

HOUSEHOLD_URLS = [
    "registry_household:edit",
    "registry_household:history",
    "registry_household:usage",
    "registry_household:delete",
    "registry_household:move",
    "registry_household:merge",
]


@pytest.fixture
def two_villages(tree):
    village_a, village_b = tree["villages"]
    return {
        "a": village_a,
        "b": village_b,
        "house_a": make_household(village_a, head_name="李秀英", phone="13900000001"),
        "house_b": make_household(village_b, head_name="赵大海", phone="13900000002"),
        **tree,
    }


def test_committee_member_sees_only_their_village(two_villages):
    member = make_staff(Role.COMMITTEE, two_villages["a"])
    visible = visible_to(member, Household.objects.all())
    assert list(visible) == [two_villages["house_a"]]
    assert not visible_to(member, Member.objects.filter(household=two_villages["house_b"])).exists()


def test_town_admin_sees_the_villages_of_their_town(two_villages):
    admin = make_staff(Role.TOWN_ADMIN, two_villages["town"])
    assert visible_to(admin, Household.objects.all()).count() == 2


def test_roles_argument_narrows_what_counts(two_villages):
    editor = make_staff(Role.EDITOR, two_villages["district"])
    # The role matrix (docs/permissions.md): an editor's work needs no household data.
    assert visible_to(editor, Household.objects.all()).count() == 0
    assert visible_to(editor, Household.objects.all(), roles=[Role.EDITOR]).count() == 2
    assert not visible_to(
        editor, Household.objects.all(), roles=[Role.COMMITTEE, Role.TOWN_ADMIN]
    ).exists()


def test_anonymous_and_roleless_users_see_nothing(two_villages, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    assert not visible_to(AnonymousUser(), Household.objects.all()).exists()
    assert not visible_to(UserFactory(), Household.objects.all()).exists()


@pytest.mark.parametrize("url_name", HOUSEHOLD_URLS)
def test_committee_member_gets_404_for_every_household_url_of_another_village(
    client, two_villages, url_name
):
    member = make_staff(Role.COMMITTEE, two_villages["a"])
    client.force_login(member)
    other = two_villages["house_b"]
    assert client.get(reverse(url_name, args=[other.pk])).status_code == 404
    assert client.post(reverse(url_name, args=[other.pk]), {}).status_code == 404
    assert client.get(reverse("household", args=[other.pk])).status_code == 404


def test_committee_member_opens_their_own_households(client, two_villages):
    member = make_staff(Role.COMMITTEE, two_villages["a"])
    client.force_login(member)
    own = two_villages["house_a"]
    response = client.get(reverse("registry_household:edit", args=[own.pk]))
    assert response.status_code == 200
    listing = client.get(reverse("registry_household:index"))
    assert listing.status_code == 200
    assert "李秀英" in listing.content.decode()
    assert "赵大海" not in listing.content.decode()


def test_listing_filter_offers_only_villages_in_scope(client, two_villages):
    member = make_staff(Role.COMMITTEE, two_villages["a"])
    client.force_login(member)
    page = client.get(reverse("registry_household:index")).content.decode()
    assert two_villages["a"].name in page
    assert two_villages["b"].name not in page


def test_villager_sees_their_household_and_404_for_every_other(client, two_villages):
    villager = UserFactory(phone="13900000001", phone_verified=True)
    villager_link(user=villager)
    client.force_login(villager)
    own = two_villages["house_a"]
    assert client.get(reverse("household", args=[own.pk])).status_code == 200
    other = two_villages["house_b"]
    assert client.get(reverse("household", args=[other.pk])).status_code == 404
    # and nothing in the admin
    assert client.get(reverse("registry_household:edit", args=[own.pk])).status_code in (
        302,
        403,
        404,
    )


def test_villager_page_masks_phone_and_id_numbers(client, two_villages):
    own = two_villages["house_a"]
    Member.objects.filter(household=own).update(id_number="37030319800101123X")
    villager = UserFactory(phone="13900000001", phone_verified=True)
    villager_link(user=villager)
    client.force_login(villager)
    page = client.get(reverse("household", args=[own.pk])).content.decode()
    assert "139****0001" in page
    assert "13900000001" not in page
    assert "370***********123X" in page
    assert "37030319800101123X" not in page


def test_home_sends_a_villager_with_one_household_to_it(client, two_villages):
    villager = UserFactory(phone="13900000002", phone_verified=True)
    villager_link(user=villager)
    client.force_login(villager)
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == reverse("household", args=[two_villages["house_b"].pk])
