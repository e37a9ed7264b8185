"""A committee member grades a round of ten households on a phone, one of them while the phone is
offline; the queued grade syncs afterwards without duplicates; another member approves; the
villager sees the points and why."""

import re

import pytest

from points.models import PointsClaim, SortingCheck
from registry.models import Area
from tests.e2e.helpers import phone_page, sign_in_staff, sign_in_villager
from tests.factories import Role, make_household, make_staff, make_tree
from tests.points.factories import make_sorting_rules

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sorting_round_with_an_offline_grade_then_approval_then_the_villager_sees_it(
    browser, live_server, phone, screenshot
):
    tree = make_tree()
    village = tree["villages"][0]
    make_sorting_rules(tree["district"])
    group = village.get_children().filter(level=Area.Level.GROUP).order_by("path").first()
    households = [
        make_household(
            village,
            head_name=f"{'赵钱孙李周吴郑王冯陈'[index]}大{'一二三四五六七八九十'[index]}",
            group=group,
            phone="13900000031" if index == 0 else "",
        )
        for index in range(10)
    ]
    scorer = make_staff(Role.COMMITTEE, village, name="李委员")
    checker = make_staff(Role.COMMITTEE, village, name="王委员")

    # The scorer opens today's round; the first group's ten households are listed in order.
    sign_in_staff(phone, scorer.username)
    phone.goto("/scoring/sorting/")
    phone.get_by_role("button", name="开始今天的检查").click()
    phone.wait_for_url(re.compile(r"/scoring/sorting/\d+/"))
    assert phone.locator(".sheet .sheet-row").count() == 10
    assert phone.locator("[data-total]").inner_text() == "10"

    def tap(household, grade="良"):
        phone.locator(f"#h-{household.pk}").get_by_role("button", name=grade, exact=True).click()

    # A mis-tap on the first household (不合格 for 良): undone at once, then graded right.
    first = phone.locator(f"#h-{households[0].pk}")
    tap(households[0], "不合格")
    phone.locator(f"#h-{households[0].pk}.graded:not(.queued)").wait_for()
    screenshot(phone, "scoring-0-mis-tap")
    first.get_by_role("button", name="撤销这次评定").click()
    phone.wait_for_load_state()
    phone.locator(f"#h-{households[0].pk}:not(.graded)").wait_for()
    assert SortingCheck.objects.get(household=households[0]).withdrawn_at is not None
    # The second household: 优 tapped, then changed to 良 from the same row.
    tap(households[1], "优")
    phone.locator(f"#h-{households[1].pk}.graded:not(.queued)").wait_for()
    phone.locator(f"#h-{households[1].pk} [data-change-form]").get_by_role(
        "button", name="良", exact=True
    ).click()
    phone.wait_for_load_state()
    phone.locator(f"#h-{households[1].pk}.graded").wait_for()
    assert "良" in phone.locator(f"#h-{households[1].pk} [data-state]").inner_text()

    for household in [households[0], *households[2:9]]:
        tap(household)
        phone.locator(f"#h-{household.pk}.graded:not(.queued)").wait_for()
    assert phone.locator("[data-graded]").inner_text() == "9"

    # The signal drops: the last grade waits on the phone, and the screen says so.
    phone.context.set_offline(True)
    tap(households[9])
    phone.locator(f"#h-{households[9].pk}.queued").wait_for()
    assert phone.locator("[data-sync-count]").inner_text() == "1"
    assert "等待上传" in phone.locator("[data-sync-box]").inner_text()
    assert "陈大十" in phone.locator("[data-sync-list]").inner_text()
    assert phone.locator("[data-graded]").inner_text() == "10"
    screenshot(phone, "scoring-1-offline")
    assert SortingCheck.objects.filter(withdrawn_at__isnull=True).count() == 9
    # As if the first answer had been lost: the same entry is queued twice.
    phone.evaluate(
        """() => {
            const key = "meijia.sorting.queue.v1";
            const queue = JSON.parse(localStorage.getItem(key));
            queue.push(Object.assign({}, queue[0]));
            localStorage.setItem(key, JSON.stringify(queue));
        }"""
    )
    # Signal again: the queue syncs (the phone's online event, or the button).
    phone.context.set_offline(False)
    phone.locator("[data-sync-box]").get_by_role("button", name="立即上传").click(
        no_wait_after=True, force=True
    )
    phone.locator("[data-sync-box]").wait_for(state="hidden")
    phone.locator(f"#h-{households[9].pk}.graded:not(.queued)").wait_for()
    screenshot(phone, "scoring-2-synced")
    assert SortingCheck.objects.filter(withdrawn_at__isnull=True).count() == 10
    assert SortingCheck.objects.filter(household=households[9]).count() == 1
    assert not SortingCheck.objects.filter(is_conflict=True).exists()
    assert PointsClaim.objects.filter(status=PointsClaim.Status.PENDING).count() == 10
    phone.reload()
    assert phone.locator("[data-graded]").inner_text() == "10"

    # Another committee member approves the ten grades.
    phone.context.clear_cookies()
    sign_in_staff(phone, checker.username)
    phone.goto("/admin/points/claims/")
    # "Approve all unflagged" with the count, and a confirmation that repeats it.
    phone.get_by_role("link", name="一键通过无标记的 10 条…").click()
    phone.wait_for_url(re.compile(r"/admin/points/claims/approve-all/"))
    assert phone.locator("[data-approve-count]").get_attribute("data-approve-count") == "10"
    screenshot(phone, "scoring-2b-approve-all")
    phone.get_by_role("button", name="确认通过 10 条").click()
    phone.get_by_text("没有待审核的积分").wait_for()
    assert PointsClaim.objects.filter(status=PointsClaim.Status.APPROVED).count() == 10

    # The villager sees the points and why.
    villager = phone_page(browser, live_server.url)
    sign_in_villager(villager, "13900000031")
    assert villager.locator(".balance-number").inner_text().strip() == "2"
    text = villager.locator("main").inner_text()
    assert "垃圾分类 良" in text and "记录人 李委员" in text and "审核人 王委员" in text
    assert re.search(r"垃圾分类 \d{4}-\d{2}-\d{2}：良", text)
    screenshot(villager, "scoring-3-villager")
    villager.context.close()


def test_a_photo_taken_offline_waits_on_the_phone_and_arrives_with_its_grade(
    phone, screenshot, tmp_path, settings
):
    from tests.points.factories import jpeg_bytes

    settings.MEDIA_ROOT = tmp_path / "media"
    tree = make_tree(villages=1)
    village = tree["villages"][0]
    make_sorting_rules(tree["district"])
    household = make_household(village, head_name="韩桂兰")
    scorer = make_staff(Role.COMMITTEE, village, name="李委员")
    picture = tmp_path / "垃圾桶.jpg"
    picture.write_bytes(jpeg_bytes(size=(2400, 1800), color="green"))

    sign_in_staff(phone, scorer.username)
    phone.goto("/scoring/sorting/")
    phone.get_by_role("button", name="开始今天的检查").click()
    phone.wait_for_url(re.compile(r"/scoring/sorting/\d+/"))
    phone.locator(f"#h-{household.pk} a").first.click()
    phone.wait_for_url(re.compile(r"/household/\d+/"))

    phone.context.set_offline(True)
    phone.locator("#id_note").fill("厨余垃圾混在其他垃圾里")
    phone.locator("#id_photo").set_input_files(str(picture))
    phone.get_by_role("button", name="不合格", exact=True).click()
    phone.locator("[data-sync-count]").filter(has_text="1").wait_for()
    assert "附照片" in phone.locator("[data-sync-list]").inner_text()
    screenshot(phone, "scoring-4-offline-photo")
    assert not SortingCheck.objects.exists()

    phone.context.set_offline(False)
    phone.locator("[data-sync-box]").get_by_role("button", name="立即上传").click(force=True)
    phone.locator("[data-sync-box]").wait_for(state="hidden")
    check = SortingCheck.objects.get()
    assert check.grade == "fail" and check.note == "厨余垃圾混在其他垃圾里"
    # Shrunk on the phone to 1,600 px, cleaned again on the server, thumbnail made.
    assert (check.photo.width, check.photo.height) == (1600, 1200)
    assert check.photo.thumbnail
