"""Signing in: villagers by phone and SMS code, staff by password (TOTP for district admins),
WeChat when configured."""

import re
from unittest import mock

import pytest
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from meijia import sms
from registry.models import RoleAssignment, User
from tests.factories import Role, UserFactory, make_household, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def villager_household(tree):
    return make_household(tree["villages"][0], head_name="孙桂兰", phone="13900000001")


def _request_code(client, phone):
    return client.post(reverse("account_request_login_code"), {"phone": phone})


def _code_from_outbox() -> str:
    assert sms.outbox, "no SMS was sent"
    match = re.search(r"\b(\d{6})\b", sms.outbox[-1].text)
    assert match, sms.outbox[-1].text
    return match.group(1)


def test_registered_villager_signs_in_with_phone_and_code(
    client, villager_household, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _request_code(client, "139 0000 0001")
    assert response.status_code == 302
    assert sms.outbox[-1].phone == "13900000001"
    code = _code_from_outbox()

    response = client.post(reverse("account_confirm_login_code"), {"code": code}, follow=True)
    assert response.status_code == 200
    user = User.objects.get(phone="13900000001")
    assert user.phone_verified
    assert not user.has_usable_password()
    assert RoleAssignment.objects.filter(user=user, household=villager_household).exists()
    page = client.get("/", follow=True).content.decode()
    assert "孙桂兰" in page


def test_full_width_digits_and_country_code_are_accepted(
    client, villager_household, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _request_code(client, "+86 １３９００００００01")
    assert response.status_code == 302
    assert sms.outbox[-1].phone == "13900000001"


def test_unknown_phone_gets_no_account_and_no_code(
    client, villager_household, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _request_code(client, "13700000000")
    assert not User.objects.filter(phone="13700000000").exists()
    # Enumeration prevention: the page looks the same, but the text carries no code.
    assert not re.search(r"\b\d{6}\b", sms.outbox[-1].text)


def test_malformed_phone_is_refused_in_plain_words(client, villager_household):
    response = _request_code(client, "12345")
    assert response.status_code == 200
    assert not sms.outbox
    assert "11" in response.content.decode()


def test_wrong_codes_end_the_attempt(
    client, villager_household, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _request_code(client, "13900000001")
    code = _code_from_outbox()
    wrong = "000000" if code != "000000" else "111111"
    for _attempt in range(3):
        client.post(reverse("account_confirm_login_code"), {"code": wrong})
    # After the allowed attempts even the right code no longer signs in.
    client.post(reverse("account_confirm_login_code"), {"code": code})
    assert "_auth_user_id" not in client.session


def test_requesting_codes_is_rate_limited(
    client, villager_household, django_capture_on_commit_callbacks
):
    # Each request from a fresh session, as a script trying to flood a number would.
    with django_capture_on_commit_callbacks(execute=True):
        for _attempt in range(3):
            client.cookies.clear()
            assert _request_code(client, "13900000001").status_code == 302
    assert len(sms.outbox) == 3
    client.cookies.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = _request_code(client, "13900000001")
    assert response.status_code in (200, 429)
    assert len(sms.outbox) == 3


def test_staff_sign_in_with_username_or_phone_and_password(client, tree):
    committee = make_staff(
        Role.COMMITTEE, tree["villages"][0], phone="13800000009", phone_verified=True
    )
    response = client.post(
        reverse("account_login"), {"login": committee.username, "password": "pass-word-123"}
    )
    assert response.status_code == 302
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": "13800000009", "password": "pass-word-123"}
    )
    assert response.status_code == 302
    assert client.get(reverse("wagtailadmin_home")).status_code == 200


def test_district_admin_must_set_up_totp(client, tree):
    admin = make_staff(Role.DISTRICT_ADMIN, tree["district"])
    client.force_login(admin)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_activate_totp"))


def test_town_admin_may_use_totp_but_is_not_forced(client, tree):
    admin = make_staff(Role.TOWN_ADMIN, tree["town"])
    client.post(reverse("account_login"), {"login": admin.username, "password": "pass-word-123"})
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    # Setting up TOTP is offered (allauth may first ask for the password again).
    response = client.get(reverse("mfa_activate_totp"), follow=True)
    assert response.status_code == 200
    assert response.request["PATH_INFO"] in (
        reverse("mfa_activate_totp"),
        reverse("account_reauthenticate"),
    )


def test_wagtail_admin_login_goes_through_allauth(client):
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


WEIXIN = {
    "weixin": {
        "APPS": [{"client_id": "wx-test-app", "secret": "s3cret"}],
        "SCOPE": ["snsapi_login"],
    }
}


class _FakeResponse:
    def __init__(self, payload):
        self._payload = payload
        self.status_code = 200
        self.text = ""

    def json(self):
        return self._payload

    def raise_for_status(self):
        return None


class _FakeWeixin:
    """Answers the two calls allauth's WeChat provider makes, without the network."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def request(self, method, url, **kwargs):
        assert "api.weixin.qq.com/sns/oauth2/access_token" in url
        return _FakeResponse(
            {
                "access_token": "tok",
                "expires_in": 7200,
                "openid": "openid-123",
                "scope": "snsapi_login",
            }
        )

    def get(self, url, **kwargs):
        assert "api.weixin.qq.com/sns/userinfo" in url
        return _FakeResponse({"openid": "openid-123", "nickname": "村民", "headimgurl": ""})


def test_wechat_button_only_when_configured(client, settings):
    assert "weixin" not in client.get(reverse("account_login")).content.decode()
    settings.SOCIALACCOUNT_PROVIDERS = WEIXIN
    assert "/accounts/weixin/login/" in client.get(reverse("account_login")).content.decode()


def test_wechat_sign_in_without_the_network(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = WEIXIN
    response = client.post("/accounts/weixin/login/")
    assert response.status_code == 302
    assert response.url.startswith("https://open.weixin.qq.com/connect/qrconnect")
    assert "appid=wx-test-app" in response.url
    state = re.search(r"state=([^&]+)", response.url).group(1)
    with mock.patch(
        "allauth.socialaccount.adapter.DefaultSocialAccountAdapter.get_requests_session",
        return_value=_FakeWeixin(),
    ):
        response = client.get("/accounts/weixin/login/callback/", {"code": "abc", "state": state})
    assert response.status_code == 302
    account = SocialAccount.objects.get(provider="weixin", uid="openid-123")
    assert "_auth_user_id" in client.session
    # A WeChat account sees no household until its phone is verified against the register.
    assert not RoleAssignment.objects.filter(user=account.user).exists()


def test_console_sms_backend_masks_the_number(capsys, settings):
    settings.SMS_BACKEND = "console"
    sms.sms_deliver(phone="13900000001", text="code 123456")
    out = capsys.readouterr().out
    assert "139****0001" in out
    assert "13900000001" not in out


def test_http_gateway_posts_json(settings):
    settings.SMS_BACKEND = "http"
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/sms"
    with mock.patch("urllib.request.urlopen") as urlopen:
        urlopen.return_value.__enter__.return_value.status = 200
        sms.sms_deliver(phone="13900000001", text="hello")
    request = urlopen.call_args.args[0]
    assert request.full_url == "http://127.0.0.1:9/sms"
    assert b'"phone": "13900000001"' in request.data


def test_http_gateway_failure_raises_for_retry(settings):
    settings.SMS_BACKEND = "http"
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/sms"
    with (
        mock.patch("urllib.request.urlopen", side_effect=OSError("refused")),
        pytest.raises(sms.SmsGatewayError),
    ):
        sms.sms_deliver(phone="13900000001", text="hello")


def test_villager_with_unusable_password_cannot_use_password_login(client, villager_household):
    UserFactory(phone="13900000001", phone_verified=True, password="x")
    user = User.objects.get(phone="13900000001")
    user.set_unusable_password()
    user.save()
    response = client.post(reverse("account_login"), {"login": "13900000001", "password": "x"})
    assert response.status_code == 200


def test_signed_in_user_without_admin_access_is_not_bounced_in_a_loop(client, tree):
    shopkeeper = make_staff(Role.SHOPKEEPER, tree["villages"][0])
    client.force_login(shopkeeper)
    response = client.get(reverse("wagtailadmin_home"), follow=True)
    assert response.status_code == 200
    assert len(response.redirect_chain) <= 2
    assert "工作台" not in client.get("/").content.decode()
