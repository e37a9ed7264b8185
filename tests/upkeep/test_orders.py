"""Service orders on work orders: each step and who may take it, the rating that reopens, the
figures and the monthly statement."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from outbox.models import Message
from registry.models import ExportRecord
from supervision.exceptions import WorkOrderError
from supervision.models import WorkOrder
from tests.factories import Role, make_household, make_staff, make_tree
from upkeep.exceptions import UpkeepError
from upkeep.models import ServiceOrder, Toilet
from upkeep.selectors import household_upkeep_get, service_figures
from upkeep.services.orders import (
    service_order_accept,
    service_order_dispatch,
    service_order_done,
    service_order_on_way,
    service_order_rate,
    service_order_request,
    service_orders_file_for,
)
from upkeep.services.toilets import contractor_team_create, contractor_team_member_add
from upkeep.statements import contractor_statement

pytestmark = pytest.mark.django_db
Status = WorkOrder.Status


def photo(name="after.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 60)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def villager_of(household):
    from registry.models import User
    from registry.services.register import villager_link

    head = household.members.get(relation="head")
    user = User.objects.create(username=f"v{household.pk}", phone=head.phone, phone_verified=True)
    villager_link(user=user)
    return user


@pytest.fixture
def world():
    tree = make_tree(villages=2)
    village, other = tree["villages"]
    household = make_household(village, phone="13900000071", number="0001")
    toilet = Toilet.objects.create(
        village=village, household=household, type=Toilet.Type.THREE_COMPARTMENT,
        tank_volume=Decimal("1.5"),
    )  # fmt: skip
    other_household = make_household(other, phone="13900000072", number="0002")
    other_toilet = Toilet.objects.create(
        village=other, household=other_household, type=Toilet.Type.DOUBLE_URN
    )
    coverage = contractor_team_create(
        actor=None, area=tree["town"], name="抽渣一队", company="鲁源环卫", villages=[village]
    )
    worker = make_staff(Role.CONTRACTOR, tree["town"])
    contractor_team_member_add(actor=None, team=coverage, user=worker)
    second = contractor_team_create(actor=None, area=tree["town"], name="维修二队", company="鲁源")
    outsider = make_staff(Role.CONTRACTOR, tree["town"])
    contractor_team_member_add(actor=None, team=second, user=outsider)
    return {
        **tree,
        "village": village,
        "household": household,
        "toilet": toilet,
        "other_toilet": other_toilet,
        "team": coverage.team,
        "second": second.team,
        "worker": worker,
        "outsider": outsider,
        "villager": villager_of(household),
        "committee": make_staff(Role.COMMITTEE, village),
        "town_admin": make_staff(Role.TOWN_ADMIN, tree["town"]),
    }


def ask(world, kind="emptying", key="k1", actor=None):
    return service_order_request(
        actor=actor or world["villager"], toilet=world["toilet"], kind=kind, channel="phone",
        key=key,
    )  # fmt: skip


def test_a_villager_asks_and_the_covering_team_gets_it_with_its_deadline(world):
    service = ask(world)
    order = service.order
    assert order.status == Status.ASSIGNED and order.assignee_team == world["team"]
    assert order.household == world["household"] and order.source == "upkeep"
    assert order.deadline_at - order.created_at == datetime.timedelta(hours=48)
    assert ask(world, key="k1").pk == service.pk  # a replay
    assert ask(world, key="k2").pk == service.pk  # asked again while in hand
    repair = ask(world, kind="repair", key="k3")
    assert repair.order.deadline_at - repair.order.created_at == datetime.timedelta(hours=72)
    assert ServiceOrder.objects.count() == 2


def test_nobody_asks_for_another_household(world):
    for actor in (world["villager"], world["committee"], world["worker"]):
        with pytest.raises(UpkeepError):
            service_order_request(
                actor=actor, toilet=world["other_toilet"], kind="emptying", channel="phone",
                key=f"x{actor.pk}",
            )  # fmt: skip


def test_committee_files_for_several_and_the_town_dispatches(world):
    second = make_household(world["village"], number="0003")
    second_toilet = Toilet.objects.create(village=world["village"], household=second, type="sewer")
    filed = service_orders_file_for(
        actor=world["committee"], toilets=[world["toilet"], second_toilet], kind="repair", key="f"
    )
    assert {s.channel for s in filed} == {"committee"} and len(filed) == 2
    with pytest.raises(UpkeepError):
        service_order_dispatch(actor=world["committee"], service=filed[0], team=world["second"])
    service_order_dispatch(actor=world["town_admin"], service=filed[0], team=world["second"])
    assert ServiceOrder.objects.get(pk=filed[0].pk).order.assignee_team == world["second"]


def test_only_the_team_works_its_orders_and_done_needs_photo_and_volume(world):
    service = ask(world)
    with pytest.raises(UpkeepError) as refused:
        service_order_accept(actor=world["outsider"], service=service)
    assert refused.value.code == "not_your_order"
    with pytest.raises(UpkeepError):
        service_order_accept(actor=world["villager"], service=service)
    service = service_order_accept(actor=world["worker"], service=service)
    accepted_at = service.accepted_at
    service = service_order_accept(actor=world["worker"], service=service)  # a double tap
    assert service.accepted_at == accepted_at
    service = service_order_on_way(actor=world["worker"], service=service)
    assert service.on_way_at is not None
    with pytest.raises(UpkeepError) as refused:
        service_order_done(actor=world["worker"], service=service, photos=[photo()])
    assert refused.value.code == "volume_required"
    with pytest.raises(UpkeepError) as refused:
        service_order_done(actor=world["worker"], service=service, photos=[], volume=Decimal("1.2"))
    assert refused.value.code == "photo_required"
    service = service_order_done(
        actor=world["worker"], service=service, photos=[photo()], volume=Decimal("1.2")
    )
    assert service.order.status == Status.DONE and service.volume == Decimal("1.2")
    world["toilet"].refresh_from_db()
    assert world["toilet"].last_emptied_on is not None
    asked = Message.objects.filter(template="upkeep.rate")
    assert asked.count() == 1 and asked.get().user_id == world["villager"].pk
    assert (
        household_upkeep_get(user=world["villager"], household=world["household"])["to_rate"]
        == service
    )


def _done(world, key="k1"):
    service = ask(world, key=key)
    return service_order_done(
        actor=world["worker"], service=service, photos=[photo()], volume=Decimal("1.3")
    )


def test_satisfied_closes_the_order(world):
    service = service_order_rate(actor=world["villager"], service=_done(world), rating="satisfied")
    assert service.order.status == Status.CLOSED and service.rating == "satisfied"
    assert (
        service_order_rate(
            actor=world["villager"], service=service, rating="satisfied"
        ).order.status
        == Status.CLOSED
    )  # a double tap changes nothing


def test_a_dissatisfied_rating_reopens_the_order_for_the_team(world):
    service = _done(world)
    with pytest.raises(UpkeepError) as refused:
        service_order_rate(actor=world["villager"], service=service, rating="dissatisfied")
    assert refused.value.code == "reason_required"
    with pytest.raises(UpkeepError):
        service_order_rate(actor=world["worker"], service=service, rating="satisfied")
    service = service_order_rate(
        actor=world["villager"], service=service, rating="dissatisfied", reason="没抽干净，还有味"
    )
    assert service.order.status == Status.ASSIGNED
    assert service.order.assignee_team == world["team"] and service.times_dissatisfied == 1
    assert service.accepted_at is None
    assert service.order.events.filter(action="send_back").get().note.endswith("没抽干净，还有味")
    # The team does it again; this time the household is satisfied.
    service = service_order_done(
        actor=world["worker"], service=service, photos=[photo()], volume=Decimal("0.4")
    )
    service = service_order_rate(actor=world["villager"], service=service, rating="fair")
    assert service.order.status == Status.CLOSED


def test_figures_by_village_team_and_month_and_the_statement(world):
    service_order_rate(actor=world["villager"], service=_done(world, "a"), rating="satisfied")
    repair = ask(world, kind="repair", key="b")
    service_order_accept(actor=world["worker"], service=repair)
    today = timezone.localdate()
    start, end = today - datetime.timedelta(days=1), today + datetime.timedelta(days=1)
    (village,) = service_figures(by="village", start=start, end=end)
    assert village.key == world["village"].pk and village.orders == 2 and village.done == 1
    assert village.done_within_deadline == 1 and village.within_deadline_rate == 0.5
    assert village.rated == 1 and village.satisfaction_rate == 1.0
    assert village.mean_response_hours is not None
    (team,) = service_figures(by="team", start=start, end=end)
    assert team.label == "抽渣一队"
    (town,) = service_figures(by="town", start=start, end=end)
    assert town.key == world["town"].pk and town.orders == 2
    assert len(service_figures(by="month", start=start, end=end)) == 1

    content = contractor_statement(user=world["town_admin"], team=world["team"], month=today)
    rows = list(load_workbook(io.BytesIO(content)).active.values)
    assert rows[1][0] == "工单号" and rows[2][3] == "户厕抽渣" or rows[2][7] == 1.3
    assert ExportRecord.objects.filter(kind="contractor_statement").count() == 1
    with pytest.raises(UpkeepError):
        contractor_statement(user=world["committee"], team=world["team"], month=today)


def test_the_pages_of_a_journey(client, world, django_assert_max_num_queries):
    client.force_login(world["villager"])
    toilet = world["toilet"]
    page = client.get(reverse("household", args=[world["household"].pk]))
    assert reverse("upkeep:ask", args=[toilet.pk]) in page.content.decode()
    response = client.post(
        reverse("upkeep:ask", args=[toilet.pk]), {"kind": "emptying", "key": "page-1"}
    )
    service = ServiceOrder.objects.get()
    assert response["Location"] == reverse("upkeep:order", args=[service.pk])
    client.post(reverse("upkeep:ask", args=[toilet.pk]), {"kind": "emptying", "key": "page-1"})
    assert ServiceOrder.objects.count() == 1
    client.force_login(world["worker"])
    with django_assert_max_num_queries(15):
        assert client.get(reverse("upkeep:work")).status_code == 200
    client.post(reverse("upkeep:work_step", args=[service.pk]), {"step": "accept"})
    client.post(
        reverse("upkeep:work_step", args=[service.pk]),
        {"step": "done", "volume": "1.1", "photo": photo()},
    )
    assert ServiceOrder.objects.get().order.status == Status.DONE
    client.force_login(world["outsider"])
    assert client.get(reverse("upkeep:order", args=[service.pk])).status_code == 404
    client.force_login(world["villager"])
    client.post(reverse("upkeep:rate", args=[service.pk]), {"rating": "satisfied"})
    client.force_login(world["town_admin"])
    with django_assert_max_num_queries(15):
        listing = client.get(reverse("upkeep:orders"), {"status": "closed"})
    assert [s.pk for s in listing.context["page"]] == [service.pk]


def test_only_upkeep_orders_are_checked_by_the_system(world):
    """The household's rating moves upkeep's orders; any other order's check needs a person."""
    from supervision.services.workorders import work_order_create, work_order_transition

    other = work_order_create(
        category=service_category_for_test(), area=world["village"], title="村口垃圾",
        actor=None, assignee_team=world["team"], source="inspection",
    )  # fmt: skip
    other = work_order_transition(order=other, name="done", actor=world["worker"], photos=[photo()])
    with pytest.raises(WorkOrderError):
        work_order_transition(order=other, name="accept", actor=None)


def service_category_for_test():
    from supervision.models import Category

    return Category.objects.create(code="litter", name="垃圾", source="inspection", days=3)


def test_the_work_desk_leads_staff_to_the_phone_pages(client, world):
    client.force_login(world["town_admin"])
    desk = client.get("/admin/").content.decode()
    assert reverse("upkeep:orders") in desk and reverse("upkeep:toilets") in desk
    client.force_login(world["committee"])
    desk = client.get("/admin/").content.decode()
    assert reverse("upkeep:orders") in desk and reverse("upkeep:figures") not in desk


def test_the_assessment_indicators_count_what_the_orders_say(world):
    """The after-care indicators of the assessment platform equal a hand count of the orders."""
    from assessment.indicators import COMPUTED

    service_order_rate(actor=world["villager"], service=_done(world, "a"), rating="satisfied")
    repair = ask(world, kind="repair", key="b")
    service_order_accept(actor=world["worker"], service=repair)
    today = timezone.localdate()
    start, end = today, today + datetime.timedelta(days=1)  # [start, end): today
    village = world["village"].pk

    within = COMPUTED["aftercare_within_deadline"](start=start, end=end)
    assert within == {village: (Decimal(1), Decimal(2))}  # one done in time, of two asked
    satisfaction = COMPUTED["aftercare_satisfaction"](start=start, end=end)
    assert satisfaction == {village: (Decimal(1), Decimal(1))}  # one rated, satisfied
    accepted = ServiceOrder.objects.filter(accepted_at__isnull=False)
    hours = [
        (service.accepted_at - service.order.created_at).total_seconds() / 3600
        for service in accepted.select_related("order")
    ]
    total, responded = COMPUTED["aftercare_response_hours"](start=start, end=end)[village]
    assert responded == len(hours) == accepted.count() >= 1
    assert abs(float(total) / float(responded) - sum(hours) / len(hours)) < 0.1
    # A period before the orders has none of them.
    earlier = start - datetime.timedelta(days=30)
    assert COMPUTED["aftercare_within_deadline"](start=earlier, end=start) == {}


@pytest.mark.parametrize("with_site", [False, True], ids=["no-campaign-site", "campaign-site"])
def test_a_contractor_signing_in_lands_on_the_teams_work_list(client, world, with_site):
    """A contractor has no household and no work desk: "/" sends them to their team's orders
    (with the district's campaign site as "/" too, not to its 'number not registered' note)."""
    if with_site:
        from tests.campaigns.factories import make_site

        make_site(world)
    client.force_login(world["worker"])
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("upkeep:work")
    assert response.status_code == 200
