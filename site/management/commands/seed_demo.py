"""``manage.py seed_demo``: a believable demo district, its households and one login per role.

Everything is derived from fixed seeds, so a rerun produces the same district and the same people
and creates nothing that already exists. Households are spread over the villages by a fixed,
weighted round-robin sequence: for any N, a village's households are numbered 0001 up to its share
of the first N entries, so ``--households`` with a larger N only adds the numbers still missing.
Each household's members are drawn from a generator seeded by the household's place in that
sequence, so the same household always gets the same people however the run was split.

Households, members and their registration events are inserted with ``bulk_create`` in chunks,
one transaction per chunk, so memory stays bounded and an interrupted run can simply be repeated.
"""

import bisect
import datetime
import itertools
import random
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth.hashers import check_password, make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone

from campaigns.demo import seed_campaign_site
from meijia import demo_names as data
from registry.identity import id_number_check_digit
from registry.models import Area, Household, HouseholdEvent, Member, RoleAssignment, User
from registry.services.register import role_assign, villager_link

SEED = 20260101
# Ages are counted at the end of this year, not today, so that reruns never drift.
REFERENCE_YEAR = 2025
REGISTERED_ON = datetime.date(2025, 3, 1)
MAX_HOUSEHOLDS = 3_000_000
MEMBER_SLOTS = 6  # at most six members; member keys are household key * 6 + slot

# ID numbers: a member key maps one-to-one onto (region block, day of year, serial). The block
# selects the 6-digit region code (3799xx, counting down from the district's own 379999), so
# ``MAX_HOUSEHOLDS`` * 6 keys stay within 99 blocks. The multiplier is coprime with the block size
# and scatters birthdays and serials.
ID_BLOCK = 365 * 500
ID_MULTIPLIER = 7919
ID_OFFSET = 104_729
# Phones: a permutation of the member keys onto 10 prefixes x 01000000-99999999 (the multiplier is
# coprime with the size); numbers below 01000000 stay free for fixed ones such as 13800000001.
PHONE_SPACE = 99_000_000
PHONE_MULTIPLIER = 7_654_321
PHONE_OFFSET = 1_234_567

SIZE_WEIGHTS = (1, 2, 3, 4, 5, 6), (8, 30, 55, 80, 93, 100)  # cumulative, percent
Relation = Member.Relation


@dataclass
class VillagePlan:
    index: int
    name: str
    kind: str
    code: str
    clans: str
    weight: int
    group_count: int
    town_name: str
    area_id: int | None = None
    group_ids: list[int] = field(default_factory=list)


@dataclass
class TownPlan:
    name: str
    kind: str
    code: str
    villages: list[VillagePlan]


@dataclass
class Person:
    relation: str
    male: bool
    age: int
    surname: str
    name: str = ""
    has_phone: bool = False
    phone: str = ""
    id_number: str = ""
    birth_date: datetime.date | None = None


# --- The plan: places, sizes and the household sequence ----------------------------------------


def district_code() -> str:
    return f"{data.DISTRICT_CODE}000000"


def build_plan() -> list[TownPlan]:
    """Towns and villages with their codes, relative sizes, group counts and clan surnames."""
    rng = random.Random(SEED)
    towns = []
    index = 0
    for town_name, town_kind, town_code, villages in data.TOWNS:
        community_serial = itertools.count(1)
        village_serial = itertools.count(201)
        plans = []
        for name, kind, clan in villages:
            serial = next(community_serial if kind == "community" else village_serial)
            weight = rng.randint(180, 320) if kind == "community" else rng.randint(60, 200)
            extra = "".join(rng.sample(data.SURNAMES[:24], 2))
            plans.append(
                VillagePlan(
                    index=index,
                    name=name,
                    kind=kind,
                    code=f"{data.DISTRICT_CODE}{town_code}{serial:03d}",
                    clans=(clan + extra[0]) if clan else extra,
                    weight=weight,
                    group_count=rng.randint(3, 6),
                    town_name=town_name,
                )
            )
            index += 1
        towns.append(
            TownPlan(
                name=town_name,
                kind=town_kind,
                code=f"{data.DISTRICT_CODE}{town_code}000",
                villages=plans,
            )
        )
    return towns


class Sequence:
    """A fixed, smooth weighted round-robin over the villages, repeated forever.

    Entry k of the sequence is the k-th household of the district; a village's households are
    numbered by their order of appearance. Prefixes are what make growth incremental: the first N
    entries always contain the first M for M < N.
    """

    def __init__(self, weights: list[int]):
        self.weights = weights
        self.period = sum(weights)
        current = [0] * len(weights)
        self.positions: list[list[int]] = [[] for _ in weights]
        for step in range(self.period):
            for i, weight in enumerate(weights):
                current[i] += weight
            best = max(range(len(weights)), key=current.__getitem__)
            current[best] -= self.period
            self.positions[best].append(step)

    def count(self, village: int, total: int) -> int:
        """How many of the first ``total`` households live in ``village``."""
        full, rest = divmod(total, self.period)
        return full * self.weights[village] + bisect.bisect_left(self.positions[village], rest)

    def key(self, village: int, number: int) -> int:
        """The place in the sequence of household ``number`` (1-based) of ``village``."""
        full, rest = divmod(number - 1, self.weights[village])
        return full * self.period + self.positions[village][rest]


# --- People -------------------------------------------------------------------------------------

_SURNAME_CUM = list(itertools.accumulate(1.0 / (rank + 6) for rank in range(len(data.SURNAMES))))


def _surname(rng: random.Random, clans: str = "") -> str:
    if clans and rng.random() < 0.45:
        return rng.choice(clans)
    return rng.choices(data.SURNAMES, cum_weights=_SURNAME_CUM)[0]


def _other_surname(rng: random.Random, avoid: str) -> str:
    while True:
        surname = _surname(rng)
        if surname != avoid:
            return surname


def _given_name(rng: random.Random, birth_year: int, male: bool) -> str:
    era = "old" if birth_year < 1960 else "mid" if birth_year < 1990 else "young"
    pools = data.GIVEN_NAMES[(era, "m" if male else "f")]
    if rng.random() < 0.3:
        return rng.choice(pools["single"])
    while True:
        first, second = rng.choice(pools["first"]), rng.choice(pools["second"])
        if first != second:
            return first + second


def household_people(rng: random.Random, clans: str) -> list[Person]:
    """1-6 people around a head: spouse, children, a son's wife, grandchildren, a parent."""
    size = rng.choices(SIZE_WEIGHTS[0], cum_weights=SIZE_WEIGHTS[1])[0]
    head_male = rng.random() < 0.85
    if size == 1:
        head_age = rng.randint(45, 88)
    elif size == 2:
        head_age = rng.randint(24, 34) if rng.random() < 0.25 else rng.randint(50, 85)
    elif size in (3, 4):
        head_age = rng.randint(30, 68)
    else:
        head_age = rng.randint(48, 76)
    head = Person(Relation.HEAD, head_male, head_age, _surname(rng, clans))
    people = [head]
    family_surname = head.surname
    youngest_parent = head_age
    widowed = size == 1 or (head_age >= 55 and rng.random() < 0.12)
    if not widowed:
        spouse_age = max(20, head_age + (rng.randint(-5, 2) if head_male else rng.randint(-2, 5)))
        spouse = Person(
            Relation.SPOUSE, not head_male, spouse_age, _other_surname(rng, head.surname)
        )
        people.append(spouse)
        youngest_parent = min(head_age, spouse_age)
        if not head_male:
            family_surname = spouse.surname

    def child(relation_male: bool, age: int) -> Person:
        relation = Relation.SON if relation_male else Relation.DAUGHTER
        return Person(relation, relation_male, max(0, age), family_surname)

    three_generations = size - len(people) >= 2 and youngest_parent >= 46 and rng.random() < 0.75
    if three_generations:
        # A married child lives with the parents: usually a son and his wife, sometimes a
        # daughter and a son-in-law who moved in (上门女婿).
        heir_age = max(22, youngest_parent - rng.randint(22, 30))
        if rng.random() < 0.88:
            heir = child(True, heir_age)
            in_law = Person(
                Relation.DAUGHTER_IN_LAW,
                False,
                max(18, heir_age + rng.randint(-3, 2)),
                _other_surname(rng, family_surname),
            )
        else:
            heir = child(False, heir_age)
            in_law = Person(
                Relation.SON_IN_LAW,
                True,
                max(20, heir_age + rng.randint(-2, 4)),
                _other_surname(rng, family_surname),
            )
        people += [heir, in_law]
        young_parent = min(heir.age, in_law.age)
        while len(people) < size and sum(p.relation == Relation.GRANDCHILD for p in people) < 2:
            people.append(
                Person(
                    Relation.GRANDCHILD,
                    rng.random() < 0.52,
                    rng.randint(0, max(0, young_parent - 21)),
                    family_surname,
                )
            )
    else:
        children = 0
        while len(people) < size and children < 3:
            if children == 2 and head_age <= 62 and rng.random() < 0.5:
                break
            people.append(child(rng.random() < 0.52, youngest_parent - rng.randint(22, 34)))
            children += 1
    if len(people) < size and head_age <= 68:
        parent_male = rng.random() < 0.35
        parent_surname = head.surname if parent_male else _other_surname(rng, head.surname)
        parent_age = min(96, head_age + rng.randint(22, 30))
        people.append(Person(Relation.PARENT, parent_male, parent_age, parent_surname))
    while len(people) < size:
        people.append(child(rng.random() < 0.52, youngest_parent - rng.randint(22, 34)))

    used = set()
    for person in people:
        birth_year = REFERENCE_YEAR - person.age
        for _attempt in range(8):
            name = person.surname + _given_name(rng, birth_year, person.male)
            if name not in used:
                break
        used.add(name)
        person.name = name
        if 18 <= person.age <= 60:
            wants_phone = rng.random() < 0.8
        elif 16 <= person.age <= 75:
            wants_phone = rng.random() < 0.4
        else:
            wants_phone = False
        person.has_phone = wants_phone
    return people


def identity(member_key: int, birth_year: int, male: bool) -> tuple[str, datetime.date]:
    """An ID number, unique for the key, and the birth date it encodes."""
    block, position = divmod(member_key, ID_BLOCK)
    scrambled = (position * ID_MULTIPLIER + ID_OFFSET) % ID_BLOCK
    serial, day = divmod(scrambled, 365)
    birth_date = datetime.date(birth_year, 1, 1) + datetime.timedelta(days=day)
    first17 = f"3799{99 - block:02d}{birth_date:%Y%m%d}{serial * 2 + (1 if male else 0):03d}"
    return first17 + id_number_check_digit(first17), birth_date


def phone_number(member_key: int) -> str:
    scrambled = (member_key * PHONE_MULTIPLIER + PHONE_OFFSET) % (PHONE_SPACE * 10)
    prefix, rest = divmod(scrambled, PHONE_SPACE)
    return f"{data.PHONE_PREFIXES[prefix]}{rest + 1_000_000:08d}"


def household_number(number: int) -> str:
    return f"{number:04d}"


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _display_width(text))


# --- The command --------------------------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Seed a demo district (3 towns, 4 sub-districts, 47 villages with their groups), "
        "households with members, and one login per role. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--households",
            type=int,
            default=5000,
            help=f"households in the district (default 5000, at most {MAX_HOUSEHOLDS:,})",
        )
        parser.add_argument(
            "--batch-size", type=int, default=5000, help="households per insert transaction"
        )
        parser.add_argument("--quiet", action="store_true", help="print only the login table")
        parser.add_argument(
            "--no-points",
            dest="with_points",
            action="store_false",
            help="skip the demo earning rules and points",
        )

    def handle(
        self, *args, households: int, batch_size: int, quiet: bool, with_points: bool, **options
    ):
        if not 0 <= households <= MAX_HOUSEHOLDS:
            raise CommandError(f"--households must be between 0 and {MAX_HOUSEHOLDS:,}.")
        if batch_size < 1:
            raise CommandError("--batch-size must be positive.")
        self.quiet = quiet
        self.batch_size = batch_size
        self.timings: dict[str, float] = {}
        started = time.perf_counter()

        towns = build_plan()
        villages = [village for town in towns for village in town.villages]
        district, town_a, village_a = self.stage("区划", lambda: self.ensure_areas(towns))
        sequence = Sequence([village.weight for village in villages])
        # With DEBUG on (development), every statement would go through the debug cursor, which
        # renders it and keeps the last 9,000 in memory: too slow and too big for a million
        # households.
        with override_settings(DEBUG=False):
            self.stage("住户", lambda: self.ensure_households(villages, sequence, households))
        rows = self.stage("账号", lambda: self.ensure_logins(district, town_a, village_a))
        if with_points:
            self.stage("积分", lambda: self.ensure_points(district, village_a))
            from shops.demo import seed_shops

            self.stage("超市", lambda: (None, seed_shops(district=district, village=village_a)))
            self.stage("评分", lambda: self.ensure_scoring(village_a))
            from supervision.demo import seed_supervision

            self.stage(
                "督查",
                lambda: (
                    None,
                    seed_supervision(district=district, town=town_a, village=village_a),
                ),
            )
            from supervision.demo_tallies import seed_tallies

            self.stage(
                "五清一改",
                lambda: (None, seed_tallies(district=district, town=town_a, village=village_a)),
            )
            from upkeep.demo import seed_upkeep

            self.stage("改厕", lambda: (None, seed_upkeep(town=town_a, village=village_a)))
        from assessment.demo import seed_assessment

        self.stage("考核", lambda: (None, seed_assessment(district=district)))
        self.stage(
            "网站",
            lambda: seed_campaign_site(
                district=district, town=town_a, village=village_a, sign_up_villager=with_points
            ),
        )
        if not quiet:
            self.stdout.write(f"完成，共用时 {time.perf_counter() - started:.2f} 秒\n")
        self.print_logins(rows)

    def stage(self, label: str, run):
        """Run one stage; it returns (result, summary). Prints the summary and the time taken."""
        started = time.perf_counter()
        result, summary = run()
        self.timings[label] = time.perf_counter() - started
        if not self.quiet:
            self.stdout.write(f"[{label}] {summary}（{self.timings[label]:.2f} 秒）")
        return result

    def say(self, text: str) -> None:
        if not self.quiet:
            self.stdout.write(f"  {text}")

    # --- Areas ----------------------------------------------------------------------------------

    @transaction.atomic
    def ensure_areas(self, towns: list[TownPlan]) -> tuple[tuple[Area, Area, Area], str]:
        created = 0
        district = Area.objects.filter(code=district_code()).first()
        if district is None:
            district = Area.add_root(
                name=data.DISTRICT_NAME,
                code=district_code(),
                level=Area.Level.DISTRICT,
                kind=Area.Kind.DISTRICT,
            )
            created += 1
        town_areas = []
        group_total = 0
        for town in towns:
            town_area = Area.objects.filter(code=town.code).first()
            if town_area is None:
                district = Area.objects.get(pk=district.pk)
                town_area = district.add_child(
                    name=town.name, code=town.code, level=Area.Level.TOWN, kind=town.kind
                )
                created += 1
            town_areas.append(town_area)
            for village in town.villages:
                area = Area.objects.filter(code=village.code).first()
                if area is None:
                    town_area = Area.objects.get(pk=town_area.pk)
                    area = town_area.add_child(
                        name=village.name,
                        code=village.code,
                        level=Area.Level.VILLAGE,
                        kind=village.kind,
                    )
                    created += 1
                groups = {
                    group.name: group.pk
                    for group in area.get_children().filter(level=Area.Level.GROUP)
                }
                missing = [
                    f"第{n}组"
                    for n in range(1, village.group_count + 1)
                    if f"第{n}组" not in groups
                ]
                if missing:
                    area = Area.objects.get(pk=area.pk)
                    for name in missing:
                        group = area.add_child(
                            name=name, level=Area.Level.GROUP, kind=Area.Kind.GROUP
                        )
                        groups[name] = group.pk
                        created += 1
                village.area_id = area.pk
                village.group_ids = [groups[f"第{n}组"] for n in range(1, village.group_count + 1)]
                group_total += village.group_count
        village_total = sum(len(town.villages) for town in towns)
        summary = (
            f"{data.DISTRICT_NAME}：{sum(t.kind == 'town' for t in towns)} 个镇、"
            f"{sum(t.kind == 'subdistrict' for t in towns)} 个街道、{village_total} 个村（社区）、"
            f"{group_total} 个村民小组；新建 {created} 个"
        )
        first_village = towns[0].villages[0]
        places = (
            Area.objects.get(pk=district.pk),
            Area.objects.get(pk=town_areas[0].pk),
            Area.objects.get(pk=first_village.area_id),
        )
        return places, summary

    # --- Households -----------------------------------------------------------------------------

    def ensure_households(
        self, villages: list[VillagePlan], sequence: Sequence, total: int
    ) -> tuple[int, str]:
        started = time.perf_counter()
        added = 0
        next_report = 100_000
        missing = self.missing_households(villages, sequence, total)
        while chunk := list(itertools.islice(missing, self.batch_size)):
            self.insert_chunk(chunk, sequence)
            added += len(chunk)
            if added >= next_report:
                rate = added / (time.perf_counter() - started)
                self.say(f"已新增 {added:,} 户（每秒 {rate:,.0f} 户）")
                next_report += 100_000
        village_ids = [village.area_id for village in villages]
        in_register = Household.objects.filter(village_id__in=village_ids).count()
        members = Member.objects.filter(household__village_id__in=village_ids).count()
        return added, f"新增 {added:,} 户；示范区现有 {in_register:,} 户、{members:,} 名成员"

    def missing_households(
        self, villages: list[VillagePlan], sequence: Sequence, total: int
    ) -> Iterator[tuple[VillagePlan, int]]:
        """(village, number) of each wanted household not yet in the register, village by village.

        Only one village's existing numbers are held at a time.
        """
        for village in villages:
            wanted = sequence.count(village.index, total)
            if not wanted:
                continue
            existing = set(
                Household.objects.filter(village_id=village.area_id).values_list(
                    "number", flat=True
                )
            )
            for number in range(1, wanted + 1):
                if household_number(number) not in existing:
                    yield village, number

    def insert_chunk(self, chunk: list[tuple[VillagePlan, int]], sequence: Sequence) -> None:
        households = []
        families = []
        for village, number in chunk:
            key = sequence.key(village.index, number)
            rng = random.Random(SEED * 7_919 + key)
            house, group_index = divmod(number - 1, village.group_count)
            people = household_people(rng, village.clans)
            for slot, person in enumerate(people):
                member_key = key * MEMBER_SLOTS + slot
                person.id_number, person.birth_date = identity(
                    member_key, REFERENCE_YEAR - person.age, person.male
                )
                if person.has_phone:
                    person.phone = phone_number(member_key)
            if village.index == 0 and number == 1:
                people[0].phone = data.VILLAGER_PHONE
            households.append(
                Household(
                    village_id=village.area_id,
                    group_id=village.group_ids[group_index],
                    number=household_number(number),
                    address=f"{village.name}第{group_index + 1}组{house + 1}号",
                    status=Household.Status.ACTIVE,
                )
            )
            families.append(people)
        with transaction.atomic():
            Household.objects.bulk_create(households, batch_size=self.batch_size)
            if any(household.pk is None for household in households):
                self.fetch_ids(households)
            Member.objects.bulk_create(
                (
                    Member(
                        household_id=household.pk,
                        name=person.name,
                        relation=person.relation,
                        phone=person.phone,
                        id_number=person.id_number,
                        birth_date=person.birth_date,
                    )
                    for household, people in zip(households, families, strict=True)
                    for person in people
                ),
                batch_size=self.batch_size,
            )
            HouseholdEvent.objects.bulk_create(
                (
                    HouseholdEvent(
                        household_id=household.pk,
                        kind=HouseholdEvent.Kind.CREATED,
                        to_status=Household.Status.ACTIVE,
                        to_village_id=household.village_id,
                        effective_on=REGISTERED_ON,
                        note="演示数据",
                    )
                    for household in households
                ),
                batch_size=self.batch_size,
            )

    @staticmethod
    def fetch_ids(households: list[Household]) -> None:
        """For databases that do not return ids from a bulk insert."""
        by_village: dict[int, list[Household]] = {}
        for household in households:
            by_village.setdefault(household.village_id, []).append(household)
        for village_id, items in by_village.items():
            ids = dict(
                Household.objects.filter(
                    village_id=village_id, number__in=[h.number for h in items]
                ).values_list("number", "pk")
            )
            for household in items:
                household.pk = ids[household.number]

    # --- Logins ---------------------------------------------------------------------------------

    @transaction.atomic
    def ensure_logins(
        self, district: Area, town: Area, village: Area
    ) -> tuple[list[tuple[str, ...]], str]:
        places = {"district": district, "town": town, "village": village}
        rows = []
        created = 0
        # The password is public and the same for every demo login, so one hash (one salt) serves
        # them all: hashing costs a good fraction of a second each time.
        checked: dict[str, bool] = {}
        demo_hash = ""
        for username, name, label, role, where in data.STAFF_LOGINS:
            user = User.objects.filter(username=username).first()
            changed = user is None
            if user is None:
                user = User(username=username, name=name)
                created += 1
            if role is None and not (user.is_superuser and user.is_staff):
                user.is_superuser = user.is_staff = True
                changed = True
            if user.password not in checked:
                checked[user.password] = check_password(data.DEMO_PASSWORD, user.password)
            if not checked[user.password]:
                demo_hash = demo_hash or make_password(data.DEMO_PASSWORD)
                checked[demo_hash] = True
                user.password = demo_hash
                changed = True
            if changed:
                user.save()
            area = places[where]
            if role is not None:
                role_assign(user=user, role=role, area=area)
            scope = "全部" if role is None else area.full_name
            rows.append((label, username, data.DEMO_PASSWORD, scope))

        household = Household.objects.filter(village=village, number=household_number(1)).first()
        head = household and household.members.filter(relation=Relation.HEAD).first()
        if head is None:
            rows.append(("村民（户主）", "—", "—", "村里还没有户，请加大 --households"))
        else:
            if head.phone != data.VILLAGER_PHONE:
                head.phone = data.VILLAGER_PHONE
                head.save(update_fields=["phone"])
            user = User.objects.filter(phone=data.VILLAGER_PHONE).first()
            if user is None:
                taken = User.objects.filter(username=data.VILLAGER_USERNAME).exists()
                user = User(
                    username=f"v-{data.VILLAGER_PHONE}" if taken else data.VILLAGER_USERNAME,
                    name=head.name,
                    phone=data.VILLAGER_PHONE,
                    phone_verified=True,
                )
                user.set_unusable_password()
                user.save()
                created += 1
            elif not user.phone_verified:
                user.phone_verified = True
                user.save(update_fields=["phone_verified"])
            villager_link(user=user)
            rows.append(
                (
                    "村民（户主）",
                    data.VILLAGER_PHONE,
                    "短信验证码",
                    f"{village.full_name} {household.number}户 {head.name}",
                )
            )
        roles = RoleAssignment.objects.filter(
            user__username__in=[login[0] for login in data.STAFF_LOGINS]
        ).aggregate(n=Count("id"))["n"]
        return rows, f"{len(rows)} 个演示账号（新建 {created} 个），{roles} 项岗位授权"

    def ensure_points(self, district: Area, village: Area) -> tuple[None, str]:
        """District earning rules, and points for the first households of village A recorded by
        `committee` and approved by `committee2` (idempotent: every claim has a fixed key)."""
        from points.models import EarningRule
        from points.services.claims import claim_approve, claim_record
        from points.services.rules import rule_create

        today = timezone.localdate()
        versions = {}
        for code, category, kind, name, description, points, caps in data.DEMO_RULES:
            rule = EarningRule.objects.filter(area=district, code=code).first()
            if rule is None:
                rule = rule_create(
                    actor=None,
                    area=district,
                    code=code,
                    category=category,
                    kind=kind,
                    is_published=True,
                    name=name,
                    description=description,
                    points=points,
                    valid_from=today.replace(month=1, day=1),
                    **caps,
                )
            versions[code] = rule.versions.order_by("-version").first()
        recorder = User.objects.get(username="committee")
        checker = User.objects.get(username="committee2")
        households = list(
            Household.objects.filter(village=village, status=Household.Status.ACTIVE).order_by(
                "number"
            )[: data.DEMO_POINTS_HOUSEHOLDS]
        )
        claims = 0
        for index, household in enumerate(households):
            plan = data.DEMO_POINTS_PLAN[index % len(data.DEMO_POINTS_PLAN)]
            for step, code in enumerate(plan):
                claim = claim_record(
                    household=household,
                    version=versions[code],
                    actor=recorder,
                    idempotency_key=f"demo:{household.pk}:{step}",
                    occurred_on=today,
                )
                claims += 1
                # The first household keeps its last claim waiting, to show "pending".
                if not (index == 0 and step == len(plan) - 1):
                    claim_approve(claim=claim, approver=checker)
        return None, f"{len(versions)} 条积分细则，{len(households)} 户的 {claims} 条积分记录"

    def ensure_scoring(self, village: Area) -> tuple[None, str]:
        from points.demo_scoring import seed_scoring

        return None, seed_scoring(village=village)

    def print_logins(self, rows: list[tuple[str, ...]]) -> None:
        header = ("角色", "账号/手机号", "密码", "范围")
        table = [header, *rows]
        widths = [max(_display_width(row[i]) for row in table) for i in range(len(header))]

        def line(row):
            return "  ".join(_pad(cell, width) for cell, width in zip(row, widths, strict=True))

        rule = "  ".join("-" * width for width in widths)
        self.stdout.write("")
        self.stdout.write(f"演示账号（工作人员统一密码：{data.DEMO_PASSWORD}）")
        self.stdout.write(line(header).rstrip())
        self.stdout.write(rule)
        for row in rows:
            self.stdout.write(line(row).rstrip())
        self.stdout.write(
            "村民用手机号和短信验证码登录，没有密码；开发环境下验证码打印在运行服务器的控制台。"
        )
