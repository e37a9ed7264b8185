"""The outbox: messages written with their event, sent once, retried, then failed with a reason."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from meijia import sms
from outbox import services
from outbox.catalogue import CATALOGUE, SMS_CHARS
from outbox.models import Channel, Delivery, Message
from outbox.services import deliveries_send_due, message_send, message_text
from registry.models import Member
from tests.factories import MemberFactory, UserFactory, make_household, make_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def household():
    village = make_tree()["villages"][0]
    household = make_household(village, head_name="张建明", phone="13800000011")
    MemberFactory(
        household=household, name="李秀英", relation=Member.Relation.SPOUSE, phone="13800000012"
    )
    MemberFactory(household=household, name="张小明", relation=Member.Relation.SON, phone="")
    return household


def _redemption(household, **kwargs):
    return message_send(
        template="shops.redemption",
        data={"store": "杏花村美家超市", "receipt": "261203-AAAAAA", "points": 20},
        households=[household],
        **kwargs,
    )


class _Refusal(Exception):
    pass


def test_a_rolled_back_event_sends_nothing(household, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(_Refusal),
        transaction.atomic(),
    ):
        _redemption(household)
        raise _Refusal
    assert not Message.objects.exists()
    assert not Delivery.objects.exists()
    assert sms.outbox == []


def test_a_committed_event_is_sent_on_commit_once_to_each_phone(
    household, django_capture_on_commit_callbacks
):
    villager = UserFactory(phone="13800000012", phone_verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert _redemption(household) == 2
    assert sorted(text.phone for text in sms.outbox) == ["13800000011", "13800000012"]
    assert all("261203-AAAAAA" in text.text for text in sms.outbox)
    # The phone with an account also reaches that account's inbox; the other has no account.
    assert list(Message.objects.filter(user__isnull=False).values_list("user", flat=True)) == [
        villager.pk
    ]
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.SENT}
    assert deliveries_send_due() == 0
    assert len(sms.outbox) == 2


def test_heads_only_and_a_person_reached_twice_gets_one_message(household):
    head = UserFactory(phone="13800000011", phone_verified=True)
    assert _redemption(household, heads_only=True, users=[head]) == 1
    message = Message.objects.get()
    assert (message.user, message.phone, message.is_in_inbox) == (head, "13800000011", True)


def test_in_worker_mode_the_request_sends_nothing_and_beat_does(
    household, worker_mode, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _redemption(household)
    assert sms.outbox == []
    assert deliveries_send_due() == 2
    assert len(sms.outbox) == 2


def test_a_failing_gateway_is_retried_with_back_off_then_failed_with_its_reason(
    household, worker_mode, monkeypatch
):
    calls = []

    def refuse(self, message):
        calls.append(message.phone)
        raise sms.SmsGatewayError("gateway answered 503")

    monkeypatch.setattr(sms.LocmemBackend, "send", refuse)
    message_send(
        template="points.ledger_problems",
        data={"count": 3},
        users=[UserFactory(phone="13800000077")],
    )
    delivery = Delivery.objects.get()
    now = timezone.now()
    waits = []
    for attempt in range(1, services.MAX_ATTEMPTS + 1):
        assert deliveries_send_due(now=now) == 0
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        assert delivery.reason == "gateway answered 503"
        if attempt < services.MAX_ATTEMPTS:
            assert delivery.state == Delivery.State.PENDING
            # Not again before its time.
            assert deliveries_send_due(now=delivery.next_attempt_at - dt.timedelta(seconds=1)) == 0
            waits.append(delivery.next_attempt_at - now)
            now = delivery.next_attempt_at
    assert delivery.state == Delivery.State.FAILED
    assert waits == sorted(waits) and waits[0] < waits[-1]  # backing off
    assert len(calls) == services.MAX_ATTEMPTS
    assert deliveries_send_due(now=now + dt.timedelta(days=1)) == 0
    assert len(calls) == services.MAX_ATTEMPTS


def test_a_gateway_that_recovers_sends_on_the_next_attempt(household, worker_mode, monkeypatch):
    failures = iter([sms.SmsGatewayError("timed out")])

    def flaky(self, message):
        for error in failures:
            raise error
        sms.outbox.append(message)

    monkeypatch.setattr(sms.LocmemBackend, "send", flaky)
    message_send(template="points.ledger_problems", data={"count": 1}, phones=["13800000077"])
    assert deliveries_send_due() == 0
    delivery = Delivery.objects.get()
    assert deliveries_send_due(now=delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.sent_at is not None) == ("sent", 2, True)
    assert len(sms.outbox) == 1


def test_a_sign_in_code_is_sent_at_once_even_with_a_broker_and_not_kept(
    worker_mode, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message_send(
            template="account.login_code",
            data={"code": "654321", "minutes": 5},
            phones=["13800000077"],
            channels=[Channel.SMS],
            send_now=True,
        )
    assert len(sms.outbox) == 1 and "654321" in sms.outbox[0].text
    message = Message.objects.get()
    assert message.is_in_inbox is False
    assert "code" not in message.data  # recorded, but the code itself is not kept


def test_message_data_never_carries_a_full_phone_or_id_number(household):
    message_send(
        template="points.ledger_problems",
        data={"count": "联系13800000011或110101199003074258"},
        phones=["13800000077"],
    )
    assert Message.objects.get().data == {"count": "联系138****0011或110***********4258"}
    with pytest.raises(ValueError):
        message_send(template="no.such.template", phones=["13800000011"])
    assert Message.objects.count() == 1


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_template_fits_one_sms(key):
    template = CATALOGUE[key]
    message = Message(template=key, data=template.sample)
    with translation.override("zh-hans"):
        chinese = message_text(message=message, clip=True)
    with translation.override("en"):
        english = message_text(message=message, clip=True)
    assert "%(" not in chinese and "%(" not in english
    assert chinese != english  # translated
    assert len(chinese) <= SMS_CHARS, chinese
    assert len(english) <= 160, english


def test_long_names_are_cut_for_sms_but_not_in_the_inbox():
    message = Message(
        template="shops.low_stock",
        data={
            "store": "杏花村美家超市第一分店东门",
            "item": "特大号家庭装洗衣粉五公斤",
            "left": 3,
            "unit": "袋",
        },
    )
    with translation.override("zh-hans"):
        assert len(message_text(message=message, clip=True)) <= SMS_CHARS
        assert "杏花村美家超市第一分店东门" in message_text(message=message)


def test_the_beat_schedule_sends_the_outbox_every_few_seconds():
    entry = settings.CELERY_BEAT_SCHEDULE["send-outbox"]
    assert entry["task"] == "outbox.tasks.send_due"
    assert entry["schedule"] <= 10
    assert "send-redemption-notices" not in settings.CELERY_BEAT_SCHEDULE
