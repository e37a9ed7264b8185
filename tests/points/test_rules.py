"""Earning rules: overrides by area, versions, validity, caps, deductions, "what if", the admin."""

import datetime as dt
from unittest import mock

import pytest
from django.urls import reverse

from points.models import EarningRule, EarningRuleVersion, LedgerTransaction
from points.selectors.rules import (
    CAMPAIGN_TZ,
    cap_remaining,
    rule_for,
    rule_preview,
    rules_for_area,
)
from points.services import points_award, points_reverse
from points.services.ledger import household_account
from points.services.rules import rule_award_amount, rule_create, rule_version_create
from tests.factories import Role, make_household, make_staff, make_town, make_village

pytestmark = pytest.mark.django_db

CODE = "sorting-excellent"
JAN_1 = dt.date(2026, 1, 1)


def _rule(area, points, *, code=CODE, kind=EarningRule.Kind.EARN, published=True, **terms):
    terms.setdefault("valid_from", JAN_1)
    rule = rule_create(
        actor=None,
        area=area,
        code=code,
        category=EarningRule.Category.SORTING,
        kind=kind,
        is_published=published,
        name=f"垃圾分类优秀 {points}分",
        points=points,
        **terms,
    )
    return rule.versions.get()


def _at(year, month, day, hour=10, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=CAMPAIGN_TZ)


_keys = iter(range(1, 10**6))


def _award_at(household, amount, when, version=None, code=CODE):
    """An award through the ledger, recorded as if at ``when``."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        return points_award(
            household=household,
            amount=amount,
            reason="垃圾分类 优",
            idempotency_key=f"rules-test-{next(_keys)}",
            actor=None,
            rule_code=version.rule.code if version else code,
            rule_version=version.version if version else None,
        )


@pytest.fixture
def areas(tree):
    district, town_a = tree["district"], tree["town"]
    town_b = make_town(district, name="乙镇")
    village_b = make_village(town_b, name="乙村")
    return {
        "district": district,
        "town_a": town_a,
        "village_a1": tree["villages"][0],
        "village_a2": tree["villages"][1],
        "town_b": town_b,
        "village_b": village_b,
    }


@pytest.fixture
def household(areas):
    return make_household(areas["village_a1"], head_name="钱秀兰")


# --- Which rule holds ---------------------------------------------------------------------------


def test_district_rule_holds_everywhere_until_a_town_or_village_overrides_it(areas):
    on = dt.date(2026, 3, 10)
    _rule(areas["district"], 5)
    assert {rule_for(area=areas[name], code=CODE, on=on).points for name in areas} == {5}

    _rule(areas["town_a"], 7)
    _rule(areas["village_a1"], 9)

    assert rule_for(area=areas["village_a1"], code=CODE, on=on).points == 9
    assert rule_for(area=areas["village_a2"], code=CODE, on=on).points == 7
    assert rule_for(area=areas["town_a"], code=CODE, on=on).points == 7
    assert rule_for(area=areas["village_b"], code=CODE, on=on).points == 5
    assert rule_for(area=areas["district"], code=CODE, on=on).points == 5
    assert rule_for(area=areas["village_b"], code="no-such-rule", on=on) is None
    # A group's rules are its village's.
    group = areas["village_a1"].get_children().first()
    assert rule_for(area=group, code=CODE, on=on).points == 9


def test_rules_for_area_lists_each_code_once_with_overrides_resolved(areas):
    on = dt.date(2026, 3, 10)
    _rule(areas["district"], 5)
    _rule(areas["district"], 3, code="class-attended")
    _rule(areas["town_a"], 7)
    _rule(areas["district"], 2, code="draft-rule", published=False)

    in_town = {v.rule.code: v.points for v in rules_for_area(area=areas["village_a2"], on=on)}
    elsewhere = {v.rule.code: v.points for v in rules_for_area(area=areas["village_b"], on=on)}

    assert in_town == {CODE: 7, "class-attended": 3}
    assert elsewhere == {CODE: 5, "class-attended": 3}


def test_unpublished_or_expired_override_leaves_the_district_rule_in_force(areas):
    _rule(areas["district"], 5)
    _rule(areas["town_a"], 7, published=False)
    _rule(areas["village_a1"], 9, valid_to=dt.date(2026, 2, 28))

    assert rule_for(area=areas["village_a2"], code=CODE, on=dt.date(2026, 3, 1)).points == 5
    assert rule_for(area=areas["village_a1"], code=CODE, on=dt.date(2026, 2, 28)).points == 9
    assert rule_for(area=areas["village_a1"], code=CODE, on=dt.date(2026, 3, 1)).points == 5


# --- Versions and validity ----------------------------------------------------------------------


def test_editing_adds_a_version_and_old_awards_keep_theirs(areas, household):
    v1 = _rule(areas["district"], 5)
    award = _award_at(household, v1.points, _at(2026, 3, 10), v1)

    v2 = rule_version_create(rule=v1.rule, actor=None, points=8)

    assert (v2.version, v2.points, v2.name, v2.valid_from) == (2, 8, v1.name, v1.valid_from)
    assert EarningRuleVersion.objects.get(pk=v1.pk).points == 5
    assert rule_for(area=household.village, code=CODE, on=dt.date(2026, 3, 11)) == v2
    award.refresh_from_db()
    assert (award.rule_code, award.rule_version) == (CODE, 1)


def test_a_new_version_takes_over_on_its_valid_from_date(areas):
    v1 = _rule(areas["district"], 5)
    rule_version_create(rule=v1.rule, actor=None, points=6, valid_from=dt.date(2026, 4, 1))
    village = areas["village_a1"]

    assert rule_for(area=village, code=CODE, on=dt.date(2026, 3, 31)).version == 1
    assert rule_for(area=village, code=CODE, on=dt.date(2026, 4, 1)).version == 2
    assert rule_for(area=village, code=CODE, on=dt.date(2025, 12, 31)) is None


def test_a_rule_ends_after_its_valid_to_date(areas, household):
    version = _rule(areas["district"], 5, valid_to=dt.date(2026, 6, 30))

    assert rule_for(area=household.village, code=CODE, on=dt.date(2026, 6, 30)) == version
    assert rule_for(area=household.village, code=CODE, on=dt.date(2026, 7, 1)) is None
    assert rule_award_amount(household=household, version=version, on=dt.date(2026, 7, 1)) == 0


def test_bad_terms_are_refused(areas):
    from django.core.exceptions import ValidationError

    version = _rule(areas["district"], 5)
    with pytest.raises(ValidationError):
        rule_version_create(
            rule=version.rule, actor=None, valid_from=JAN_1, valid_to=dt.date(2025, 1, 1)
        )
    with pytest.raises(ValidationError):
        rule_version_create(rule=version.rule, actor=None, points=0)
    assert version.rule.versions.count() == 1


# --- Caps ---------------------------------------------------------------------------------------


def _earn(household, version, when):
    """What a caller does: ask the amount, then award it."""
    amount = rule_award_amount(household=household, version=version, on=when.date())
    if amount > 0:
        _award_at(household, amount, when, version)
    return amount


def test_daily_cap(areas, household):
    version = _rule(areas["district"], 10, cap_per_day=25)

    amounts = [_earn(household, version, _at(2026, 3, 10, hour)) for hour in (8, 9, 10, 11)]

    assert amounts == [10, 10, 5, 0]
    assert _earn(household, version, _at(2026, 3, 11, 8)) == 10
    assert household_account(household).balance == 35


def test_monthly_and_yearly_caps(areas, household):
    version = _rule(areas["district"], 10, cap_per_month=25, cap_per_year=40)

    march = [_earn(household, version, _at(2026, 3, day)) for day in (1, 2, 3, 4)]
    april = [_earn(household, version, _at(2026, 4, day)) for day in (1, 2)]

    assert march == [10, 10, 5, 0]
    assert april == [10, 5]
    assert cap_remaining(household=household, version=version, on=dt.date(2026, 5, 1)) == 0
    assert cap_remaining(household=household, version=version, on=dt.date(2027, 1, 1)) == 25


def test_caps_count_local_days_and_ignore_other_rules_and_reversed_awards(areas, household):
    version = _rule(areas["district"], 10, cap_per_day=10)
    late = _award_at(household, 10, _at(2026, 3, 10, 23, 30), version)  # 15:30 UTC
    _award_at(household, 10, _at(2026, 3, 11, 9), code="class-attended")

    assert cap_remaining(household=household, version=version, on=dt.date(2026, 3, 10)) == 0
    assert cap_remaining(household=household, version=version, on=dt.date(2026, 3, 11)) == 10

    points_reverse(original=late, reason="记错了", idempotency_key="undo-late", actor=None)
    assert cap_remaining(household=household, version=version, on=dt.date(2026, 3, 10)) == 10


def test_uncapped_rule_has_no_remaining_limit(areas, household):
    version = _rule(areas["district"], 10)
    assert cap_remaining(household=household, version=version, on=dt.date(2026, 3, 10)) is None


def test_deduction_never_takes_a_household_below_zero(areas, household):
    deduction = _rule(areas["district"], 20, code="sorting-wrong", kind=EarningRule.Kind.DEDUCT)
    on = dt.date(2026, 3, 10)

    assert rule_award_amount(household=household, version=deduction, on=on) == 0
    _award_at(household, 8, _at(2026, 3, 9), code="class-attended")
    assert rule_award_amount(household=household, version=deduction, on=on) == -8
    _award_at(household, 30, _at(2026, 3, 9), code="class-attended")
    assert rule_award_amount(household=household, version=deduction, on=on) == -20


# --- What if ------------------------------------------------------------------------------------


def test_preview_replays_last_months_events_under_new_terms(areas, household):
    current = _rule(areas["district"], 10)
    other = make_household(areas["village_b"], head_name="赵大海")
    overridden = make_household(areas["village_a2"], head_name="孙小梅")
    _rule(areas["village_a2"], 4)

    for hour in (8, 9, 10):
        _award_at(household, 10, _at(2026, 3, 5, hour), current)
    _award_at(household, 10, _at(2026, 3, 6), current)
    _award_at(other, 10, _at(2026, 3, 20), current)
    _award_at(other, 10, _at(2026, 2, 28), current)  # the month before: not replayed
    _award_at(other, 10, _at(2026, 4, 1, 0, 30), current)  # the month after
    _award_at(overridden, 4, _at(2026, 3, 7), current)  # under the village's own rule
    reversed_award = _award_at(other, 10, _at(2026, 3, 21), current)
    points_reverse(original=reversed_award, reason="记错了", idempotency_key="undo", actor=None)
    transactions_before = LedgerTransaction.objects.count()

    proposed = EarningRuleVersion(rule=current.rule, points=6, cap_per_day=10, valid_from=JAN_1)
    preview = rule_preview(version=proposed, month=dt.date(2026, 3, 15))

    assert preview["month"] == dt.date(2026, 3, 1)
    assert preview["events"] == 5
    assert (preview["households_current"], preview["current_points"]) == (2, 50)
    # 6 + 4 (day cap) + 0 on the 5th, 6 on the 6th; 6 for the other household.
    assert (preview["households_proposed"], preview["proposed_points"]) == (2, 22)
    by_household = {row["household"]: row["proposed_points"] for row in preview["rows"]}
    assert by_household == {household: 16, other: 6}
    assert LedgerTransaction.objects.count() == transactions_before
    assert not EarningRuleVersion.objects.filter(points=6).exists()


def test_preview_counts_earlier_months_against_the_yearly_cap(areas, household):
    current = _rule(areas["district"], 10)
    _award_at(household, 10, _at(2026, 1, 5), current)
    _award_at(household, 10, _at(2026, 2, 5), current)
    _award_at(household, 10, _at(2026, 3, 5), current)
    _award_at(household, 10, _at(2026, 3, 6), current)

    proposed = EarningRuleVersion(rule=current.rule, points=10, cap_per_year=25, valid_from=JAN_1)
    preview = rule_preview(version=proposed, month=dt.date(2026, 3, 1))

    assert (preview["current_points"], preview["proposed_points"]) == (20, 5)


# --- The admin ----------------------------------------------------------------------------------


def _form_data(version, **changes):
    data = {
        "category": version.rule.category,
        "name": version.name,
        "description": version.description,
        "points": version.points,
        "cap_per_day": version.cap_per_day or "",
        "cap_per_month": version.cap_per_month or "",
        "cap_per_year": version.cap_per_year or "",
        "valid_from": version.valid_from.isoformat(),
        "valid_to": "",
        "auto_approve_up_to": "",
    }
    if version.rule.is_published:
        data["is_published"] = "on"
    data.update(changes)
    return data


@pytest.fixture
def town_rules(areas):
    return {"a": _rule(areas["town_a"], 7), "b": _rule(areas["town_b"], 8)}


@pytest.mark.parametrize("url_name", ["edit", "preview", "inspect", "history", "usage"])
def test_town_admin_gets_404_for_another_towns_rule(client, areas, town_rules, url_name):
    admin = make_staff(Role.TOWN_ADMIN, areas["town_a"])
    client.force_login(admin)
    url = reverse(f"points_rule:{url_name}", args=[town_rules["b"].rule.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, _form_data(town_rules["b"], points=99)).status_code == 404
    assert town_rules["b"].rule.versions.count() == 1


def test_town_admin_edit_adds_a_version_and_shows_the_history(client, areas, town_rules):
    admin = make_staff(Role.TOWN_ADMIN, areas["town_a"])
    client.force_login(admin)
    version = town_rules["a"]
    url = reverse("points_rule:edit", args=[version.rule.pk])

    response = client.post(url, _form_data(version, points=9, cap_per_day=18))

    assert response.status_code == 302
    versions = list(version.rule.versions.order_by("version").values_list("version", "points"))
    assert versions == [(1, 7), (2, 9)]
    latest = version.rule.versions.get(version=2)
    assert (latest.cap_per_day, latest.created_by) == (18, admin)
    page = client.get(url).content.decode()
    assert "v1" in page and "v2" in page


def test_saving_unchanged_terms_adds_no_version(client, areas, town_rules):
    client.force_login(make_staff(Role.TOWN_ADMIN, areas["town_a"]))
    version = town_rules["a"]
    url = reverse("points_rule:edit", args=[version.rule.pk])

    assert client.post(url, _form_data(version)).status_code == 302
    assert version.rule.versions.count() == 1


def test_preview_view_shows_the_table_and_saves_nothing(client, areas, town_rules, household):
    client.force_login(make_staff(Role.TOWN_ADMIN, areas["town_a"]))
    version = town_rules["a"]
    today = dt.datetime.now(CAMPAIGN_TZ).date()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=15)
    _award_at(household, 7, dt.datetime.combine(last_month, dt.time(10), CAMPAIGN_TZ), version)

    response = client.post(
        reverse("points_rule:preview", args=[version.rule.pk]), _form_data(version, points=3)
    )

    assert response.status_code == 200
    assert response.context["preview"]["proposed_points"] == 3
    assert response.context["preview"]["current_points"] == 7
    assert "data-rule-preview" in response.content.decode()
    assert version.rule.versions.count() == 1


def test_town_admin_reads_but_cannot_change_the_district_rule(client, areas):
    district_rule = _rule(areas["district"], 5)
    client.force_login(make_staff(Role.TOWN_ADMIN, areas["town_a"]))

    own = _rule(areas["town_a"], 7)
    inspect = reverse("points_rule:inspect", args=[district_rule.rule.pk])
    edit = reverse("points_rule:edit", args=[district_rule.rule.pk])

    listing = client.get(reverse("points_rule:index")).content.decode()
    assert f'href="{inspect}"' in listing and f'href="{edit}"' not in listing
    assert f'href="{reverse("points_rule:edit", args=[own.rule.pk])}"' in listing
    assert client.get(inspect).status_code == 200
    assert client.post(edit, _form_data(district_rule, points=50)).status_code == 404
    assert district_rule.rule.versions.count() == 1


def test_town_admin_creates_a_rule_only_in_their_town(client, areas):
    client.force_login(make_staff(Role.TOWN_ADMIN, areas["town_a"]))
    data = {
        "code": "courtyard-clean",
        "category": EarningRule.Category.COURTYARD,
        "kind": EarningRule.Kind.EARN,
        "is_published": "on",
        "name": "美家美院",
        "points": 20,
        "valid_from": "2026-01-01",
    }
    add = reverse("points_rule:add")

    refused = client.post(add, {**data, "area": areas["town_b"].pk})
    created = client.post(add, {**data, "area": areas["village_a1"].pk})

    assert refused.status_code == 200
    assert created.status_code == 302
    rule = EarningRule.objects.get(code="courtyard-clean")
    assert rule.area == areas["village_a1"]
    assert list(rule.versions.values_list("version", "points")) == [(1, 20)]


def test_committee_member_reads_rules_but_cannot_edit(client, areas, town_rules):
    member = make_staff(Role.COMMITTEE, areas["village_a1"])
    client.force_login(member)
    version = town_rules["a"]

    listing = client.get(reverse("points_rule:index"))
    assert listing.status_code == 200
    assert version.name in listing.content.decode()
    assert town_rules["b"].name not in listing.content.decode()

    inspect = reverse("points_rule:inspect", args=[version.rule.pk])
    assert f'href="{inspect}"' in listing.content.decode()
    assert client.get(inspect).status_code == 200

    # Wagtail answers a missing permission with a redirect to the dashboard.
    denied = reverse("wagtailadmin_home")
    edit = reverse("points_rule:edit", args=[version.rule.pk])
    assert client.get(edit).url == denied
    assert client.post(edit, _form_data(version, points=50)).url == denied
    assert client.post(reverse("points_rule:preview", args=[version.rule.pk])).url == denied
    assert client.get(reverse("points_rule:add")).url == denied
    assert version.rule.versions.count() == 1
