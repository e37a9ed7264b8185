"""A toilet's after-care on phones: the villager asks for emptying → the contractor accepts and
completes with a photo → the villager rates it → the town's list shows it closed."""

import io
import re
from decimal import Decimal

import pytest
from PIL import Image

from tests.e2e.helpers import phone_page, sign_in_staff, sign_in_villager
from tests.factories import Role, make_household, make_staff, make_tree
from upkeep.models import ServiceOrder, Toilet
from upkeep.services.toilets import contractor_team_create, contractor_team_member_add

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _photo(tmp_path):
    path = tmp_path / "after.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 160, 90)).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def test_villager_asks_contractor_empties_villager_rates_town_sees_it_closed(
    browser, live_server, phone, screenshot, tmp_path
):
    tree = make_tree()
    village = tree["villages"][0]
    household = make_household(village, head_name="冯玉兰", phone="13900000061", number="0007")
    Toilet.objects.create(
        village=village, household=household, type=Toilet.Type.THREE_COMPARTMENT,
        tank_volume=Decimal("1.5"),
    )  # fmt: skip
    team = contractor_team_create(
        actor=None, area=tree["town"], name="抽渣一队", company="鲁源环卫", villages=[village]
    )
    contractor = make_staff(Role.CONTRACTOR, tree["town"], username="truck1", name="冯师傅")
    contractor_team_member_add(actor=None, team=team, user=contractor)
    town = make_staff(Role.TOWN_ADMIN, tree["town"], username="town1")

    # The villager: two taps from the household page.
    sign_in_villager(phone, "13900000061")
    phone.get_by_role("link", name="化粪池满了，申请抽渣").click()
    phone.get_by_role("button", name="提交").click()
    phone.wait_for_url(re.compile(r"/upkeep/orders/\d+/"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "upkeep-1-asked")
    service = ServiceOrder.objects.get()
    assert service.order.assignee_team == team.team

    # The contractor on the truck: accept, then done with an after-photo and the volume.
    truck = phone_page(browser, live_server.url)
    sign_in_staff(truck, "truck1")
    truck.goto("/upkeep/work/")
    card = truck.locator(f"#order-{service.pk}")
    card.get_by_role("button", name="接单").click()
    card = truck.locator(f"#order-{service.pk}")
    card.locator("input[type=file]").set_input_files(str(_photo(tmp_path)))
    card.locator("input[name=volume]").fill("1.4")
    card.get_by_role("button", name="完成", exact=True).click()
    truck.get_by_text("已完成，将请农户评价").wait_for()
    screenshot(truck, "upkeep-2-done")
    truck.context.close()

    # The villager is asked to rate it, on the household page, and rates it 满意.
    phone.goto(f"/household/{household.pk}/")
    phone.get_by_role("link", name=re.compile("请评价")).click()
    phone.get_by_role("button", name="满意", exact=True).click()
    phone.get_by_text("谢谢您的评价").wait_for()
    screenshot(phone, "upkeep-3-rated")

    # The town's list shows it closed.
    desk = phone_page(browser, live_server.url)
    sign_in_staff(desk, "town1")
    desk.goto("/upkeep/orders/?status=closed")
    row = desk.locator(f"[data-order='{service.order_id}']")
    assert row.locator("[data-status]").get_attribute("data-status") == "closed"
    assert "满意" in row.inner_text()
    screenshot(desk, "upkeep-4-town")
    desk.context.close()
    assert town.pk
