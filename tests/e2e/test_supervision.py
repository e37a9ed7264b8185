"""An inspector walks a round on a phone and fails one item with a photo (and the phone's
location); the committee finds the order in 我的整改 and uploads the after-photo; the inspector
accepts it; the villagers see it, with the photo of the fix, on their village's page."""

import datetime as dt
import re

import pytest

from registry.services import villager_link
from supervision.models import Category, ChecklistItem, ItemResult, WorkOrder
from supervision.services.inspections import round_plan
from tests.e2e.helpers import phone_page, sign_in_staff, sign_in_villager
from tests.factories import Role, UserFactory, make_household, make_staff, make_tree
from tests.points.factories import jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _photo(name: str, color: str) -> dict:
    return {
        "name": name,
        "mimeType": "image/jpeg",
        "buffer": jpeg_bytes(size=(200, 150), color=color),
    }


def test_inspection_round_to_rectification_to_the_village_page(browser, live_server, screenshot):
    tree = make_tree()
    village = tree["villages"][0]
    category = Category.objects.create(code="three-piles", name="三大堆", source="inspection")
    piles = ChecklistItem.objects.create(
        district=tree["district"], name="三大堆", weight=20, days=5, category=category, position=1
    )
    ChecklistItem.objects.create(
        district=tree["district"], name="公厕", weight=10, days=5, category=category, position=2
    )
    inspector = make_staff(Role.INSPECTOR, tree["district"], name="周督查")
    committee = make_staff(Role.COMMITTEE, village, name="孙委员")
    make_household(village, head_name="钱桂英", phone="13900000041")
    villager_link(user=UserFactory(phone="13900000041", phone_verified=True))
    found = round_plan(
        area=tree["town"],
        name="十二月督查",
        planned_on=dt.date.today(),
        villages=[village],
        actor=inspector,
    )

    # The inspector, outdoors, with the phone's location allowed.
    phone = phone_page(
        browser,
        live_server.url,
        geolocation={"latitude": 36.81, "longitude": 118.05},
        permissions=["geolocation"],
    )
    sign_in_staff(phone, inspector.username)
    phone.goto("/supervision/rounds/")
    phone.get_by_text("十二月督查").click()
    phone.get_by_text(village.name).click()
    phone.wait_for_url(re.compile(rf"/supervision/rounds/{found.pk}/village/{village.pk}/"))
    phone.locator("[data-location-state]").filter(has_text="已获取位置").wait_for()
    item = phone.locator(f'[data-item="{piles.pk}"]')
    item.locator("input[name=note]").fill("村西路口柴草堆")
    item.locator("input[name=photos]").set_input_files(_photo("before.jpg", "brown"))
    item.locator("button.grade-fail").click()
    phone.locator(f'[data-item="{piles.pk}"].recorded:not(.queued) .tag.fail').wait_for()
    screenshot(phone, "supervision-1-round")
    result = ItemResult.objects.get()
    order = WorkOrder.objects.get()
    assert not result.is_pass and result.work_order == order
    assert order.latitude is not None  # the public place's point
    assert order.photos.count() == 1
    phone.context.close()

    # The committee member finds it in 我的整改 and reports it fixed with an after-photo.
    phone = phone_page(browser, live_server.url)
    sign_in_staff(phone, committee.username)
    phone.goto("/supervision/mine/")
    phone.locator(".order-card").filter(has_text="三大堆").click()
    phone.wait_for_url(re.compile(rf"/supervision/orders/{order.pk}/"))
    done = phone.locator("form.move").filter(has=phone.locator("button.move-done"))
    done.locator("input[name=photos]").set_input_files(_photo("after.jpg", "green"))
    done.locator("input[name=note]").fill("已清理干净")
    done.locator("button.move-done").click()
    phone.locator(".timeline li").nth(1).wait_for()
    order.refresh_from_db()
    assert order.status == WorkOrder.Status.DONE
    screenshot(phone, "supervision-2-done")
    phone.context.close()

    # The inspector accepts it.
    phone = phone_page(browser, live_server.url)
    sign_in_staff(phone, inspector.username)
    phone.goto(f"/supervision/orders/{order.pk}/")
    phone.locator("button.move-accept").click()
    phone.locator(".timeline li").nth(2).wait_for()
    order.refresh_from_db()
    assert order.status == WorkOrder.Status.CHECKED
    assert phone.locator(".timeline li").count() == 3
    phone.context.close()

    # The villagers see it on their village's page, with the photo of the fix, no names.
    phone = phone_page(browser, live_server.url)
    sign_in_villager(phone, "13900000041")
    phone.goto("/site/village/orders/")
    card = phone.locator(".public-orders .card").filter(has_text="三大堆")
    card.wait_for()
    assert card.locator("img").count() == 1
    assert "钱桂英" not in phone.content()
    screenshot(phone, "supervision-3-village")
    phone.context.close()
