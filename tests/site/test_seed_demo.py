import io
import random

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db.models import Count, Q

from meijia import demo_names
from meijia.management.commands import seed_demo
from registry.identity import is_valid_id_number, normalize_phone
from registry.models import Area, Household, HouseholdEvent, Member, RoleAssignment, User

Role = RoleAssignment.Role


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(households: int = 200, **options) -> str:
    out = io.StringIO()
    call_command("seed_demo", households=households, stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = (Area, Household, Member, HouseholdEvent, User, RoleAssignment, Group)
    return {model.__name__: model.objects.count() for model in models}


def snapshot() -> list[tuple]:
    """Every seeded person with their household, independent of primary keys."""
    return sorted(
        Member.objects.values_list(
            "household__village__code",
            "household__number",
            "household__group__name",
            "household__address",
            "name",
            "relation",
            "phone",
            "id_number",
            "birth_date",
        )
    )


def village_a() -> Area:
    return Area.objects.get(code=seed_demo.build_plan()[0].villages[0].code)


@pytest.mark.django_db
def test_builds_the_district_tree():
    seed()

    district = Area.objects.get(level=Area.Level.DISTRICT)
    assert Area.objects.filter(level=Area.Level.DISTRICT).count() == 1
    assert district.name == demo_names.DISTRICT_NAME
    assert district.code == "379999000000"
    towns = list(district.get_children())
    assert sorted(town.kind for town in towns) == ["subdistrict"] * 4 + ["town"] * 3
    assert {town.level for town in towns} == {Area.Level.TOWN}
    assert sum(town.name.endswith("镇") for town in towns) == 3
    assert sum(town.name.endswith("街道") for town in towns) == 4

    villages = Area.objects.filter(level=Area.Level.VILLAGE)
    assert villages.count() == 47
    assert {village.kind for village in villages} == {Area.Kind.VILLAGE, Area.Kind.COMMUNITY}
    for town in towns:
        assert town.code.startswith("379999") and town.code.endswith("000")
        for village in town.get_children():
            assert village.level == Area.Level.VILLAGE
            assert village.code[:9] == town.code[:9] and village.code[9:] != "000"
            groups = list(village.get_children())
            assert 3 <= len(groups) <= 6
            assert [group.name for group in groups] == [
                f"第{n}组" for n in range(1, len(groups) + 1)
            ]
            assert all(g.level == Area.Level.GROUP and g.code is None for g in groups)
    codes = [area.code for area in Area.objects.exclude(code=None)]
    assert len(codes) == len(set(codes)) == 1 + 7 + 47
    assert all(len(code) == 12 and code.isdigit() for code in codes)


@pytest.mark.django_db
def test_households_and_members_are_believable():
    seed()

    assert Household.objects.count() == 200
    assert HouseholdEvent.objects.filter(kind=HouseholdEvent.Kind.CREATED).count() == 200
    heads = Household.objects.annotate(
        heads=Count("members", filter=Q(members__relation=Member.Relation.HEAD)),
        size=Count("members"),
    )
    assert not heads.exclude(heads=1).exists()
    assert {h.size for h in heads} <= set(range(1, 7))
    for household in Household.objects.select_related("village", "group"):
        assert household.village.level == Area.Level.VILLAGE
        assert household.group.get_parent() == household.village
        assert household.address.startswith(f"{household.village.name}{household.group.name}")
    for village in Area.objects.filter(level=Area.Level.VILLAGE):
        numbers = sorted(village.households.values_list("number", flat=True))
        assert numbers == [f"{n:04d}" for n in range(1, len(numbers) + 1)]

    members = list(Member.objects.all())
    id_numbers = [m.id_number for m in members]
    assert all(is_valid_id_number(number) for number in id_numbers)
    assert len(set(id_numbers)) == len(id_numbers)
    for member in members:
        assert member.id_number[6:14] == member.birth_date.strftime("%Y%m%d")
        assert 2 <= len(member.name) <= 3
        if member.relation in {Member.Relation.SON, Member.Relation.SON_IN_LAW}:
            assert int(member.id_number[16]) % 2 == 1
        if member.relation in {Member.Relation.DAUGHTER, Member.Relation.DAUGHTER_IN_LAW}:
            assert int(member.id_number[16]) % 2 == 0
    phones = [m.phone for m in members if m.phone]
    assert len(phones) > len(members) // 4
    assert len(set(phones)) == len(phones)
    assert all(normalize_phone(phone) == phone for phone in phones)


@pytest.mark.django_db
def test_every_role_has_a_login():
    output = seed()

    for username, _name, _label, role, _where in demo_names.STAFF_LOGINS:
        user = User.objects.get(username=username)
        assert user.check_password(demo_names.DEMO_PASSWORD)
        assert user.name
        if role is None:
            assert user.is_superuser and user.is_staff
        else:
            assert user.roles.filter(role=role).exists()
    assert set(RoleAssignment.objects.values_list("role", flat=True)) == set(Role.values)

    village = village_a()
    district = Area.objects.get(level=Area.Level.DISTRICT)
    assert RoleAssignment.objects.get(user__username="district").area == district
    assert RoleAssignment.objects.get(user__username="town").area == village.get_parent()
    for username in ("committee", "committee2", "shop"):
        assert RoleAssignment.objects.get(user__username=username).area == village

    household = Household.objects.get(village=village, number="0001")
    head = household.members.get(relation=Member.Relation.HEAD)
    assert head.phone == demo_names.VILLAGER_PHONE
    assert Member.objects.filter(phone=demo_names.VILLAGER_PHONE).count() == 1
    villager = User.objects.get(phone=demo_names.VILLAGER_PHONE)
    assert villager.phone_verified and not villager.has_usable_password()
    assert villager.name == head.name
    assert list(villager.roles.values_list("role", "household")) == [(Role.VILLAGER, household.pk)]

    for text in ("角色", "账号/手机号", "密码", "范围", demo_names.DEMO_PASSWORD, "13800000001"):
        assert text in output
    for username, *_rest in demo_names.STAFF_LOGINS:
        assert f" {username} " in output
    assert "[区划]" in output and "[住户]" in output


@pytest.mark.django_db
def test_the_login_table_is_aligned_and_quiet_prints_only_the_table():
    output = seed(quiet=True)

    assert "[区划]" not in output and "秒" not in output
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("角色"))
    rule = lines[start + 1]
    table = lines[start + 2 : start + 2 + len(demo_names.STAFF_LOGINS) + 1]
    # Each column starts where its rule starts; Chinese characters take two columns.
    column_starts = [
        i for i, char in enumerate(rule) if char == "-" and (i == 0 or rule[i - 1] == " ")
    ]
    for line in table:
        offset = 0
        starts = []
        previous_blank = True
        for char in line:
            if char != " " and previous_blank:
                starts.append(offset)
            previous_blank = char == " "
            offset += seed_demo._display_width(char)
        assert starts[:4] == column_starts, line


@pytest.mark.django_db
def test_running_twice_creates_nothing_new():
    seed()
    before, people = counts(), snapshot()

    output = seed()

    assert counts() == before
    assert snapshot() == people
    assert "新增 0 户" in output and "新建 0 个" in output


@pytest.mark.django_db
def test_growing_adds_only_the_difference_and_matches_a_fresh_run():
    seed(200, with_points=False)
    old_ids = set(Household.objects.values_list("pk", flat=True))
    people_200 = snapshot()

    output = seed(300, with_points=False)

    assert "新增 100 户" in output
    assert Household.objects.count() == 300
    assert HouseholdEvent.objects.count() == 300
    assert old_ids <= set(Household.objects.values_list("pk", flat=True))
    people_300 = snapshot()
    assert set(people_200) <= set(people_300)

    # The same 300 households come out of a single run (without points: the ledger keeps
    # households from being deleted).
    Household.objects.all().delete()
    seed(300, batch_size=7, with_points=False)
    assert snapshot() == people_300
    assert RoleAssignment.objects.filter(role=Role.VILLAGER).count() == 1


@pytest.mark.django_db
def test_without_households_there_is_no_villager_login():
    output = seed(0)

    assert Household.objects.count() == 0
    assert Area.objects.filter(level=Area.Level.VILLAGE).count() == 47
    assert "村民（户主）" in output
    assert not User.objects.filter(phone=demo_names.VILLAGER_PHONE).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("households", [-1, seed_demo.MAX_HOUSEHOLDS + 1])
def test_rejects_out_of_range_counts(households):
    with pytest.raises(CommandError):
        seed(households)


def test_the_household_sequence_is_a_prefix_for_every_size():
    weights = [plan.weight for town in seed_demo.build_plan() for plan in town.villages]
    sequence = seed_demo.Sequence(weights)
    previous = [0] * len(weights)
    for total in (0, 1, 47, 200, 5_000, sequence.period + 3, 30_011):
        wanted = [sequence.count(village, total) for village in range(len(weights))]
        assert sum(wanted) == total
        assert all(now >= before for now, before in zip(wanted, previous, strict=True))
        keys = {
            sequence.key(village, number)
            for village in range(len(weights))
            for number in range(1, wanted[village] + 1)
        }
        assert keys == set(range(total))
        previous = wanted


def test_id_numbers_and_phones_stay_unique_up_to_the_maximum():
    rng = random.Random(1)
    last = seed_demo.MAX_HOUSEHOLDS * seed_demo.MEMBER_SLOTS
    keys = sorted({*range(20_000), *range(last - 20_000, last), *range(0, last, 1_009)})
    id_numbers, phones = set(), set()
    for key in keys:
        year = rng.randint(1928, 2025)
        male = bool(rng.getrandbits(1))
        id_number, birth_date = seed_demo.identity(key, year, male)
        assert is_valid_id_number(id_number)
        assert id_number[6:14] == birth_date.strftime("%Y%m%d") and birth_date.year == year
        assert int(id_number[16]) % 2 == male
        id_numbers.add(id_number)
        phones.add(seed_demo.phone_number(key))
    assert len(id_numbers) == len(phones) == len(keys)
    assert demo_names.VILLAGER_PHONE not in phones
    assert all(normalize_phone(phone) == phone for phone in phones)


@pytest.mark.django_db
def test_demo_points_are_recorded_approved_and_idempotent():
    from points.models import LedgerTransaction, PointsClaim
    from points.selectors.ledger import ledger_problems_list

    call_command("seed_demo", households=200, quiet=True)
    paid = LedgerTransaction.objects.count()
    assert paid > 0
    # One demo claim waits; the demo sorting round's grades (source: a check) wait too.
    assert (
        PointsClaim.objects.filter(status=PointsClaim.Status.PENDING, source_type="").count() == 1
    )
    approved = LedgerTransaction.objects.exclude(approver=None).filter(source_type="claim").first()
    assert approved.actor.username == "committee" and approved.approver.username == "committee2"
    call_command("seed_demo", households=200, quiet=True)
    assert LedgerTransaction.objects.count() == paid
    assert ledger_problems_list()[0] == []
