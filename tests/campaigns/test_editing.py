"""Editing: editors draft and submit within their section, a reviewer of the area approves,
scheduled pages go live from a Celery beat task."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import WorkflowState
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from campaigns import tasks
from campaigns.models import ArticlePage
from tests.campaigns.factories import add_article
from tests.factories import Role, make_staff

pytestmark = pytest.mark.django_db


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


def test_editor_may_add_under_their_section_but_not_publish(site, people):
    editor = people["editor"]
    home = site["home"]
    permissions = home.permissions_for_user(editor)
    assert permissions.can_add_subpage()
    assert not permissions.can_publish_subpage()
    town_editor = make_staff(Role.EDITOR, site["town"].area, name="镇编辑")
    assert not home.permissions_for_user(town_editor).can_add_subpage()
    assert site["village"].permissions_for_user(town_editor).can_add_subpage()


def test_submitted_notice_waits_for_the_reviewer_of_its_area(client, site, people, tree):
    editor, reviewer = people["editor"], people["reviewer"]
    village = site["village"]
    client.force_login(editor)
    url = reverse("wagtailadmin_pages:add", args=("campaigns", "articlepage", village.pk))
    response = client.post(url, _notice_form("关于清理三大堆的通知"))
    assert response.status_code == 302, response.content.decode()[:2000]
    page = ArticlePage.objects.get(title="关于清理三大堆的通知")
    assert not page.live
    state = WorkflowState.objects.get(object_id=str(page.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    # Trying to publish by hand does not make it live either.
    edit = reverse("wagtailadmin_pages:edit", args=(page.pk,))
    data = _notice_form("关于清理三大堆的通知")
    data.pop("action-submit")
    data["action-publish"] = "publish"
    client.post(edit, data)
    page.refresh_from_db()
    assert not page.live
    assert client.get(page.url).status_code == 404

    task = state.current_task_state.task.specific
    outsider = make_staff(Role.TOWN_ADMIN, _other_town(tree), name="外镇干部")
    assert task.get_actions(page, outsider) == []
    assert task.get_actions(page, editor) == []
    assert task.get_actions(page, reviewer)
    assert task.get_task_states_user_can_moderate(reviewer).count() == 1
    assert task.get_task_states_user_can_moderate(outsider).count() == 0

    client.force_login(reviewer)
    approve = reverse(
        "wagtailadmin_pages:workflow_action",
        args=(page.pk, "approve", state.current_task_state.pk),
    )
    response = client.post(approve, {"comment": ""})
    assert response.status_code in (200, 302)
    page.refresh_from_db()
    assert page.live


def _other_town(tree):
    from registry.models import Area
    from tests.factories import make_town

    return make_town(Area.objects.get(pk=tree["district"].pk), name="外镇")


def test_scheduled_page_goes_live_from_the_beat_task(site):
    page = add_article(site["village"], "下周的公示")
    page.unpublish()
    page.go_live_at = timezone.now() + datetime.timedelta(hours=1)
    revision = page.save_revision()
    revision.publish()
    page.refresh_from_db()
    assert not page.live
    # An hour passes: move the schedule into the past instead of waiting.
    past = timezone.now() - datetime.timedelta(minutes=1)
    revision.content["go_live_at"] = past.isoformat()
    revision.approved_go_live_at = past
    revision.save(update_fields=["content", "approved_go_live_at"])
    tasks.publish_scheduled.delay()
    page.refresh_from_db()
    assert page.live


def test_admin_is_in_chinese(client, people):
    client.force_login(people["editor"])
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.content.decode()


def test_images_need_alt_text_in_the_work_desk(client, site, people):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image as PILImage
    from wagtail.images.models import Image

    def upload(**extra):
        buffer = io.BytesIO()
        PILImage.new("RGB", (40, 30), (10, 120, 40)).save(buffer, "PNG")
        data = {"title": "村口", "file": SimpleUploadedFile("a.png", buffer.getvalue()), **extra}
        return client.post(reverse("wagtailimages:add"), data)

    client.force_login(people["editor"])
    refused = upload(description="")
    assert refused.status_code == 200
    assert not Image.objects.exists()
    accepted = upload(description="村口的白墙和红灯笼")
    assert accepted.status_code == 302
    assert Image.objects.get().description == "村口的白墙和红灯笼"
