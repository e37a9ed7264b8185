"""Every villager and counter page at 360 px, in normal and in large text (issue 17): nothing
wider than the screen, no villager text under 16 px, no tap target under 44 × 44 px. Each page
is saved as a screenshot (tests/e2e/screenshots/layout-*.png) for a person to look at."""

import datetime
import re

import pytest

from campaigns.models import LessonPage
from points.models import EarningRuleVersion
from points.services.claims import claim_record
from points.services.rules import rule_create
from registry.services import codes
from shops.services.redemptions import redemption_confirm
from tests.campaigns.factories import add_class, make_image, make_site
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.helpers import phone_page, sign_in_staff, sign_in_villager
from tests.factories import Role, make_household, make_staff, make_tree
from tests.points.factories import make_sorting_rules
from tests.shops.factories import give_points, make_item, make_shopkeeper, make_store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Measured in the page: what sticks out to the right, text set under 16 px (villager pages only),
# and tap targets under 44 px. A link inside a sentence is exempt (WCAG 2.5.8's inline exception);
# a checkbox or radio counts with its label.
CHECK = """(checkText) => {
  const width = document.documentElement.clientWidth;
  const found = {wide: [], small: [], tiny: []};
  const name = (el) => {
    const cls = typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\\s+/).join(".") : "";
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim();
    return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + cls + ' "' + text.slice(0, 24) + '"';
  };
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden" && style.display !== "none";
  };
  if (document.documentElement.scrollWidth > width) {
    found.wide.push("page is " + document.documentElement.scrollWidth + " px wide");
  }
  for (const el of document.querySelectorAll("body *")) {
    if (!shown(el) || el.closest("svg")) continue;
    const box = el.getBoundingClientRect();
    if (box.right > width + 1) found.wide.push(name(el) + " ends at " + Math.round(box.right));
    const ownText = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (checkText && ownText && size < 16) found.small.push(name(el) + " " + size + "px");
  }
  const targets = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  for (const el of document.querySelectorAll(targets)) {
    if (!shown(el) || el.disabled) continue;
    const parent = el.parentElement;
    if (el.tagName === "A" && getComputedStyle(el).display === "inline" && parent
        && parent.innerText.trim().length > el.innerText.trim().length + 1) continue;
    const target = el.matches("input[type=checkbox], input[type=radio]") ? (el.closest("label") || el) : el;
    const box = target.getBoundingClientRect();
    if (box.height < 44 - 0.5 || box.width < 44 - 0.5) {
      found.tiny.push(name(el) + " " + Math.round(box.width) + "×" + Math.round(box.height));
    }
  }
  return found;
}"""


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    tree = make_tree()
    site = make_site(tree)
    village = tree["villages"][0]
    make_sorting_rules(tree["district"], **{"sorting-fail": {"cap_per_day": 2}})
    rule_create(
        actor=None,
        area=tree["district"],
        code="class-online",
        category="class",
        is_published=True,
        name="美她学堂 线上学习",
        points=2,
        valid_from=datetime.date(2026, 1, 1),
    )
    household = make_household(village, head_name="冯玉兰", phone="13900000041")
    give_points(household, 120)
    store = make_store(village, name="杏花村美家超市")
    keeper = make_shopkeeper(store, name="刘店长")
    soap = make_item(store, name="硫磺皂", price=10, stock=20)
    soap.photo = make_image("硫磺皂", color=(240, 200, 60), size=(200, 200))
    soap.save(update_fields=["photo"])
    make_item(store, name="食用油 5 升装", price=60, stock=3, limit=1)
    make_item(store, name="电饭煲", price=500, stock=2)
    make_item(store, name="洗衣粉", price=15, stock=0)
    redemption = redemption_confirm(
        store=store,
        actor=keeper,
        code=codes.card_token(household),
        basket={soap.pk: 2},
        idempotency_key="layout-redeem-1",
    )
    committee = make_staff(Role.COMMITTEE, village, name="李委员")
    claim_record(
        household=household,
        version=EarningRuleVersion.objects.get(rule__code="sorting-excellent"),
        actor=committee,
        idempotency_key="layout-claim-1",
        reason="垃圾分类 优",
    )
    lesson = site["village"].add_child(
        instance=LessonPage(title="垃圾分类四分法：厨余、可回收、有害和其他", kind="text")
    )
    class_page, _session = add_class(site["village"], title="美她学堂：收纳整理课")
    return {
        "household": household,
        "store": store,
        "keeper": keeper,
        "receipt": redemption.redemption.receipt_number,
        "lesson": lesson,
        "class_page": class_page,
        "committee": committee,
    }


def _report(problems: dict, name: str) -> str:
    """Every problem on one line each, also written beside the screenshots."""
    text = "\n".join(f"{where}: {item}" for where, items in problems.items() for item in items)
    (SCREENSHOTS / f"layout-{name}-problems.txt").write_text(text or "none\n", encoding="utf-8")
    return text


def _check(page, screenshot, name: str, *, villager: bool, problems: dict) -> None:
    page.wait_for_load_state("load")
    screenshot(page, f"layout-{name}")
    found = page.evaluate(CHECK, villager)
    for kind, items in found.items():
        for item in items:
            problems.setdefault(f"{name}: {kind}", []).append(item)


def _modes(page, live_server):
    for mode in ("normal", "large"):
        page.context.add_cookies([{"name": "mj_text", "value": mode, "url": live_server.url}])
        yield mode


def test_villager_pages_fit_a_360px_phone_in_both_text_sizes(
    browser, live_server, world, screenshot
):
    household = world["household"]
    problems: dict[str, list[str]] = {}
    anonymous = phone_page(browser, live_server.url)
    for mode in _modes(anonymous, live_server):
        for name, url in [
            ("sign-in", "/accounts/login/code/"),
            ("staff-sign-in", "/accounts/login/"),
            ("not-found", "/no-such-page/"),
        ]:
            anonymous.goto(url)
            _check(anonymous, screenshot, f"{name}-{mode}", villager=True, problems=problems)
    anonymous.context.close()

    phone = phone_page(browser, live_server.url)
    sign_in_villager(phone, "13900000041", lands_on=None)
    pages = [
        ("home", "/"),
        ("household", f"/household/{household.pk}/"),
        ("history", f"/household/{household.pk}/points/"),
        ("rules", f"/household/{household.pk}/rules/"),
        ("code", f"/household/{household.pk}/code/"),
        ("receipt", f"/shops/receipt/{world['receipt']}/"),
        ("inbox", "/inbox/"),
        ("message-settings", "/inbox/settings/"),
        ("settings", "/prefs/"),
        ("publicity", "/scoring/publicity/"),
        ("lesson", world["lesson"].url),
        ("class", world["class_page"].url),
    ]
    for mode in _modes(phone, live_server):
        for name, url in pages:
            response = phone.goto(url)
            assert response.status == 200, (name, url, response.status)
            _check(phone, screenshot, f"villager-{name}-{mode}", villager=True, problems=problems)
    phone.context.close()
    assert not problems, _report(problems, "villager")


def test_counter_pages_fit_a_360px_phone_in_both_text_sizes(
    browser, live_server, world, screenshot
):
    store = world["store"]
    problems: dict[str, list[str]] = {}
    counter = phone_page(browser, live_server.url)
    sign_in_staff(counter, world["keeper"].username)
    for mode in _modes(counter, live_server):
        counter.goto(f"/shops/counter/{store.pk}/")
        _check(counter, screenshot, f"counter-home-{mode}", villager=False, problems=problems)
        counter.locator("input[name=code]").fill(codes.card_token(world["household"]))
        counter.get_by_role("button", name="查询").click()
        counter.wait_for_url(re.compile(r"/preview/"))
        _check(counter, screenshot, f"counter-basket-{mode}", villager=False, problems=problems)
        for name, url in [
            ("receipt", f"/shops/receipt/{world['receipt']}/"),
            ("void", f"/shops/receipt/{world['receipt']}/void/"),
            ("day", f"/shops/counter/{store.pk}/day/"),
            ("stock", f"/shops/counter/{store.pk}/stock/"),
            ("statement", f"/shops/counter/{store.pk}/settlement/"),
        ]:
            response = counter.goto(url)
            assert response.status == 200, (name, url, response.status)
            _check(counter, screenshot, f"counter-{name}-{mode}", villager=False, problems=problems)
    counter.context.close()
    assert not problems, _report(problems, "counter")


def test_committee_phone_pages_are_no_wider_than_a_360px_phone(
    world, browser, live_server, screenshot
):
    """What a committee member opens on the phone in the village (scoring, appraisals with
    their new-appraisal form, work orders, toilets): nothing sticks out to the right. (Their
    pages are not held to the villager's 16 px text.)"""
    page = phone_page(browser, live_server.url)
    problems: dict = {}
    try:
        sign_in_staff(page, world["committee"].username)
        for name, url in [
            ("committee-sorting", "/scoring/sorting/"),
            ("committee-appraisals", "/scoring/appraisals/"),
            ("committee-commendations", "/scoring/commendations/"),
            ("committee-publicity", "/scoring/publicity/"),
            ("committee-orders", "/supervision/orders/"),
            ("committee-mine", "/supervision/mine/"),
            ("committee-toilets", "/upkeep/toilets/"),
            ("committee-upkeep-orders", "/upkeep/orders/"),
        ]:
            response = page.goto(url)
            assert response.status == 200, (name, url, response.status)
            _check(page, screenshot, name, villager=False, problems=problems)
    finally:
        page.context.close()
    wide = {where: items for where, items in problems.items() if where.endswith(": wide")}
    assert not wide, _report(wide, "committee")
