"""A committee reports a week's quantity with a photo on a phone; the town approves it; the
district's totals show it against the town's target."""

import datetime as dt

import pytest
from django.utils import timezone

from supervision.models import Measure, TallyCampaign, TallyReport, TallyTarget
from tests.e2e.helpers import phone_page, sign_in_staff
from tests.factories import Role, make_staff, make_tree
from tests.points.factories import jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_committee_reports_town_approves_district_sees_totals(browser, live_server, screenshot):
    tree = make_tree()
    village, town = tree["villages"][0], tree["town"]
    today = timezone.localdate()  # the page proposes the current week: the campaign spans it
    campaign = TallyCampaign.objects.create(
        district=tree["district"],
        name="冬季清洁行动",
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=60),
    )
    tonnes = Measure.objects.create(campaign=campaign, name="清运垃圾", unit="吨")
    TallyTarget.objects.create(measure=tonnes, town=town, quantity=100)
    committee = make_staff(Role.COMMITTEE, village, name="孙委员")
    town_admin = make_staff(Role.TOWN_ADMIN, town, name="钱镇长")
    inspector = make_staff(Role.INSPECTOR, tree["district"], name="周督查")

    phone = phone_page(browser, live_server.url)
    sign_in_staff(phone, committee.username)
    phone.goto("/supervision/tallies/")
    phone.get_by_text("上报本周数据").click()
    phone.locator(f'input[name="measure-{tonnes.pk}"]').fill("12.5")
    phone.locator("input[name=photos]").set_input_files(
        {"name": "pile.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(size=(200, 150))}
    )
    button = phone.get_by_role("button", name="提交镇（街道）审核")
    assert button.bounding_box()["height"] >= 44
    button.click()
    phone.get_by_text("已提交镇（街道）审核").wait_for()
    screenshot(phone, "tally-1-report")
    report = TallyReport.objects.get()
    assert report.photos.count() == 1 and report.status == TallyReport.Status.SUBMITTED
    phone.context.close()

    phone = phone_page(browser, live_server.url)
    sign_in_staff(phone, town_admin.username)
    phone.goto(f"/supervision/tallies/{campaign.pk}/review/")
    card = phone.locator(f'[data-report="{report.pk}"]')
    card.get_by_text("12.5").wait_for()
    card.get_by_role("button", name="审核通过").click()
    phone.get_by_text("审核已保存").wait_for()
    phone.context.close()
    report.refresh_from_db()
    assert report.status == TallyReport.Status.APPROVED and report.reviewed_by == town_admin

    phone = phone_page(browser, live_server.url)
    sign_in_staff(phone, inspector.username)
    phone.goto(f"/supervision/tallies/{campaign.pk}/totals/")
    total = phone.locator("tfoot [data-total]").first
    assert "12.5" in total.inner_text() and "100" in total.inner_text()
    screenshot(phone, "tally-2-totals")
    phone.context.close()
