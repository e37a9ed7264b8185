"""A town administrator's dashboard on a 360 px phone: the work desk opens on their town's
figures, they open the dashboard, drill down to a village and its sorting rounds, and the
monthly PDF report opens with Chinese text."""

import datetime
import io

import pytest

from assessment.models import Period
from assessment.services import figures_roll_up, scores_compute
from tests.assessment.factories import MARCH, make_orders, make_scheme, make_world
from tests.e2e.helpers import sign_in_staff
from tests.factories import Role, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NOW = datetime.datetime(2026, 4, 1, 3, 10, tzinfo=datetime.UTC)


def test_town_admin_drills_down_from_the_work_desk_to_a_village(phone, screenshot, media_root):
    from pypdf import PdfReader

    world = make_world()
    make_scheme(world["district"], {"sorting_participation": "2", "sorting_pass_rate": "1"})
    for period in (Period.MONTH, Period.YEAR):
        figures_roll_up(period=period, starts_on=MARCH, now=NOW)
    scores_compute(period=Period.MONTH, starts_on=MARCH, now=NOW)
    orders = make_orders(world)
    admin = make_staff(Role.TOWN_ADMIN, world["east"], username="dongzhen")

    sign_in_staff(phone, admin.username)
    phone.goto("/admin/")
    panel = phone.locator("section.mj-dash")
    panel.wait_for()
    assert "东镇" in panel.inner_text()
    panel.locator("a.button").first.click()
    phone.wait_for_url("**/admin/assessment/area/**")
    phone.goto(phone.url.split("?")[0] + "?month=2026-03")
    cards = phone.locator(".mj-cards li[data-indicator=sorting_participation]")
    assert "83.33" in cards.inner_text()  # 5 of 6 households checked
    assert cards.get_attribute("data-colour") == "amber"
    table = phone.locator("#mj-areas")
    assert "甲村" in table.inner_text() and "丙村" not in table.inner_text()
    phone.locator("canvas").first.wait_for()  # ECharts drew the trend
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 362, "the page scrolls sideways on a phone"
    screenshot(phone, "dashboard-1-town")

    link = table.get_by_role("link", name="甲村")
    box = link.bounding_box()
    assert box["height"] >= 44
    link.click()
    phone.wait_for_load_state()
    rounds = phone.locator("#mj-rounds").inner_text()
    assert "2026-03-05" in rounds and "2026-03-20" in rounds
    screenshot(phone, "dashboard-2-village")

    overdue = phone.locator(f'.mj-overdue li[data-order="{orders["overdue"].pk}"] a')
    assert overdue.bounding_box()["height"] >= 44
    overdue.click()
    phone.wait_for_url(f"**/supervision/orders/{orders['overdue'].pk}/")
    assert "沟塘垃圾" in phone.locator("main").inner_text()
    screenshot(phone, "dashboard-3-overdue-order")

    report = phone.request.get(f"/admin/assessment/area/{world['east'].pk}/report/?month=2026-03")
    assert report.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(report.body())).pages)
    assert "垃圾分类参与率" in text and "甲村" in text
