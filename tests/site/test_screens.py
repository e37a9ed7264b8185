"""Site-wide screens of issue 17: our own error pages, the icon and manifest, the settings page
that holds the language, scanner.js only where a code is scanned, the rules page."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from points.services.appraisals import appraisal_campaign_create
from tests.factories import Role, make_household, make_staff, make_tree
from tests.points.factories import make_sorting_rules
from tests.shops.factories import make_shop_world, make_villager

pytestmark = pytest.mark.django_db


def test_404_is_ours_in_chinese_light_and_leads_home(client):
    response = client.get("/no-such-page-here/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "找不到" in html and 'href="/"' in html
    assert "Not Found" not in html and "<script" not in html
    assert len(html) < 4000


def test_403_and_500_templates_are_ours(rf):
    from django.views import defaults

    request = rf.get("/")
    forbidden = defaults.permission_denied(request, Exception())
    assert forbidden.status_code == 403 and "权限" in forbidden.content.decode()
    failed = defaults.server_error(request)
    assert failed.status_code == 500 and 'href="/"' in failed.content.decode()
    assert "出错" in failed.content.decode()


def test_csrf_failure_page_says_what_happened_in_chinese():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("text_size"), {"size": "large"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "过期" in html and 'href="/"' in html and "CSRF verification failed" not in html


def test_favicon_and_web_app_manifest(client):
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 301 and favicon["Location"].endswith(".ico")
    manifest = client.get(reverse("web_manifest"))
    assert manifest["Content-Type"].startswith("application/manifest+json")
    data = manifest.json()
    assert data["short_name"] == "美家" and data["start_url"] == "/"
    assert {icon["sizes"] for icon in data["icons"]} >= {"192x192", "512x512"}
    home = client.get(reverse("preferences")).content.decode()
    assert reverse("web_manifest") in home and 'rel="icon"' in home


def test_language_lives_on_the_settings_page_not_in_every_footer(client):
    world = make_shop_world()
    client.force_login(make_villager(world["household"]))
    page = client.get(reverse("household", args=[world["household"].pk])).content.decode()
    assert reverse("set_language") not in page
    assert reverse("preferences") in page
    settings_page = client.get(reverse("preferences")).content.decode()
    assert reverse("set_language") in settings_page and "English" in settings_page
    assert reverse("outbox:preferences") in settings_page


def test_scanner_script_only_on_pages_that_scan(client):
    world = make_shop_world()
    client.force_login(make_villager(world["household"]))
    household_page = client.get(reverse("household", args=[world["household"].pk]))
    assert "scanner.js" not in household_page.content.decode()
    client.force_login(world["keeper"])
    counter = client.get(reverse("shops:counter", args=[world["store"].pk]))
    assert "scanner.js" in counter.content.decode()


def test_rules_page_orders_grades_and_words_deduction_caps_and_lists_every_level(client):
    tree = make_tree()
    village = tree["villages"][0]
    make_sorting_rules(tree["district"], **{"sorting-fail": {"cap_per_day": 2}})
    household = make_household(village, head_name="赵秀英", phone="13800000055")
    committee = make_staff(Role.COMMITTEE, village)
    appraisal_campaign_create(
        village=village,
        title="十一月评比",
        period_start=datetime.date(2026, 11, 1),
        period_end=datetime.date(2026, 11, 30),
        actor=committee,
    )
    client.force_login(make_villager(household, phone="13800000055"))
    html = client.get(reverse("household_rules", args=[household.pk])).content.decode()
    positions = [html.index(f"垃圾分类 {grade}") for grade in ("优", "良", "合格", "不合格")]
    assert positions == sorted(positions)
    assert "最多扣" in html
    for level in ("五星美家", "四星美家", "三星美家"):
        assert level in html
