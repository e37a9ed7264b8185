import datetime

import pytest
from django.urls import reverse

from registry.exceptions import RegisterError
from registry.models import Household, HouseholdEvent, Member
from registry.services.register import household_merge, household_move, household_update
from tests.factories import (
    MemberFactory,
    Role,
    force_login_with_totp,
    make_household,
    make_staff,
)

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 23)


def test_move_keeps_identity_members_and_records_history(tree):
    village_a, village_b = tree["villages"]
    household = make_household(village_a, head_name="陈立新")
    group_b = village_b.get_children().first()
    moved = household_move(
        actor=None,
        household=household,
        to_village=village_b,
        to_group=group_b,
        number="0999",
        effective_on=TODAY,
        note="投靠子女",
    )
    assert moved.pk == household.pk
    assert moved.village == village_b and moved.number == "0999"
    assert moved.members.get().name == "陈立新"
    event = HouseholdEvent.objects.get(household=household, kind=HouseholdEvent.Kind.MOVED)
    assert (event.from_village, event.to_village, event.effective_on) == (
        village_a,
        village_b,
        TODAY,
    )


def test_move_refuses_a_number_taken_in_the_new_village(tree):
    village_a, village_b = tree["villages"]
    household = make_household(village_a, number="0001")
    make_household(village_b, number="0001")
    with pytest.raises(RegisterError) as error:
        household_move(
            actor=None,
            household=household,
            to_village=village_b,
            to_group=None,
            number="0001",
            effective_on=TODAY,
        )
    assert error.value.code == "duplicate_number"
    household.refresh_from_db()
    assert household.village == village_a


def test_move_refuses_a_group_of_another_village(tree):
    village_a, village_b = tree["villages"]
    household = make_household(village_a)
    with pytest.raises(RegisterError) as error:
        household_move(
            actor=None,
            household=household,
            to_village=village_b,
            to_group=village_a.get_children().first(),
            number="0500",
            effective_on=TODAY,
        )
    assert error.value.code == "unknown_group"


def test_merge_moves_members_and_closes_the_source(tree):
    village = tree["villages"][0]
    source = make_household(village, head_name="刘二柱")
    MemberFactory(household=source, name="刘小花", relation=Member.Relation.DAUGHTER)
    target = make_household(village, head_name="刘大柱")
    household_merge(actor=None, source=source, target=target, effective_on=TODAY)
    source.refresh_from_db()
    assert source.status == Household.Status.MERGED
    assert source.merged_into == target
    names = dict(target.members.values_list("name", "relation"))
    assert names == {"刘大柱": "head", "刘二柱": "other", "刘小花": "daughter"}
    assert HouseholdEvent.objects.filter(kind=HouseholdEvent.Kind.MERGED).count() == 2


def test_merge_refuses_closed_households(tree):
    village = tree["villages"][0]
    source = make_household(village)
    target = make_household(village, status=Household.Status.CANCELLED)
    with pytest.raises(RegisterError):
        household_merge(actor=None, source=source, target=target, effective_on=TODAY)


def test_status_change_has_a_dated_history(tree):
    household = make_household(tree["villages"][0])
    household.status = Household.Status.MOVED_OUT
    household_update(actor=None, household=household, note="迁往外地")
    event = HouseholdEvent.objects.get(household=household, kind=HouseholdEvent.Kind.STATUS)
    assert (event.from_status, event.to_status, event.note) == ("active", "moved_out", "迁往外地")


def test_member_clean_normalises_full_width_and_refuses_bad_numbers(tree):
    household = make_household(tree["villages"][0])
    member = Member(
        household=household, name=" 王 芳 ", relation="spouse", phone="１３９ ０００0 0003"
    )
    member.clean()
    assert member.phone == "13900000003"
    bad = Member(
        household=household, name="王芳", relation="spouse", id_number="370303198001011230"
    )
    with pytest.raises(Exception) as error:
        bad.clean()
    assert "id_number" in error.value.message_dict


def _household_form(village, number="0100", **extra):
    group = village.get_children().first()
    data = {
        "village": village.pk,
        "group": group.pk,
        "number": number,
        "status": "active",
        "address": "幸福路8号",
        "members-TOTAL_FORMS": "2",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "1",
        "members-MAX_NUM_FORMS": "1000",
        "members-0-name": "马春生",
        "members-0-relation": "head",
        "members-0-phone": "139 0000 0005",
        "members-0-id_number": "",
        "members-0-birth_date": "",
        "members-0-ORDER": "1",
        "members-1-name": "马小燕",
        "members-1-relation": "daughter",
        "members-1-phone": "",
        "members-1-id_number": "",
        "members-1-birth_date": "2001-05-04",
        "members-1-ORDER": "2",
    }
    data.update(extra)
    return data


def test_committee_member_creates_a_household_with_members_in_the_admin(client, tree):
    village = tree["villages"][0]
    client.force_login(make_staff(Role.COMMITTEE, village))
    response = client.post(reverse("registry_household:add"), _household_form(village))
    assert response.status_code == 302, response.content.decode()[:3000]
    household = Household.objects.get(village=village, number="0100")
    assert sorted(household.members.values_list("name", flat=True)) == ["马小燕", "马春生"]
    assert household.members.get(name="马春生").phone == "13900000005"
    assert HouseholdEvent.objects.filter(household=household, kind="created").exists()


def test_committee_member_cannot_create_in_another_village(client, tree):
    village_a, village_b = tree["villages"]
    client.force_login(make_staff(Role.COMMITTEE, village_a))
    response = client.post(reverse("registry_household:add"), _household_form(village_b))
    assert response.status_code == 200  # the form refuses the village choice
    assert not Household.objects.filter(village=village_b).exists()


def test_admin_move_view_moves_within_the_town(client, tree):
    village_a, village_b = tree["villages"]
    household = make_household(village_a)
    client.force_login(make_staff(Role.TOWN_ADMIN, tree["town"]))
    response = client.post(
        reverse("registry_household:move", args=[household.pk]),
        {
            "to_village": village_b.pk,
            "to_group": "",
            "number": "0777",
            "effective_on": "2026-11-23",
        },
    )
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.village == village_b


def test_inspector_reads_but_cannot_edit(client, tree):
    household = make_household(tree["villages"][0], head_name="黄永福")
    client.force_login(make_staff(Role.INSPECTOR, tree["district"]))
    # The role matrix (docs/permissions.md): inspectors list households with the head masked.
    listing = client.get(reverse("registry_household:index")).content.decode()
    assert "黄*福" in listing
    assert "黄永福" not in listing
    response = client.get(reverse("registry_household:edit", args=[household.pk]))
    assert response.status_code in (403, 404, 302)


def _edit_form(household, member, **member_data):
    group = household.group
    data = {
        "village": household.village_id,
        "group": group.pk,
        "number": household.number,
        "status": "active",
        "address": household.address,
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "1",
        "members-MIN_NUM_FORMS": "1",
        "members-MAX_NUM_FORMS": "1000",
        "members-0-id": str(member.pk),
        "members-0-name": member.name,
        "members-0-relation": member.relation,
        "members-0-birth_date": "",
        "members-0-ORDER": "1",
    }
    data.update({f"members-0-{key}": value for key, value in member_data.items()})
    return data


def test_edit_form_shows_numbers_masked_and_keeps_them_when_unchanged(client, tree):
    village = tree["villages"][0]
    household = make_household(village, phone="13900000007")
    member = household.members.get()
    member.id_number = "370303198001011234"
    member.save()
    client.force_login(make_staff(Role.COMMITTEE, village))
    url = reverse("registry_household:edit", args=[household.pk])
    page = client.get(url).content.decode()
    assert "13900000007" not in page and "139****0007" in page
    assert "370303198001011234" not in page and "370***********1234" in page

    response = client.post(
        url, _edit_form(household, member, phone="139****0007", id_number="370***********1234")
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.phone, member.id_number) == ("13900000007", "370303198001011234")

    response = client.post(url, _edit_form(household, member, phone="138 0000 0008", id_number=""))
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.phone, member.id_number) == ("13800000008", "")


def test_a_masked_value_that_does_not_match_is_refused(client, tree):
    village = tree["villages"][0]
    household = make_household(village, phone="13900000007")
    member = household.members.get()
    client.force_login(make_staff(Role.COMMITTEE, village))
    url = reverse("registry_household:edit", args=[household.pk])
    response = client.post(url, _edit_form(household, member, phone="139****9999", id_number=""))
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.phone == "13900000007"


def test_district_admin_creates_a_village_under_a_town(client, tree):
    from registry.models import Area

    admin = make_staff(Role.DISTRICT_ADMIN, tree["district"])
    force_login_with_totp(client, admin)
    response = client.post(
        reverse("registry_area:add"),
        {"parent": tree["town"].pk, "name": "新建村", "code": "379900009999", "kind": "village"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    village = Area.objects.get(code="379900009999")
    assert village.level == Area.Level.VILLAGE
    assert village.get_parent() == tree["town"]


def test_area_listing_is_scoped(client, tree):
    village_a, village_b = tree["villages"]
    client.force_login(make_staff(Role.COMMITTEE, village_a))
    page = client.get(reverse("registry_area:index")).content.decode()
    assert village_a.name in page
    assert village_b.name not in page
    # Committee members cannot edit areas at all.
    assert client.get(reverse("registry_area:edit", args=[village_a.pk])).status_code == 302


def test_district_admin_gets_404_for_another_districts_areas(client, tree):
    from tests.factories import make_tree

    other = make_tree(villages=1)
    admin = make_staff(Role.DISTRICT_ADMIN, tree["district"])
    force_login_with_totp(client, admin)
    assert (
        client.get(reverse("registry_area:edit", args=[tree["villages"][0].pk])).status_code == 200
    )
    response = client.get(reverse("registry_area:edit", args=[other["villages"][0].pk]))
    assert response.status_code == 404
