"""Events written where they happen: points approved, refused, deducted; a notice to an area."""

import datetime

import pytest
from django.urls import reverse

from meijia import sms
from outbox import services as outbox_services
from outbox.exceptions import NoticeError
from outbox.models import Message
from outbox.services import area_notice_send, notice_reach
from points.services.claims import claim_approve, claim_record, claim_reject
from points.services.rules import rule_create
from registry.services.register import villager_link
from tests.factories import Role, UserFactory, make_household, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def village_world(tree):
    village = tree["villages"][0]
    household = make_household(village, head_name="何美珍", phone="13900000031")
    villager = UserFactory(phone="13900000031", phone_verified=True, name="何美珍")
    villager_link(user=villager)
    rules = {
        code: rule_create(
            actor=None,
            area=tree["district"],
            code=code,
            category="sorting",
            is_published=True,
            kind=kind,
            name=name,
            points=points,
            valid_from=datetime.date(2020, 1, 1),
        ).versions.get(version=1)
        for code, kind, name, points in (
            ("sorting-excellent", "earn", "垃圾分类 优", 5),
            ("sorting-fail", "deduct", "垃圾分类 不合格", 2),
        )
    }
    return {
        "tree": tree,
        "household": household,
        "villager": villager,
        "recorder": make_staff(Role.COMMITTEE, village, name="甲委员"),
        "checker": make_staff(Role.COMMITTEE, village, name="乙委员"),
        "rules": rules,
    }


def _claim(world, code, key):
    return claim_record(
        household=world["household"],
        version=world["rules"][code],
        actor=world["recorder"],
        idempotency_key=key,
        reason=f"垃圾分类检查 {code}",
    )


def test_points_approved_deducted_and_refused_reach_the_household(
    village_world, django_capture_on_commit_callbacks
):
    world = village_world
    with django_capture_on_commit_callbacks(execute=True):
        claim_approve(claim=_claim(world, "sorting-excellent", "e1"), approver=world["checker"])
    approved = Message.objects.get(template="points.approved")
    assert (approved.user, approved.is_in_inbox) == (world["villager"], True)
    assert approved.data["points"] == 5
    assert "5" in sms.outbox[-1].text
    # Approving again changes nothing and writes no second message.
    claim_approve(claim=_claim(world, "sorting-excellent", "e1"), approver=world["checker"])
    assert Message.objects.filter(template="points.approved").count() == 1

    claim_approve(claim=_claim(world, "sorting-fail", "f1"), approver=world["checker"])
    assert Message.objects.get(template="points.deducted").data["points"] == 2

    claim_reject(
        claim=_claim(world, "sorting-excellent", "e2"), approver=world["checker"], note="没有照片"
    )
    refused = Message.objects.get(template="points.refused")
    assert refused.data == {
        "points": 5,
        "reason": "垃圾分类检查 sorting-excellent",
        "note": "没有照片",
    }


def test_a_refused_approval_writes_no_message(village_world):
    world = village_world
    claim = _claim(world, "sorting-excellent", "own")
    with pytest.raises(Exception):  # noqa: B017 - the recorder may not approve
        claim_approve(claim=claim, approver=world["recorder"])
    assert not Message.objects.exists()


def test_a_notice_to_an_area_previews_then_confirms_large_sends(village_world, monkeypatch):
    world = village_world
    town = world["tree"]["town"]
    admin = make_staff(Role.TOWN_ADMIN, town, name="镇干部")
    make_household(world["tree"]["villages"][1], head_name="吴大勇", phone="13900000032")
    make_household(world["tree"]["villages"][1], head_name="无手机")
    reach = notice_reach(area=town)
    assert (reach.households, reach.phones) == (3, 2)
    monkeypatch.setattr(outbox_services, "NOTICE_LARGE", 2)
    with pytest.raises(NoticeError) as refused:
        area_notice_send(actor=admin, area=town, text="周六清理三大堆", key="k1")
    assert refused.value.code == "confirm_required"
    with pytest.raises(NoticeError) as refused:
        area_notice_send(
            actor=admin, area=town, text="周六清理三大堆", key="k1", confirmed_households=2
        )
    assert refused.value.code == "confirm_required"  # a stale count is not a confirmation
    sent = area_notice_send(
        actor=admin, area=town, text="周六清理三大堆", key="k1", confirmed_households=3
    )
    assert sent == 2
    assert (
        area_notice_send(
            actor=admin, area=town, text="周六清理三大堆", key="k1", confirmed_households=3
        )
        == 0
    )  # the same preview posted twice sends once
    villager_message = Message.objects.get(user=world["villager"])
    assert villager_message.data == {"sender": town.name, "text": "周六清理三大堆"}
    # A committee member, or an administrator of another area, may not send.
    with pytest.raises(NoticeError):
        area_notice_send(actor=world["recorder"], area=town, text="hi", key="k2")
    with pytest.raises(NoticeError) as refused:
        area_notice_send(actor=admin, area=town, text="长" * 57, key="k3")
    assert refused.value.code == "text_too_long"


def test_the_notice_page_previews_the_count_before_sending(client, village_world):
    town = village_world["tree"]["town"]
    admin = make_staff(Role.TOWN_ADMIN, town, name="镇干部", is_staff=True)
    client.force_login(admin)
    url = reverse("outbox_notices:new")
    assert client.get(url).status_code == 200
    preview = client.post(url, {"area": town.pk, "text": "周六清理三大堆", "action": "preview"})
    html = preview.content.decode()
    assert 'data-reach="1"' in html
    assert not Message.objects.exists()
    key = html.split('name="key" value="')[1][:32]
    response = client.post(
        url, {"area": town.pk, "text": "周六清理三大堆", "action": "send", "key": key}
    )
    assert response.status_code == 302
    assert Message.objects.filter(template="notice.area").count() == 1
    for bad in ({"area": "x", "text": "a"}, {"area": 10**20, "text": "a"}, {"text": ""}):
        assert client.post(url, {**bad, "action": "send"}).status_code == 200
    # A NUL byte never reaches the view: the bad-input gate answers 400 (meijia.hardening).
    assert client.post(url, {"area": "x\x00", "text": "a", "action": "send"}).status_code == 400
    assert Message.objects.filter(template="notice.area").count() == 1
    client.force_login(village_world["recorder"])
    assert client.get(url).status_code in (302, 403)


def test_the_ledgers_notice_is_written_in_its_statement_once_and_never_on_a_refusal(
    village_world, django_assert_num_queries
):
    """points_award(notice=…) writes the household's message in the ledger's own statement:
    one statement for both; a retry of the same key and a refused deduction write none."""
    from outbox.services import HouseholdNotice
    from points.exceptions import LedgerError
    from points.services.ledger import household_account, points_award, points_deduct

    world = village_world
    household = world["household"]
    household_account(household)
    household.village.get_root()  # the pool's district, looked up before counting

    def notice(key):
        return HouseholdNotice(
            template="points.approved", data={"points": 4, "reason": "扫院子"}, event_key=key
        )

    award = {"household": household, "reason": "扫院子", "actor": None}
    # The district's look-up, the ledger's statement with the message (in a transaction of its
    # own: BEGIN and COMMIT are not counted).
    with django_assert_num_queries(2):
        points_award(amount=4, idempotency_key="n1", notice=notice("n1"), **award)
    message = Message.objects.get()
    assert (message.user, message.data, message.event_key) == (
        world["villager"],
        {"points": 4, "reason": "扫院子"},
        "n1",
    )
    assert list(message.deliveries.values_list("channel", "state")) == [("sms", "pending")]
    # A retry returns the first transaction and writes no second message.
    points_award(amount=4, idempotency_key="n1", notice=notice("n1-again"), **award)
    # A refusal (more points than the household has) writes none either.
    with pytest.raises(LedgerError):
        points_deduct(amount=99, idempotency_key="n2", notice=notice("n2"), **award)
    assert list(Message.objects.values_list("event_key", flat=True)) == ["n1"]


def test_the_ledgers_notice_goes_the_general_way_when_wechat_is_on(village_world, settings):
    from outbox.services import HouseholdNotice
    from points.services import points_award

    settings.WEIXIN_APP_ID, settings.WEIXIN_APP_SECRET = "wx-app", "wx-secret"
    settings.WEIXIN_NOTICE_TEMPLATE_ID = "tpl"
    points_award(
        household=village_world["household"],
        amount=3,
        reason="扫院子",
        idempotency_key="w1",
        actor=None,
        notice=HouseholdNotice(
            template="points.approved", data={"points": 3, "reason": "扫院子"}, event_key="w1"
        ),
    )
    assert Message.objects.get().event_key == "w1"
