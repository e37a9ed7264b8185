"""allauth's messages never show a full phone number; the code page says where the code went
once, masked."""

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django.urls import reverse

from meijia.accounts import AccountAdapter
from tests.factories import make_household

pytestmark = pytest.mark.django_db


def test_the_code_page_names_the_number_once_masked(
    client, tree, django_capture_on_commit_callbacks
):
    make_household(tree["villages"][0], head_name="孙桂兰", phone="13900000001")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_request_login_code"), {"phone": "13900000001"}, follow=True
        )
    page = response.content.decode()
    assert response.request["PATH_INFO"] == reverse("account_confirm_login_code")
    assert "13900000001" not in page
    assert page.count("139****0001") == 1


@pytest.mark.parametrize(
    ("template", "context"),
    [
        ("account/messages/phone_verification_sent.txt", {"phone": "13900000001"}),
        ("account/messages/phone_verified.txt", {"phone": "+8613900000001"}),
        (None, None),
    ],
)
def test_allauth_messages_are_masked(template, context):
    request = RequestFactory().get("/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    AccountAdapter(request).add_message(
        request,
        20,
        message_template=template,
        message_context=context,
        message=None if template else "已发送至 13900000001",
    )
    (message,) = [str(message) for message in get_messages(request)]
    assert "13900000001" not in message
    assert "139****0001" in message
