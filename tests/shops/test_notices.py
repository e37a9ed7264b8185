"""Redemption texts go out from the redemption rows (an outbox), not from the counter's request."""

import pytest

from meijia import sms
from meijia.celery import app
from shops.models import Redemption
from shops.services.notify import redemption_notices_send
from shops.services.redemptions import redemption_void
from tests.shops.factories import make_shop_world, redeem_soap

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker_mode():
    """As in production: tasks go to a broker and beat sends the notices (not eagerly)."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = eager


def test_a_confirmation_leaves_its_text_to_the_outbox(
    worker_mode, django_capture_on_commit_callbacks
):
    world = make_shop_world(balance=100, stock=10)
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        redemption = redeem_soap(world, "a" * 32)
    # Nothing was sent or queued by the request: the row waits for the beat task.
    assert sms.outbox == []
    assert Redemption.objects.get(pk=redemption.pk).notified_at is None
    app.conf.task_always_eager = True  # the SMS task itself runs inline in the test
    with django_capture_on_commit_callbacks(execute=True):
        assert redemption_notices_send() == 1
    assert [message.phone for message in sms.outbox] == ["13800000011"]
    assert redemption.receipt_number in sms.outbox[0].text
    assert Redemption.objects.get(pk=redemption.pk).notified_at is not None
    # Sent once: the next run finds nothing due.
    with django_capture_on_commit_callbacks(execute=True):
        assert redemption_notices_send() == 0
    assert len(sms.outbox) == 1


def test_a_void_is_texted_once_after_the_redemption(django_capture_on_commit_callbacks):
    world = make_shop_world(balance=100, stock=10)
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        redemption = redeem_soap(world, "b" * 32)
    with django_capture_on_commit_callbacks(execute=True):
        redemption_void(redemption=redemption, actor=world["keeper"], reason="拿错了")
    texts = [message.text for message in sms.outbox]
    assert len(texts) == 2
    assert redemption.receipt_number in texts[1] and "已退回" in texts[1]
    row = Redemption.objects.get(pk=redemption.pk)
    assert row.notified_at is not None and row.void_notified_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert redemption_notices_send() == 0


def test_a_household_without_a_phone_is_marked_and_not_retried(django_capture_on_commit_callbacks):
    world = make_shop_world(balance=100, stock=10)
    world["household"].members.update(phone="")
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        redemption = redeem_soap(world, "c" * 32)
    assert sms.outbox == []
    assert Redemption.objects.get(pk=redemption.pk).notified_at is not None


def test_the_beat_schedule_sends_notices_every_few_seconds():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["send-redemption-notices"]
    assert entry["task"] == "shops.tasks.send_redemption_notices"
    assert entry["schedule"] <= 10
