"""Preferences per person, quiet hours (21:00-08:00 Asia/Shanghai), a daily cap per phone, and
messages waiting for a villager's first sign-in."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from meijia import sms
from outbox import services
from outbox.models import Delivery, Message, Preference
from outbox.services import deliveries_send_due, inbox_claim, message_send, preferences_save
from tests.factories import UserFactory, make_household, make_tree

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int = 0, day: int = 1) -> dt.datetime:
    """``hour``:``minute`` in Shanghai ``day`` days from today (never in the past of a row
    written now, whatever today is)."""
    on = timezone.localdate() + dt.timedelta(days=day)
    return dt.datetime.combine(on, dt.time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture
def policy(monkeypatch):
    """The production policy (the suite's conftest lifts it for every other test)."""
    monkeypatch.setattr(services, "QUIET_FROM", 21)
    monkeypatch.setattr(services, "QUIET_UNTIL", 8)
    monkeypatch.setattr(services, "SMS_DAILY_CAP", 10)


@pytest.fixture
def household():
    village = make_tree()["villages"][0]
    return make_household(village, head_name="张建明", phone="13800000011")


def _receipt(household):
    return message_send(
        template="shops.redemption",
        data={"store": "杏花村美家超市", "receipt": "261203-AAAAAA", "points": 20},
        households=[household],
    )


def test_a_person_turns_off_sms_for_a_topic_and_keeps_the_inbox(household, worker_mode):
    villager = UserFactory(phone="13800000011", phone_verified=True)
    preferences_save(
        user=villager, wanted={("shop", "inbox"), ("points", "inbox"), ("points", "sms")}
    )
    _receipt(household)
    message = Message.objects.get()
    assert (message.user, message.is_in_inbox, message.channels) == (villager, True, ["inbox"])
    assert not Delivery.objects.exists()
    # Another topic keeps its defaults.
    message_send(template="points.approved", data={"points": 5, "reason": "优"}, users=[villager])
    assert Delivery.objects.count() == 1
    # Turning everything off for a topic writes nothing for that person.
    preferences_save(user=villager, wanted=set())
    assert message_send(template="points.approved", data={"points": 1}, users=[villager]) == 0


def test_sign_in_codes_ignore_preferences(worker_mode):
    user = UserFactory(phone="13800000012")
    preferences_save(user=user, wanted=set())
    message_send(
        template="account.login_code",
        data={"code": "123456", "minutes": 5},
        users=[user],
        channels=["sms"],
    )
    assert Delivery.objects.count() == 1


def test_no_sms_in_quiet_hours_held_until_eight_not_dropped(household, worker_mode, policy):
    _receipt(household)
    delivery = Delivery.objects.get()
    assert deliveries_send_due(now=at(21, 30)) == 0
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == at(8, 0, day=2)
    assert (delivery.state, delivery.attempts, delivery.reason) == ("pending", 0, "quiet hours")
    assert deliveries_send_due(now=at(7, 59, day=2)) == 0
    assert deliveries_send_due(now=at(8, 0, day=2)) == 1
    assert len(sms.outbox) == 1


def test_sign_in_codes_go_at_night(worker_mode, policy):
    message_send(
        template="account.login_code",
        data={"code": "123456", "minutes": 5},
        phones=["13800000012"],
        channels=["sms"],
    )
    assert deliveries_send_due(now=at(23, 15)) == 1


def test_a_daily_cap_per_phone_holds_the_rest_until_the_next_morning(
    household, worker_mode, monkeypatch, policy
):
    monkeypatch.setattr(services, "SMS_DAILY_CAP", 2)
    for _index in range(3):
        message_send(template="points.ledger_problems", data={"count": 1}, phones=["13800000013"])
    _receipt(household)  # another phone is not capped
    assert deliveries_send_due(now=at(10)) == 3
    held = Delivery.objects.get(state="pending")
    assert (held.reason, held.next_attempt_at) == ("daily cap", at(8, day=2))
    assert sorted(text.phone for text in sms.outbox) == ["13800000011"] + ["13800000013"] * 2
    assert deliveries_send_due(now=at(8, day=2)) == 1


def test_messages_before_the_first_sign_in_join_the_inbox(household, client):
    _receipt(household)
    message = Message.objects.get()
    assert message.user is None and message.is_in_inbox
    villager = UserFactory(phone="13800000011", phone_verified=True)
    stranger = UserFactory(phone="13800000019", phone_verified=True)
    assert inbox_claim(user=stranger) == 0
    assert inbox_claim(user=villager) == 1
    message.refresh_from_db()
    assert message.user == villager


def test_the_settings_page_saves_only_known_choices(client):
    user = UserFactory(phone="13800000014")
    client.force_login(user)
    html = client.get(reverse("outbox:preferences")).content.decode()
    assert 'value="points:sms" checked' in html and 'value="pages:sms"' in html
    response = client.post(
        reverse("outbox:preferences"),
        {"wanted": ["points:inbox", "nonsense:sms", "x" * 5000]},
    )
    assert response.status_code == 302
    # A NUL byte never reaches the view: the bad-input gate answers 400 (meijia.hardening).
    refused = client.post(reverse("outbox:preferences"), {"wanted": ["points\x00:sms"]})
    assert refused.status_code == 400
    chosen = {(p.topic, p.channel): p.is_wanted for p in Preference.objects.filter(user=user)}
    assert chosen[("points", "inbox")] is True and chosen[("points", "sms")] is False
    assert all(topic != "nonsense" for topic, _channel in chosen)
