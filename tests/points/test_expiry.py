"""Points expiry: per-district policy, oldest points spent first, idempotent daily run, notices."""

import datetime as dt
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab
from django.core.exceptions import ValidationError
from django.utils import timezone

from meijia import sms
from points.models import Account, ExpiryNotice, ExpiryPolicy, LedgerTransaction
from points.selectors.ledger import ledger_problems_list
from points.services import points_award, points_spend
from points.services.expiry import household_expiry_get, points_expiry_run
from points.tasks import expire_points
from registry.models import Member
from tests.factories import MemberFactory, make_household, make_tree

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONG_AGO = dt.date(2000, 1, 1)


def _at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def _award(household, amount: int, on: dt.datetime, key: str) -> None:
    with patch("django.utils.timezone.now", return_value=on):
        points_award(
            household=household,
            amount=amount,
            reason="垃圾分类 优",
            idempotency_key=key,
            actor=None,
        )


def _spend(household, amount: int, on: dt.datetime, key: str) -> None:
    with patch("django.utils.timezone.now", return_value=on):
        points_spend(
            household=household,
            amount=amount,
            store_id=1,
            reason="兑换 洗衣粉",
            idempotency_key=key,
            actor=None,
        )


def _balance(household) -> int:
    return Account.objects.get(household=household).balance


def _expiries(household=None):
    entries = LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.EXPIRY)
    if household is not None:
        entries = entries.filter(postings__account__household=household)
    return entries


def _run(day: dt.date, capture):
    with capture(execute=True):
        return points_expiry_run(today=day)


@pytest.fixture
def household(tree):
    return make_household(tree["villages"][0], head_name="钱秀兰")


def _policy(tree, **kwargs) -> ExpiryPolicy:
    kwargs.setdefault("starts_on", LONG_AGO)
    policy = ExpiryPolicy(district=tree["district"], **kwargs)
    policy.full_clean()
    policy.save()
    return policy


def test_rolling_expiry_spends_the_oldest_points_first(
    tree, household, django_capture_on_commit_callbacks
):
    _policy(tree, mode="rolling", months=12)
    _award(household, 10, _at(dt.date(2025, 1, 10)), "jan")
    _award(household, 10, _at(dt.date(2025, 3, 10)), "mar")
    _spend(household, 5, _at(dt.date(2025, 4, 10)), "apr")  # uses 5 of January's 10

    soon = household_expiry_get(household=household, on=dt.date(2025, 12, 20))
    assert (soon.expired, soon.expiring_soon, soon.next_date) == (0, 5, dt.date(2026, 1, 10))

    assert _run(dt.date(2026, 1, 9), django_capture_on_commit_callbacks).points_expired == 0
    assert _balance(household) == 15

    summary = _run(dt.date(2026, 1, 10), django_capture_on_commit_callbacks)
    assert (summary.points_expired, summary.transactions) == (5, 1)
    assert _balance(household) == 10
    entry = _expiries(household).get()
    assert entry.idempotency_key == f"expiry:{household.pk}:2026-01-10"
    assert "2026-01-10" in entry.reason
    legs = dict(entry.postings.values_list("account__kind", "amount"))
    assert legs == {"household": -5, "expiry": 5}
    assert Account.objects.get(kind="expiry").area == tree["district"]

    assert _run(dt.date(2026, 3, 9), django_capture_on_commit_callbacks).points_expired == 0
    assert _balance(household) == 10

    summary = _run(dt.date(2026, 3, 10), django_capture_on_commit_callbacks)
    assert summary.points_expired == 10
    assert _balance(household) == 0
    assert _expiries(household).count() == 2
    assert ledger_problems_list()[0] == []


def test_yearly_expiry_on_march_31_counts_local_days(
    tree, household, django_capture_on_commit_callbacks
):
    _policy(tree, mode="yearly", month=3, day=31)
    _award(household, 10, _at(dt.date(2025, 2, 1)), "feb")
    _award(household, 5, _at(dt.date(2025, 12, 31), 23, 30), "new-year-eve")
    # 00:30 on 1 January in Shanghai is still 31 December in UTC: earned in 2026.
    _award(household, 7, _at(dt.date(2026, 1, 1), 0, 30), "new-year")

    assert _run(dt.date(2026, 3, 30), django_capture_on_commit_callbacks).points_expired == 0
    summary = _run(dt.date(2026, 3, 31), django_capture_on_commit_callbacks)
    assert summary.points_expired == 15
    assert _balance(household) == 7
    entry = _expiries(household).get()
    assert entry.idempotency_key == f"expiry:{household.pk}:2026-03-31"
    assert "2025" in entry.reason and "2026-03-31" in entry.reason

    # Missed days are caught up: a run a year later expires what 2026 earned, once.
    assert _run(dt.date(2027, 5, 1), django_capture_on_commit_callbacks).points_expired == 7
    assert _balance(household) == 0
    assert ledger_problems_list()[0] == []


def test_no_policy_or_policy_none_expires_nothing(
    tree, household, django_capture_on_commit_callbacks
):
    _award(household, 10, _at(dt.date(2020, 1, 10)), "old")
    assert _run(dt.date(2026, 1, 1), django_capture_on_commit_callbacks).households_checked == 0
    _policy(tree, mode="none")
    summary = _run(dt.date(2026, 1, 1), django_capture_on_commit_callbacks)
    assert (summary.households_checked, summary.points_expired) == (0, 0)
    assert _balance(household) == 10
    assert not _expiries().exists()
    assert not ExpiryNotice.objects.exists()
    assert household_expiry_get(household=household, on=dt.date(2026, 1, 1)).expired == 0


def test_running_twice_expires_once(tree, django_capture_on_commit_callbacks):
    _policy(tree, mode="rolling", months=6)
    households = [make_household(tree["villages"][i % 2], head_name="孙立") for i in range(3)]
    for index, household in enumerate(households):
        _award(household, 10 + index, _at(dt.date(2025, 1, 5)), f"a{index}")
        _award(household, 4, _at(dt.date(2025, 9, 1)), f"b{index}")

    first = _run(dt.date(2025, 7, 5), django_capture_on_commit_callbacks)
    assert (first.households_expired, first.points_expired, first.transactions) == (3, 33, 3)
    for day in (dt.date(2025, 7, 5), dt.date(2025, 7, 6), dt.date(2025, 8, 1)):
        again = _run(day, django_capture_on_commit_callbacks)
        assert (again.points_expired, again.transactions, again.failed) == (0, 0, [])
    assert [_balance(h) for h in households] == [4, 4, 4]
    assert _expiries().count() == 3
    assert ledger_problems_list()[0] == []


def test_expiry_only_touches_districts_with_a_policy(tree, django_capture_on_commit_callbacks):
    other = make_tree(villages=1)
    mine = make_household(tree["villages"][0])
    theirs = make_household(other["villages"][0])
    _policy(tree, mode="rolling", months=1)
    _award(mine, 3, _at(dt.date(2025, 1, 5)), "mine")
    _award(theirs, 3, _at(dt.date(2025, 1, 5)), "theirs")
    _run(dt.date(2025, 6, 1), django_capture_on_commit_callbacks)
    assert (_balance(mine), _balance(theirs)) == (0, 3)


def test_notice_is_texted_once_30_days_ahead_to_members_with_phones(
    tree, django_capture_on_commit_callbacks
):
    _policy(tree, mode="rolling", months=12)
    household = make_household(tree["villages"][0], head_name="周桂英", phone="13900000001")
    MemberFactory(household=household, relation=Member.Relation.SPOUSE, phone="13900000002")
    MemberFactory(household=household, relation=Member.Relation.SON, phone="")
    silent = make_household(tree["villages"][1], head_name="吴强")
    _award(household, 10, _at(dt.date(2025, 1, 10)), "h")
    _award(silent, 6, _at(dt.date(2025, 1, 10)), "s")

    assert _run(dt.date(2025, 12, 10), django_capture_on_commit_callbacks).notices == 0
    assert sms.outbox == []

    summary = _run(dt.date(2025, 12, 11), django_capture_on_commit_callbacks)
    assert (summary.notices, summary.texts) == (2, 2)
    assert sorted(message.phone for message in sms.outbox) == ["13900000001", "13900000002"]
    assert all("10" in m.text and "2026-01-10" in m.text for m in sms.outbox)
    notice = ExpiryNotice.objects.get(household=household)
    assert (notice.expires_on, notice.points, notice.recipients) == (dt.date(2026, 1, 10), 10, 2)
    assert ExpiryNotice.objects.get(household=silent).recipients == 0

    for day in (dt.date(2025, 12, 11), dt.date(2025, 12, 12), dt.date(2026, 1, 9)):
        assert _run(day, django_capture_on_commit_callbacks).notices == 0
    assert len(sms.outbox) == 2
    assert _balance(household) == 10  # told, not yet expired


def test_a_late_award_is_announced_late_but_once(
    tree, household, django_capture_on_commit_callbacks
):
    """Yearly on 15 January: points earned on 31 December expire 15 days later."""
    Member.objects.filter(household=household).update(phone="13900000009")
    _policy(tree, mode="yearly", month=1, day=15)
    _award(household, 8, _at(dt.date(2025, 12, 31)), "late")
    _run(dt.date(2026, 1, 1), django_capture_on_commit_callbacks)
    _run(dt.date(2026, 1, 2), django_capture_on_commit_callbacks)
    assert len(sms.outbox) == 1
    assert "2026-01-15" in sms.outbox[0].text


def test_a_new_policy_never_expires_points_unannounced(
    tree, household, django_capture_on_commit_callbacks
):
    """By default no point expires until 30 days after the policy is set."""
    _award(household, 10, _at(dt.date(2020, 1, 10)), "old")
    today = dt.date(2026, 5, 1)
    with patch("django.utils.timezone.localdate", return_value=today):
        policy = ExpiryPolicy.objects.create(district=tree["district"], mode="rolling", months=12)
    assert policy.starts_on == dt.date(2026, 5, 31)
    summary = _run(today, django_capture_on_commit_callbacks)
    assert (summary.points_expired, summary.notices) == (0, 1)
    assert ExpiryNotice.objects.get().expires_on == dt.date(2026, 5, 31)
    assert _run(dt.date(2026, 5, 31), django_capture_on_commit_callbacks).points_expired == 10


def test_the_task_runs_for_today_and_is_scheduled_daily(
    settings, tree, household, django_capture_on_commit_callbacks
):
    _policy(tree, mode="rolling", months=1)
    _award(household, 4, _at(dt.date(2025, 1, 10)), "a")
    real_localdate = timezone.localdate

    def localdate(value=None, timezone=None):
        return dt.date(2025, 3, 1) if value is None else real_localdate(value, timezone)

    with (
        patch("django.utils.timezone.localdate", side_effect=localdate),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = expire_points.delay().get()
    assert result["points_expired"] == 4
    entry = settings.CELERY_BEAT_SCHEDULE["expire-points-daily"]
    assert entry["task"] == "points.tasks.expire_points"
    assert entry["schedule"] == crontab(hour=1, minute=30)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"mode": "yearly", "month": 2, "day": 30}, "day"),
        ({"mode": "yearly", "month": None, "day": None}, "day"),
        ({"mode": "rolling", "months": None}, "months"),
        ({"mode": "rolling", "months": 0}, "months"),
    ],
)
def test_policy_is_validated(tree, fields, field):
    policy = ExpiryPolicy(district=tree["district"], **fields)
    with pytest.raises(ValidationError) as raised:
        policy.full_clean()
    assert field in raised.value.message_dict


def test_policy_belongs_to_a_district(tree):
    policy = ExpiryPolicy(district=tree["town"], mode="rolling", months=12)
    with pytest.raises(ValidationError) as raised:
        policy.clean()
    assert "district" in raised.value.message_dict


def test_expiry_dates_clamp_to_the_end_of_short_months(tree):
    rolling = ExpiryPolicy(district=tree["district"], mode="rolling", months=1, starts_on=LONG_AGO)
    assert rolling.expires_on(dt.date(2025, 1, 31)) == dt.date(2025, 2, 28)
    assert rolling.expires_on(dt.date(2025, 12, 15)) == dt.date(2026, 1, 15)
    leap = ExpiryPolicy(
        district=tree["district"], mode="yearly", month=2, day=29, starts_on=LONG_AGO
    )
    assert leap.expires_on(dt.date(2026, 6, 1)) == dt.date(2027, 2, 28)
    assert leap.expires_on(dt.date(2027, 6, 1)) == dt.date(2028, 2, 29)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_redemption_between_reading_and_expiring_is_not_expired_twice():
    """A shop spends 3 points after the run read the lots but before it locked the account: the
    run reads again, so the redemption's points are not taken a second time."""
    import threading

    from django.db import connections

    from points.services import expiry

    tree = make_tree(villages=1)
    household = make_household(tree["villages"][0])
    _policy(tree, mode="rolling", months=12)
    _award(household, 10, _at(dt.date(2025, 1, 10)), "jan")
    _award(household, 10, _at(dt.date(2025, 3, 10)), "mar")
    real_lots = expiry.household_lots_list
    calls = []

    def lots_then_a_redemption(**kwargs):
        lots = real_lots(**kwargs)
        calls.append(kwargs)
        if len(calls) == 1:
            errors = []

            def shop():
                try:
                    _spend(household, 3, _at(dt.date(2026, 1, 10), 1, 30), "shop")
                except Exception as error:  # noqa: BLE001 - reported below
                    errors.append(error)
                finally:
                    connections.close_all()

            thread = threading.Thread(target=shop)
            thread.start()
            thread.join(timeout=60)
            assert not errors, errors
        return lots

    with patch.object(expiry, "household_lots_list", side_effect=lots_then_a_redemption):
        summary = points_expiry_run(today=dt.date(2026, 1, 10))
    assert len(calls) == 2
    assert summary.points_expired == 7
    assert _balance(household) == 10
    assert ledger_problems_list()[0] == []


@pytest.mark.django_db
def test_district_admin_sets_the_policy_in_the_work_desk(client, tree):
    from django.urls import reverse

    from points.models import ExpiryPolicy
    from tests.factories import Role, force_login_with_totp, make_staff, make_tree

    admin = make_staff(Role.DISTRICT_ADMIN, tree["district"])
    force_login_with_totp(client, admin)
    response = client.post(
        reverse("points_expiry:add"),
        {
            "district": tree["district"].pk,
            "mode": "rolling",
            "months": "12",
            "starts_on": "2027-01-01",
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    policy = ExpiryPolicy.objects.get(district=tree["district"])
    assert (policy.mode, policy.months) == ("rolling", 12)
    other = make_tree(villages=1)["district"]
    foreign = ExpiryPolicy.objects.create(district=other, mode="none")
    assert client.get(reverse("points_expiry:edit", args=[foreign.pk])).status_code == 404
    committee = make_staff(Role.COMMITTEE, tree["villages"][0])
    client.force_login(committee)
    assert client.get(reverse("points_expiry:index")).status_code == 302
