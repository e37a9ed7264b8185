"""The WeChat channel (wechatpy) with its HTTP calls mocked: a linked person gets the template
message instead of the SMS; a refusal falls back to SMS; a network error is retried."""

import json

import pytest
import requests
from allauth.socialaccount.models import SocialAccount

from meijia import sms
from outbox.models import Delivery, Message
from outbox.services import deliveries_send_due, message_send
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class _Response:
    status_code = 200
    request = None
    headers: dict = {}

    def __init__(self, body: dict):
        self.body = body
        self.content = json.dumps(body).encode()

    def json(self) -> dict:
        return self.body

    def raise_for_status(self) -> None:
        return None


@pytest.fixture
def wechat(settings, monkeypatch):
    settings.WEIXIN_APP_ID = "wx-test-app"
    settings.WEIXIN_APP_SECRET = "test-secret"
    settings.WEIXIN_NOTICE_TEMPLATE_ID = "tpl-notice"
    calls: list[dict] = []
    answers = {"send": [{"errcode": 0, "errmsg": "ok", "msgid": 1}]}

    def request(self, method, url, **kwargs):
        if "/cgi-bin/token" in url:
            return _Response({"access_token": "token-1", "expires_in": 7200})
        body = json.loads(kwargs["data"].decode())
        calls.append({"url": url, "body": body, "token": kwargs["params"]["access_token"]})
        answer = answers["send"].pop(0) if len(answers["send"]) > 1 else answers["send"][0]
        if answer == "down":
            raise requests.ConnectionError("api.weixin.qq.com unreachable")
        return _Response(answer)

    monkeypatch.setattr(requests.Session, "request", request)
    return {"calls": calls, "answers": answers}


@pytest.fixture
def linked(db):
    user = UserFactory(phone="13800000041", phone_verified=True)
    SocialAccount.objects.create(user=user, provider="weixin", uid="openid-41")
    return user


def _notify(user):
    message_send(template="points.approved", data={"points": 5, "reason": "优"}, users=[user])


def test_a_linked_person_gets_a_template_message_instead_of_the_sms(wechat, linked, worker_mode):
    unlinked = UserFactory(phone="13800000042")
    _notify(linked)
    _notify(unlinked)
    channels = dict(Delivery.objects.values_list("message__user", "channel"))
    assert channels == {linked.pk: "wechat", unlinked.pk: "sms"}
    assert deliveries_send_due() == 2
    [call] = wechat["calls"]
    assert call["body"]["touser"] == "openid-41" and call["body"]["template_id"] == "tpl-notice"
    assert "5" in call["body"]["data"]["keyword1"]["value"]
    assert call["token"] == "token-1"
    assert [text.phone for text in sms.outbox] == ["13800000042"]


def test_wechat_refusal_falls_back_to_sms_once(wechat, linked, worker_mode):
    wechat["answers"]["send"] = [{"errcode": 43004, "errmsg": "require subscribe"}]
    _notify(linked)
    assert deliveries_send_due() == 1  # the SMS that replaced it
    states = dict(Delivery.objects.values_list("channel", "state"))
    assert states == {"wechat": "failed", "sms": "sent"}
    assert Delivery.objects.get(channel="wechat").reason == "wechat 43004"
    assert [text.phone for text in sms.outbox] == ["13800000041"]
    assert deliveries_send_due() == 0


def test_wechat_network_errors_are_retried(wechat, linked, worker_mode):
    wechat["answers"]["send"] = ["down", {"errcode": 0, "errmsg": "ok", "msgid": 2}]
    _notify(linked)
    assert deliveries_send_due() == 0
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert deliveries_send_due(now=delivery.next_attempt_at) == 1
    assert Delivery.objects.get().state == "sent" and sms.outbox == []


def test_without_the_account_configured_it_is_sms(linked, worker_mode):
    _notify(linked)
    assert Message.objects.get().channels == ["inbox", "sms"]
