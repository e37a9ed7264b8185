"""Messages of the campaign site: a seat freed, the class the day before, page moderation."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import WorkflowState
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from campaigns import services
from campaigns.models import ArticlePage, SessionSignup
from meijia import sms
from outbox.models import Message
from tests.campaigns.factories import add_class
from tests.factories import make_household

pytestmark = pytest.mark.django_db


def test_a_seat_freed_from_the_waiting_list_is_announced_to_that_household(
    site, tree, people, django_capture_on_commit_callbacks
):
    page, session = add_class(site["village"], capacity=1, title="垃圾分类小课堂")
    village = tree["villages"][0]
    first = make_household(village, head_name="张一", phone="13900000011")
    waiting = people["house"]  # the villager's own household
    user = people["villager"]
    taken = services.session_sign_up(session=session, household=first, actor=user)
    queued = services.session_sign_up(session=session, household=waiting, actor=user)
    assert queued.status == SessionSignup.Status.WAITING
    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(signup=taken, actor=user)
    message = Message.objects.get(template="classes.seat_freed")
    assert (message.user, message.phone) == (user, "13900000001")
    assert [text.phone for text in sms.outbox] == ["13900000001"]
    assert "垃圾分类小课堂" in sms.outbox[0].text


def test_the_day_before_each_seat_holder_is_reminded_once(site, tree, people):
    page, session = add_class(site["village"], capacity=5, title="垃圾分类小课堂")
    services.session_sign_up(session=session, household=people["house"], actor=people["villager"])
    day_before = timezone.localdate(session.starts_at) - datetime.timedelta(days=1)
    assert services.class_reminders_send(today=day_before - datetime.timedelta(days=1)) == 0
    assert services.class_reminders_send(today=day_before) == 1
    assert services.class_reminders_send(today=day_before) == 0  # once per sign-up
    message = Message.objects.get(template="classes.tomorrow")
    assert message.data["place"] == "村委会议室" and message.user == people["villager"]


def _notice_form(title):
    return nested_form_data(
        {
            "title": title,
            "slug": "notice-1",
            "kind": "notice",
            "body": streamfield([("paragraph", rich_text("<p>本周六上午集中清理三大堆。</p>"))]),
            "action-submit": "submit",
        }
    )


def test_page_moderation_tells_the_reviewers_then_the_editor(client, site, people):
    editor, reviewer = people["editor"], people["reviewer"]
    client.force_login(editor)
    url = reverse("wagtailadmin_pages:add", args=("campaigns", "articlepage", site["village"].pk))
    assert client.post(url, _notice_form("关于清理三大堆的通知")).status_code == 302
    submitted = Message.objects.get(template="pages.submitted")
    assert submitted.user == reviewer and submitted.is_in_inbox
    assert submitted.data == {"page": "关于清理三大堆的通知", "editor": "吴编辑"}
    assert not Message.objects.filter(template="pages.submitted", user=editor).exists()

    page = ArticlePage.objects.get(title="关于清理三大堆的通知")
    state = WorkflowState.objects.get(object_id=str(page.pk))
    client.force_login(reviewer)
    reject = reverse(
        "wagtailadmin_pages:workflow_action",
        args=(page.pk, "reject", state.current_task_state.pk),
    )
    client.post(reject, {"comment": "请补充图片说明"})
    sent_back = Message.objects.get(template="pages.rejected")
    assert sent_back.user == editor and sent_back.data["comment"] == "请补充图片说明"
