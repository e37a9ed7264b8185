"""The inbox: a bell with the unread count for signed-in people, a list, marking read."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outbox.models import Message
from outbox.services import message_send
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _alert(user, count=1):
    for index in range(count):
        message_send(template="points.ledger_problems", data={"count": index + 1}, users=[user])


def _bell(html: str) -> str:
    start = html.index('class="chip bell"')
    return html[start : html.index("</a>", start)]


def test_the_bell_shows_the_unread_count_with_one_query(client):
    user = UserFactory(phone="13800000201")
    _alert(user, 3)
    _alert(UserFactory(phone="13800000202"))  # someone else's
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        html = client.get(reverse("outbox:inbox")).content.decode()
    assert 'data-unread="3"' in _bell(html)
    counts = [q["sql"] for q in captured.captured_queries if "outbox_message" in q["sql"]]
    # One COUNT for the bell (asked once though the page shows it twice), one page of messages.
    assert sum("COUNT(" in sql for sql in counts) == 2  # the bell's and the paginator's
    assert len(counts) == 3, counts


def test_no_bell_and_no_query_for_anonymous_readers(client):
    with CaptureQueriesContext(connection) as captured:
        html = client.get(reverse("account_login")).content.decode()
    assert "chip bell" not in html
    assert not [q for q in captured.captured_queries if "outbox_message" in q["sql"]]


def test_the_inbox_lists_own_messages_newest_first_and_marks_them_read(client):
    user = UserFactory(phone="13800000201")
    other = UserFactory(phone="13800000202")
    _alert(user, 2)
    _alert(other)
    client.force_login(user)
    html = client.get(reverse("outbox:inbox")).content.decode()
    assert html.count('class="inbox-item unread"') == 2
    assert "积分账本校验发现 2 处异常" in html and "积分账本校验发现 1 处异常" in html
    assert html.index("发现 2 处") < html.index("发现 1 处")
    first = Message.objects.filter(user=user).order_by("id").first()
    # Another person's message id changes nothing; junk is refused without a 500.
    foreign = Message.objects.get(user=other)
    for value in (foreign.pk, "abc", "9" * 30, -1):
        response = client.post(reverse("outbox:read"), {"message": value})
        assert response.status_code == 302
    # A NUL byte never reaches the view: the bad-input gate answers 400 (meijia.hardening).
    assert client.post(reverse("outbox:read"), {"message": "1\x00"}).status_code == 400
    assert Message.objects.get(pk=foreign.pk).read_at is None
    assert Message.objects.filter(user=user, read_at__isnull=True).count() == 2
    client.post(reverse("outbox:read"), {"message": first.pk})
    html = client.get(reverse("outbox:inbox")).content.decode()
    assert html.count('class="inbox-item unread"') == 1
    assert 'data-unread="1"' in _bell(html)
    client.post(reverse("outbox:read"))
    assert 'data-unread="0"' in _bell(client.get(reverse("outbox:inbox")).content.decode())


def test_the_inbox_needs_a_signed_in_person_and_a_post_to_mark(client):
    assert client.get(reverse("outbox:inbox")).status_code == 302
    user = UserFactory(phone="13800000201")
    client.force_login(user)
    assert client.get(reverse("outbox:read")).status_code == 405


def test_sms_only_messages_stay_out_of_the_inbox(client):
    user = UserFactory(phone="13800000201")
    message_send(
        template="account.login_code",
        data={"code": "123456", "minutes": 5},
        users=[user],
        channels=["sms"],
    )
    client.force_login(user)
    html = client.get(reverse("outbox:inbox")).content.decode()
    assert "123456" not in html and 'data-unread="0"' in _bell(html)
