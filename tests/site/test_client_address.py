"""Behind our own proxy each client has its own address (and its own limits); a header written by
anyone else is ignored; limits count per account as well as per address."""

from unittest import mock

import pytest
from django.test import RequestFactory
from django.urls import reverse

from meijia import sms
from meijia.network import client_address
from tests.factories import Role, make_household, make_staff

PASSWORD = "pass-word-123"  # tests.factories.UserFactory's
PROXY = "127.0.0.1"


def _address(remote: str, **headers: str) -> str:
    return client_address(RequestFactory().get("/", REMOTE_ADDR=remote, **headers))


@pytest.mark.parametrize(
    ("remote", "headers", "client"),
    [
        # nginx in front: the rightmost hop it appended is the client
        (PROXY, {"HTTP_X_FORWARDED_FOR": "203.0.113.7"}, "203.0.113.7"),
        # a client's own (forged) hop on the left is never believed
        (PROXY, {"HTTP_X_FORWARDED_FOR": "198.51.100.1, 203.0.113.7"}, "203.0.113.7"),
        # a load balancer of ours in front of nginx is walked past
        (PROXY, {"HTTP_X_FORWARDED_FOR": "203.0.113.7, 10.0.0.5"}, "203.0.113.7"),
        (PROXY, {"HTTP_X_REAL_IP": "203.0.113.8"}, "203.0.113.8"),
        (PROXY, {"HTTP_X_FORWARDED_FOR": "2001:db8::1"}, "2001:db8::1"),
        # garbage stops the walk at the last address our proxies wrote
        (PROXY, {"HTTP_X_FORWARDED_FOR": "203.0.113.7, junk, 10.0.0.5"}, "10.0.0.5"),
        (PROXY, {}, PROXY),
        # not from our proxy: the headers are anybody's, REMOTE_ADDR is the client
        ("192.0.2.9", {"HTTP_X_FORWARDED_FOR": "203.0.113.7"}, "192.0.2.9"),
        ("192.0.2.9", {"HTTP_X_REAL_IP": "203.0.113.7"}, "192.0.2.9"),
    ],
)
def test_client_address(settings, remote, headers, client):
    settings.TRUSTED_PROXIES = [PROXY, "10.0.0.0/8"]
    assert _address(remote, **headers) == client


def test_without_trusted_proxies_the_headers_are_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert _address(PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7") == PROXY


def _fail_login(client, login: str, address: str | None):
    headers = {"HTTP_X_FORWARDED_FOR": address} if address else {}
    return client.post(reverse("account_login"), {"login": login, "password": "wrong"}, **headers)


def _sign_in(client, user, address: str):
    return client.post(
        reverse("account_login"),
        {"login": user.username, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR=address,
    )


def _exhaust_the_address_limit(client, address: str) -> None:
    # 10 failures a minute per address (ACCOUNT_RATE_LIMITS), each on a different account so the
    # per-account limit stays out of the way.
    for n in range(10):
        _fail_login(client, f"nobody{n}", address)


@pytest.mark.django_db
def test_behind_the_proxy_two_clients_do_not_share_a_limit(client, settings, tree):
    settings.TRUSTED_PROXIES = [PROXY]
    committee = make_staff(Role.COMMITTEE, tree["villages"][0])
    _exhaust_the_address_limit(client, "203.0.113.1")
    assert _sign_in(client, committee, "203.0.113.1").status_code in (200, 429)
    assert "_auth_user_id" not in client.session

    assert _sign_in(client, committee, "203.0.113.2").status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
@pytest.mark.parametrize("trusted", [[], ["10.0.0.1"]])
def test_a_spoofed_header_from_an_untrusted_address_is_ignored(client, settings, tree, trusted):
    settings.TRUSTED_PROXIES = trusted  # the test client's 127.0.0.1 is not among them
    committee = make_staff(Role.COMMITTEE, tree["villages"][0])
    for n in range(10):
        _fail_login(client, f"nobody{n}", f"203.0.113.{n + 10}")
    assert _sign_in(client, committee, "203.0.113.99").status_code in (200, 429)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_wrong_passwords_are_limited_per_account_from_any_address(client, settings, tree):
    settings.TRUSTED_PROXIES = [PROXY]
    committee = make_staff(Role.COMMITTEE, tree["villages"][0])
    for n in range(5):
        _fail_login(client, committee.username, f"203.0.113.{n + 1}")
    assert _sign_in(client, committee, "203.0.113.50").status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_sign_in_codes_are_limited_per_phone_per_day(
    client, settings, tree, django_capture_on_commit_callbacks
):
    settings.TRUSTED_PROXIES = [PROXY]
    make_household(tree["villages"][0], head_name="孙桂兰", phone="13900000001")
    now = 1_900_000_000.0
    sent = []
    # One request every 7 minutes from a new address and a new session: never over the
    # minute's or the hour's limit, but 20 a day per phone.
    for n in range(24):
        client.cookies.clear()
        with (
            mock.patch("allauth.core.internal.ratelimit.time.time", return_value=now + n * 420),
            django_capture_on_commit_callbacks(execute=True),
        ):
            client.post(
                reverse("account_request_login_code"),
                {"phone": "13900000001"},
                HTTP_X_FORWARDED_FOR=f"203.0.113.{n + 1}",
            )
        sent.append(len(sms.outbox))
    assert sent[19] == 20
    assert sent[-1] == 20
