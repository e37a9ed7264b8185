"""Redemption texts are written into the outbox with the redemption and sent after commit."""

import pytest
from allauth.socialaccount.models import SocialAccount

from meijia import sms
from outbox.models import Delivery, Message
from outbox.services import deliveries_send_due, preferences_save
from shops.exceptions import ShopError
from shops.services.redemptions import redemption_void
from tests.factories import UserFactory
from tests.shops.factories import make_shop_world, redeem_soap

pytestmark = pytest.mark.django_db


def test_a_confirmation_writes_its_text_into_the_outbox(
    worker_mode, django_capture_on_commit_callbacks
):
    world = make_shop_world(balance=100, stock=10)
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        redemption = redeem_soap(world, "a" * 32)
    # Nothing was sent or queued by the request: the row waits for the beat task.
    assert sms.outbox == []
    message = Message.objects.get(template="shops.redemption")
    assert message.phone == "13800000011"
    assert message.data["receipt"] == redemption.receipt_number
    assert message.deliveries.get().state == Delivery.State.PENDING
    assert deliveries_send_due() == 1
    assert [text.phone for text in sms.outbox] == ["13800000011"]
    assert redemption.receipt_number in sms.outbox[0].text
    assert message.deliveries.get().state == Delivery.State.SENT
    # Sent once: the next run finds nothing due.
    assert deliveries_send_due() == 0
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
    assert deliveries_send_due() == 0


def test_a_refused_confirmation_writes_no_message(django_capture_on_commit_callbacks):
    world = make_shop_world(balance=5, stock=10)
    with pytest.raises(ShopError), django_capture_on_commit_callbacks(execute=True):
        redeem_soap(world, "d" * 32)
    assert not Message.objects.exists()
    assert sms.outbox == []


def test_a_household_without_a_phone_gets_no_text(django_capture_on_commit_callbacks):
    world = make_shop_world(balance=100, stock=10)
    world["household"].members.update(phone="")
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        redeem_soap(world, "c" * 32)
    assert sms.outbox == []
    assert not Delivery.objects.exists()


def test_a_retried_confirmation_writes_no_second_message(django_capture_on_commit_callbacks):
    world = make_shop_world(balance=100, stock=10)
    with django_capture_on_commit_callbacks(execute=True):
        first = redeem_soap(world, "e" * 32)
    with django_capture_on_commit_callbacks(execute=True):
        again = redeem_soap(world, "e" * 32)
    assert again.pk == first.pk
    assert Message.objects.filter(template="shops.redemption").count() == 1
    assert Delivery.objects.count() == 1


def test_the_receipt_text_keeps_the_villagers_choice(django_capture_on_commit_callbacks):
    """Written in the confirmation's own statement, the text still follows the person's
    choices: inbox only when they turned SMS off for the shop."""
    world = make_shop_world(balance=100, stock=10)
    user = UserFactory(phone="13800000011", phone_verified=True)
    preferences_save(user=user, wanted={("shop", "inbox")})
    with django_capture_on_commit_callbacks(execute=True):
        redemption = redeem_soap(world, "f" * 32)
    message = Message.objects.get(template="shops.redemption")
    assert (message.user, message.is_in_inbox, message.channels) == (user, True, ["inbox"])
    assert message.data == {
        "store": world["store"].name,
        "receipt": redemption.receipt_number,
        "points": redemption.points,
    }
    assert not Delivery.objects.exists()


def test_with_wechat_on_the_receipt_text_is_written_the_general_way(
    settings, django_capture_on_commit_callbacks
):
    settings.WEIXIN_APP_ID = "wx-test-app"
    settings.WEIXIN_APP_SECRET = "test-secret"
    settings.WEIXIN_NOTICE_TEMPLATE_ID = "tpl-notice"
    world = make_shop_world(balance=100, stock=10)
    user = UserFactory(phone="13800000011", phone_verified=True)
    SocialAccount.objects.create(user=user, provider="weixin", uid="openid-11")
    with django_capture_on_commit_callbacks(execute=False):
        redemption = redeem_soap(world, "g" * 32)
    message = Message.objects.get(template="shops.redemption")
    assert message.data["points"] == redemption.points
    assert message.deliveries.get().channel == "wechat"
