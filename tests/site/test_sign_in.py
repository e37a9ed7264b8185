"""One sign-in that cannot be skipped: every way in goes through allauth's form, its rate limits
and its second factor; roles that need TOTP reach nothing in a session that did not use it."""

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.urls import reverse

from meijia import sms
from tests.factories import Role, make_staff

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"  # tests.factories.UserFactory's


def _totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def district_admin(tree):
    admin = make_staff(
        Role.DISTRICT_ADMIN, tree["district"], phone="13800000021", phone_verified=True
    )
    admin.totp_secret = generate_totp_secret()
    TOTP.activate(admin, admin.totp_secret)
    return admin


def _reaches_the_work_desk(client) -> bool:
    response = client.get(reverse("wagtailadmin_home"))
    return response.status_code == 200 and "_auth_user_id" in client.session


def _register_page(client) -> int:
    return client.get(reverse("registry_household:index")).status_code


@pytest.mark.parametrize("url", ["/admin/login/", "/_util/login/"])
def test_wagtail_and_django_login_urls_lead_to_the_one_sign_in(client, district_admin, url):
    response = client.post(
        url, {"username": district_admin.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response.url == reverse("account_login") + "?next=%2Fadmin%2F"
    assert "_auth_user_id" not in client.session
    assert not _reaches_the_work_desk(client)
    assert _register_page(client) != 200
    # A foreign next is dropped, not carried to the sign-in.
    response = client.get(url, {"next": "//evil.example/x"})
    assert response.url == reverse("account_login")


def test_no_password_is_checked_outside_allauths_sign_in(rf, district_admin):
    request = rf.post("/")
    assert authenticate(request, username=district_admin.username, password=PASSWORD) is None
    form = AuthenticationForm(
        request, data={"username": district_admin.username, "password": PASSWORD}
    )
    assert not form.is_valid()


def test_password_alone_is_not_enough_then_totp_opens_the_work_desk(client, district_admin):
    response = client.post(
        reverse("account_login"), {"login": district_admin.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_authenticate"))
    assert "_auth_user_id" not in client.session

    response = client.post(
        reverse("mfa_authenticate"), {"code": _totp_code(district_admin.totp_secret)}
    )
    assert response.status_code == 302
    assert _reaches_the_work_desk(client)
    assert _register_page(client) == 200


def test_sms_code_alone_is_not_enough_either(
    client, district_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_request_login_code"), {"phone": district_admin.phone})
    code = re.search(r"\b(\d{6})\b", sms.outbox[-1].text).group(1)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_authenticate"))
    assert not _reaches_the_work_desk(client)


@pytest.mark.parametrize("url", ["account_login", "/admin/login/", "/_util/login/"])
def test_two_hundred_wrong_passwords_then_the_right_one_is_refused(client, district_admin, url):
    url = reverse(url) if not url.startswith("/") else url
    fields = ("login", "password") if url == reverse("account_login") else ("username", "password")
    for attempt in range(200):
        client.post(
            url, dict(zip(fields, (district_admin.username, f"wrong-{attempt}"), strict=True))
        )
    response = client.post(
        reverse("account_login"), {"login": district_admin.username, "password": PASSWORD}
    )
    if url == reverse("account_login"):
        assert response.status_code in (200, 429)  # the form's error, or the address's limit
        assert "Location" not in response
    else:
        # Those URLs never looked at a password: the real sign-in is untouched by them.
        assert response.url.startswith(reverse("mfa_authenticate"))
    assert not _reaches_the_work_desk(client)


def test_a_session_without_the_second_factor_is_signed_out(client, district_admin):
    # However such a session came to be (an old one, a way in nobody thought of).
    client.force_login(district_admin)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session
    # Not even allauth's own pages: the authenticator cannot be removed from such a session.
    client.force_login(district_admin)
    totp = Authenticator.objects.get(user=district_admin, type=Authenticator.Type.TOTP)
    client.post(reverse("mfa_deactivate_totp"))
    assert "_auth_user_id" not in client.session
    assert Authenticator.objects.filter(pk=totp.pk).exists()
    # Nor the API through the session.
    client.force_login(district_admin)
    assert client.get("/api/v1/households").status_code == 302
    assert "_auth_user_id" not in client.session


# Committed for real: allauth announces the new authenticator on commit, inside the request.
@pytest.mark.django_db(transaction=True)
def test_first_sign_in_sets_up_totp_and_then_the_session_counts(client, tree):
    admin = make_staff(Role.DISTRICT_ADMIN, tree["district"])
    response = client.post(
        reverse("account_login"), {"login": admin.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    response = client.get(reverse("wagtailadmin_home"))
    assert response.url.startswith(reverse("mfa_activate_totp"))
    assert _register_page(client) == 302

    # allauth asks for the password again before an authenticator is added.
    response = client.get(reverse("mfa_activate_totp"))
    assert response.url.startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(reverse("mfa_activate_totp"), {"code": _totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=admin, type=Authenticator.Type.TOTP).exists()
    assert _reaches_the_work_desk(client)


def test_roles_without_the_requirement_sign_in_with_a_password(client, tree):
    committee = make_staff(Role.COMMITTEE, tree["villages"][0])
    response = client.post(
        reverse("account_login"), {"login": committee.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert _reaches_the_work_desk(client)


def test_wagtails_password_reset_is_off(client, district_admin):
    assert client.get("/admin/password_reset/").status_code == 404


def test_reauthentication_is_the_same_limited_password_check(client, tree):
    committee = make_staff(Role.COMMITTEE, tree["villages"][0])
    client.post(reverse("account_login"), {"login": committee.username, "password": PASSWORD})
    for attempt in range(10):
        client.post(reverse("account_reauthenticate"), {"password": f"wrong-{attempt}"})
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code in (200, 429)  # refused: the form again, or the limit
    records = client.session.get("account_authentication_methods", [])
    assert not [record for record in records if record.get("reauthenticated")]
