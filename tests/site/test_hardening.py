"""Bad input is never a 500: control characters, malformed ids, impossible months and open
redirects are refused by one gate and a few helpers (``meijia.hardening``, ``registry.params``)."""

import datetime
import json
import uuid

import pytest
from django.test import RequestFactory
from django.urls import reverse

from points.models import SortingCheck
from points.services.publicity import objection_raise
from points.services.sorting import sorting_round_open
from registry.params import (
    BadInput,
    date_param,
    id_param,
    int_param,
    month_from_parts,
    month_param,
    safe_next,
)
from registry.services import codes
from tests.factories import Role, make_household, make_staff
from tests.points.factories import make_sorting_rules
from tests.points.test_appraisals import (
    PUBLICITY,
    scored_and_verified,
    villager_of,
)
from tests.points.test_appraisals import world as appraisal_world  # noqa: F401
from tests.shops.factories import make_shop_world, make_villager, redeem_soap

pytestmark = pytest.mark.django_db

EVIL = "//evil.example/x"


def _refused_in_chinese(response) -> None:
    assert response.status_code == 400
    assert "无法处理这个请求" in response.content.decode()


# --- The gate: control characters anywhere -------------------------------------------------------


@pytest.mark.parametrize(
    "url,params",
    [
        ("/site/search/", {"q": "垃圾\x00"}),
        ("/site/search/", {"q\x00": "垃圾"}),
        ("/site/search/", {"q": "垃圾\x1b[0m"}),
        ("/site/sea\x00rch/", {}),
        ("/no-such-page/\x00/", {}),
    ],
)
def test_control_characters_in_the_path_or_query_are_a_400_in_chinese(client, url, params):
    _refused_in_chinese(client.get(url, params))


def test_tabs_and_line_breaks_are_ordinary_text(client):
    assert client.get("/site/search/", {"q": "垃圾\t分类\r\n"}).status_code == 200


@pytest.fixture
def shop_world():
    world = make_shop_world(balance=100, stock=10)
    world["villager"] = make_villager(world["household"])
    return world


def test_control_characters_in_the_code_poll_the_receipt_and_a_form(client, shop_world):
    redemption = redeem_soap(shop_world, "k" * 20)
    client.force_login(shop_world["villager"])
    poll = reverse("household_code_status", args=[shop_world["household"].pk])
    _refused_in_chinese(client.get(poll, {"digits": "1234\x00"}))
    assert client.get(poll, {"digits": "12345678"}).status_code == 200
    receipt = reverse("shops:receipt", args=[redemption.receipt_number])
    _refused_in_chinese(client.get(receipt.rstrip("/") + "\x00/"))
    client.force_login(shop_world["keeper"])
    void = reverse("shops:receipt_void", args=[redemption.receipt_number])
    _refused_in_chinese(client.post(void, {"reason": "拿错\x00了"}))
    redemption.refresh_from_db()
    assert redemption.voided_at is None


def test_the_api_answers_control_characters_in_its_own_shape(client, shop_world):
    client.force_login(shop_world["keeper"])
    response = client.post(
        "/api/v1/counter/preview",
        json.dumps({"code": "12345678\u0000"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "bad_input" and "无法使用的字符" in body["message"]


# --- Ids, numbers, months, dates -----------------------------------------------------------------


def test_id_and_number_helpers():
    assert id_param({"a": " 42 "}, "a") == 42
    assert id_param({}, "a") is None and id_param({"a": ""}, "a") is None
    for bad in ("abc", "0", "-1", "9" * 20, str(2**63), "1.5", "1e3", True, ["1"]):
        with pytest.raises(BadInput):
            id_param({"a": bad}, "a")
    assert int_param({"n": "-5"}, "n", min_value=-10, max_value=10) == -5
    with pytest.raises(BadInput):
        int_param({"n": "11"}, "n", min_value=-10, max_value=10)


def test_month_and_date_helpers_keep_to_this_century():
    assert month_param("2026-03") == datetime.date(2026, 3, 1)
    assert month_param("", default=datetime.date(2026, 1, 1)) == datetime.date(2026, 1, 1)
    assert date_param("2026-02-28") == datetime.date(2026, 2, 28)
    assert month_from_parts(2099, 12) == datetime.date(2099, 12, 1)
    for bad in ("9999-12", "99999999999999999999-01", "2026-13", "2026-1-1-1", "март"):
        with pytest.raises(BadInput):
            month_param(bad)
    for bad in ("9999-12-31", "2026-02-30", "0001-01-01", "2026/01/01"):
        with pytest.raises(BadInput):
            date_param(bad)
    for year, month in ((9999, 1), (10**20, 1), (2026, 0), (2026, 13)):
        with pytest.raises(BadInput):
            month_from_parts(year, month)


def test_settlement_urls_with_impossible_years_are_400(client, shop_world):
    store = shop_world["store"]
    client.force_login(shop_world["town_admin"])
    for year in (9999, 10**19, 10**20, 0):
        url = f"/admin/shops/settlement/{store.pk}/{year}/12/"
        _refused_in_chinese(client.get(url))
        _refused_in_chinese(client.post(url + "settle/"))
    client.force_login(shop_world["keeper"])
    phone = reverse("shops:counter_settlement", args=[store.pk])
    for month in ("9999-12", "99999999999999999999-12", "2026-00", "x"):
        _refused_in_chinese(client.get(phone, {"month": month}))
    assert client.get(phone, {"month": "2026-03"}).status_code == 200


@pytest.fixture
def sorting(tree, client):
    village = tree["villages"][0]
    make_sorting_rules(tree["district"])
    scorer = make_staff(Role.COMMITTEE, village, name="李委员")
    client.force_login(scorer)
    household = make_household(village, head_name="张三")
    found = sorting_round_open(village=village, actor=scorer, held_on=datetime.date(2026, 3, 2))
    return {"round": found, "household": household}


def test_the_grade_form_refuses_a_malformed_household_and_a_nul_note(client, sorting):
    url = reverse("points:sorting_grade", args=[sorting["round"].pk])
    base = {"grade": "good", "key": uuid.uuid4().hex}
    for household in ("abc", "1.5", "9" * 25, "-3"):
        _refused_in_chinese(client.post(url, {**base, "household": household}))
    _refused_in_chinese(
        client.post(url, {**base, "household": sorting["household"].pk, "note": "好\x00"})
    )
    _refused_in_chinese(
        client.post(url, {"household": sorting["household"].pk, "grade": "good", "key": "k\x00"})
    )
    assert not SortingCheck.objects.filter(household=sorting["household"]).exists()
    find = reverse("points:sorting_find", args=[sorting["round"].pk])
    _refused_in_chinese(client.get(find, {"q": "张\x00"}))
    assert client.get(find, {"q": "张"}).status_code == 200


# --- Open redirects ------------------------------------------------------------------------------


def test_safe_next_keeps_to_this_site():
    request = RequestFactory().get("/")
    for evil in (EVIL, "https://evil.example/", "javascript:alert(1)", "/\\evil.example", "\\\\x"):
        assert safe_next(request, evil, "/home/") == "/home/"
    assert safe_next(request, "/scoring/sorting/?group=3", "/") == "/scoring/sorting/?group=3"
    assert safe_next(request, "", "home") == "/"


def test_the_grade_form_does_not_follow_a_foreign_next(client, sorting):
    url = reverse("points:sorting_grade", args=[sorting["round"].pk])
    sheet = reverse("points:sorting_round", args=[sorting["round"].pk])
    for evil in (EVIL, "https://evil.example/", "///evil.example"):
        response = client.post(
            url,
            {
                "household": sorting["household"].pk,
                "grade": "good",
                "key": uuid.uuid4().hex,
                "next": evil,
            },
        )
        assert response.status_code == 302 and response.url == sheet
    kept = client.post(
        url,
        {"household": sorting["household"].pk, "grade": "good", "key": "x" * 20, "next": "/x/"},
    )
    assert kept.url == "/x/"


def test_the_objection_answer_does_not_follow_a_foreign_next(client, appraisal_world):  # noqa: F811
    scored_and_verified(appraisal_world)
    objector = villager_of(appraisal_world["neighbour"], name="吴家")
    result = appraisal_world["house"].appraisal_results.get()
    objection = objection_raise(
        target=result, actor=objector, reason="院子里堆着柴火", today=PUBLICITY
    )
    client.force_login(appraisal_world["b"])
    response = client.post(
        reverse("points:objection_answer", args=[objection.pk]),
        {"decision": "reject", "resolution": "已清理", "next": EVIL},
    )
    assert response.status_code == 302
    assert response.url == reverse("points:campaigns")
    objection.refresh_from_db()
    assert objection.resolution == "已清理"


def test_the_text_size_switch_does_not_follow_a_foreign_next(client):
    response = client.post(reverse("text_size"), {"size": "large", "next": EVIL})
    assert response.url == "/"


def test_a_card_code_still_reads_after_the_gate(client, shop_world):
    """Ordinary codes (letters, digits, dots) pass the gate untouched."""
    client.force_login(shop_world["keeper"])
    card = codes.card_token(shop_world["household"])
    response = client.post(
        reverse("shops:counter_preview", args=[shop_world["store"].pk]), {"code": card}
    )
    assert response.status_code == 200


# --- What the gate removes, and the guards of Wagtail's views -----------------------------------


@pytest.fixture
def superuser(client, db):
    from tests.factories import UserFactory

    user = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(user)
    return user


def test_a_next_that_is_not_a_path_on_this_site_never_reaches_a_view(client):
    # Wagtail's login took "abc" for a URL name (NoReverseMatch, a 500).
    for value in ("abc", EVIL, "https://evil.example/", "javascript:alert(1)"):
        response = client.get("/admin/login/", {"next": value})
        assert response.status_code in (200, 302)
        assert "evil.example" not in response.get("Location", "")


def test_wagtail_views_that_trust_a_value_are_guarded(client, superuser):
    # A parent page id that is not a number is dropped (Wagtail reversed a URL with it).
    assert client.get("/admin/choose-external-link/", {"parent_page_id": "abc"}).status_code == 200
    # A revision that does not exist is a 404, not AttributeError.
    assert client.get("/admin/pages/1/revisions/999999/revert/").status_code == 404
    assert client.post("/admin/pages/1/revisions/999999/revert/").status_code == 404
    # The external-link form posted without its url field.
    _refused_in_chinese(client.post("/admin/choose-external-link/", {}))
    # Searching within a tag in the image chooser.
    _refused_in_chinese(client.get("/admin/images/chooser/", {"q": "村", "tag": "美家"}))
    assert client.get("/admin/images/chooser/", {"q": "村"}).status_code == 200
    # Ids that are not numbers in Wagtail's choosers.
    _refused_in_chinese(client.get("/admin/images/chooser/chosen-multiple/", {"id": "abc"}))
    _refused_in_chinese(client.get("/admin/documents/chooser/chosen/abc/"))


def test_every_work_desk_date_field_keeps_to_supported_years(tree):
    from django.forms import modelform_factory
    from wagtail.admin.forms import WagtailAdminModelForm

    from points.models import ExpiryPolicy
    from registry.forms import HouseholdMoveForm
    from registry.models import Household

    form_class = modelform_factory(ExpiryPolicy, form=WagtailAdminModelForm, fields=["starts_on"])
    refused = form_class({"starts_on": "9999-12-31"})
    assert not refused.is_valid()
    assert "2099-12-31" in refused.errors["starts_on"][0]
    assert "starts_on" not in form_class({"starts_on": "2026-01-01"}).errors

    village = tree["villages"][0]
    household = Household.objects.get(pk=make_household(village).pk)
    manager = make_staff(Role.TOWN_ADMIN, tree["town"])
    move = HouseholdMoveForm({"effective_on": "9999-12-31"}, user=manager, household=household)
    assert "effective_on" in move.errors
