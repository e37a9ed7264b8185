"""Campaign tallies (五清一改): reporting, idempotent replays, the town's review (maker-checker),
totals against targets equal to a hand count with a fixed number of queries, scoping of the pages
and the recorded export."""

import datetime as dt
import io
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from PIL import Image

from outbox.models import Message
from registry.models import Area, ExportRecord
from supervision.exceptions import TallyError
from supervision.models import Measure, TallyCampaign, TallyLine, TallyReport, TallyTarget
from supervision.selectors.tallies import tally_totals
from supervision.services.tallies import tally_report_review, tally_report_submit
from tests.factories import Role, make_town, make_village
from tests.points.factories import photo_upload
from tests.supervision.factories import make_staff, make_world

pytestmark = pytest.mark.django_db
S = TallyReport.Status
MONDAY = dt.date(2026, 12, 7)


@pytest.fixture
def world():
    world = make_world()
    campaign = TallyCampaign.objects.create(
        district=world["district"],
        name="冬季清洁行动",
        starts_on=dt.date(2026, 11, 30),
        ends_on=dt.date(2027, 4, 4),
    )
    world["campaign"] = campaign
    world["piles"] = Measure.objects.create(campaign=campaign, name="三大堆", unit="处")
    world["tonnes"] = Measure.objects.create(campaign=campaign, name="垃圾", unit="吨", position=1)
    town2 = make_town(Area.objects.get(pk=world["district"].pk), name="二镇")
    world["town2"] = Area.objects.get(pk=town2.pk)
    world["village2"] = make_village(Area.objects.get(pk=town2.pk), name="二镇一村")
    world["town2_admin"] = make_staff(Role.TOWN_ADMIN, world["town2"])
    world["committee2"] = make_staff(Role.COMMITTEE, world["village2"])
    return world


def _submit(world, village="village", actor="committee", key="k" * 12, **kwargs):
    kwargs.setdefault("quantities", {world["piles"]: "3", world["tonnes"]: "1.5"})
    return tally_report_submit(
        campaign=world["campaign"],
        village=world[village],
        week_on=kwargs.pop("week_on", MONDAY),
        actor=world[actor],
        key=key,
        **kwargs,
    )


def test_report_keeps_quantities_by_week_and_strips_photo_exif(world):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    report = _submit(world, week_on=dt.date(2026, 12, 10), photos=[photo_upload(exif=exif)])
    assert report.week_on == MONDAY  # the Monday of that Thursday's week
    assert report.town_id == world["town"].pk
    assert report.status == S.SUBMITTED
    lines = {line.measure_id: line.quantity for line in report.lines.all()}
    assert lines == {world["piles"].pk: Decimal("3.00"), world["tonnes"].pk: Decimal("1.50")}
    (photo,) = report.photos.all()
    with photo.image.open("rb") as stored:
        assert not Image.open(stored).getexif()


def test_replay_of_the_same_key_counts_once_and_other_content_is_refused(world):
    first = _submit(world)
    again = _submit(world)
    assert again.pk == first.pk
    assert TallyReport.objects.count() == 1 and TallyLine.objects.count() == 2
    with pytest.raises(TallyError) as refused:
        _submit(world, quantities={world["piles"]: "4"})
    assert refused.value.code == "key_reused"
    assert TallyReport.objects.count() == 1


def test_replay_through_the_page_counts_once(client, world):
    client.force_login(world["committee"])
    data = {
        "village": world["village"].pk,
        "week_on": MONDAY.isoformat(),
        f"measure-{world['piles'].pk}": "2",
        "key": "tap-tap-1234",
    }
    url = f"/supervision/tallies/{world['campaign'].pk}/report/"
    for _attempt in range(3):
        assert client.post(url, data).status_code == 302
    assert TallyReport.objects.count() == 1


@pytest.mark.parametrize(
    ("quantities", "code"),
    [
        ({}, "nothing_reported"),
        ({"piles": "-1"}, "bad_quantity"),
        ({"piles": "abc"}, "bad_quantity"),
    ],
)
def test_bad_quantities_are_refused(world, quantities, code):
    with pytest.raises(TallyError) as refused:
        _submit(world, quantities={world[k]: v for k, v in quantities.items()})
    assert refused.value.code == code
    assert not TallyReport.objects.exists()


@pytest.mark.parametrize(
    ("actor", "village", "code"),
    [
        ("committee_other", "village", "not_allowed"),
        ("inspector", "village", "not_allowed"),
        ("town2_admin", "village", "not_allowed"),
        ("committee", "town", "not_a_village"),
    ],
)
def test_who_may_not_report(world, actor, village, code):
    if village == "town":
        world["committee"] = make_staff(Role.TOWN_ADMIN, world["town"])
    with pytest.raises(TallyError) as refused:
        _submit(world, actor=actor, village=village)
    assert refused.value.code == code


def test_week_outside_the_campaign_is_refused(world):
    with pytest.raises(TallyError) as refused:
        _submit(world, week_on=dt.date(2027, 5, 3))
    assert refused.value.code == "outside_campaign"


def test_town_approves_and_the_reporter_may_not(world):
    report = _submit(world)
    with pytest.raises(TallyError) as refused:
        tally_report_review(report=report, actor=world["committee2"], approve=True)
    assert refused.value.code == "not_allowed"
    for outsider in ("committee", "town2_admin", "inspector"):
        with pytest.raises(TallyError) as refused:
            tally_report_review(report=report, actor=world[outsider], approve=True)
        assert refused.value.code == "not_allowed"
    own = _submit(world, actor="town_admin", key="own-report-1")
    with pytest.raises(TallyError) as refused:
        tally_report_review(report=own, actor=world["town_admin"], approve=True)
    assert refused.value.code == "same_person"
    done = tally_report_review(report=report, actor=world["town_admin"], approve=True)
    assert done.status == S.APPROVED and done.reviewed_by == world["town_admin"]
    with pytest.raises(TallyError) as refused:
        tally_report_review(report=report, actor=world["district_admin"], approve=False, reason="x")
    assert refused.value.code == "already_reviewed"


def test_send_back_needs_a_reason_and_tells_the_reporter(world):
    report = _submit(world)
    with pytest.raises(TallyError) as refused:
        tally_report_review(report=report, actor=world["town_admin"], approve=False, reason=" ")
    assert refused.value.code == "reason_required"
    tally_report_review(
        report=report, actor=world["town_admin"], approve=False, reason="吨数与过磅单不符"
    )
    report.refresh_from_db()
    assert report.status == S.SENT_BACK and report.reason == "吨数与过磅单不符"
    message = Message.objects.get(template="tallies.sent_back")
    assert message.user == world["committee"]
    assert message.data["reason"] == "吨数与过磅单不符"
    corrected = _submit(world, key="corrected-1", replaces=report)
    assert corrected.status == S.SUBMITTED and corrected.pk != report.pk


def _hand_world(world):
    """Reports in two towns over three weeks, reviewed at random (seeded), and the expected sums
    counted by hand from the inputs."""
    rng = random.Random(13)
    villages = ["village", "other_village", "village2"]
    reviewer = {"village": "town_admin", "other_village": "town_admin", "village2": "town2_admin"}
    reporter = {
        "village": "committee",
        "other_village": "committee_other",
        "village2": "committee2",
    }
    by_town, by_village, by_week = defaultdict(Decimal), defaultdict(Decimal), defaultdict(Decimal)
    serial = 0
    for week in range(3):
        week_on = MONDAY + dt.timedelta(weeks=week)
        for name in villages:
            for _copy in range(2):
                serial += 1
                piles, tonnes = rng.randint(0, 9), Decimal(rng.randint(0, 500)) / 10
                report = _submit(
                    world,
                    village=name,
                    actor=reporter[name],
                    key=f"hand-{serial:04d}",
                    week_on=week_on,
                    quantities=(
                        {world["piles"]: piles, world["tonnes"]: tonnes}
                        if piles or tonnes
                        else {world["piles"]: 1}
                    ),
                )
                fate = rng.choice(["approve", "approve", "send_back", "wait"])
                if fate == "wait":
                    continue
                tally_report_review(
                    report=report,
                    actor=world[reviewer[name]],
                    approve=fate == "approve",
                    reason="重报",
                )
                if fate != "approve":
                    continue
                for line in report.lines.all():
                    town = world[name].path[: 2 * Area.steplen]
                    by_town[(town, line.measure_id)] += line.quantity
                    by_village[(world[name].pk, line.measure_id)] += line.quantity
                    by_week[(week_on, line.measure_id)] += line.quantity
    return by_town, by_village, by_week


def test_totals_equal_a_hand_count_with_fixed_queries(world, django_assert_num_queries):
    TallyTarget.objects.create(measure=world["piles"], town=world["town"], quantity=50)
    TallyTarget.objects.create(measure=world["tonnes"], town=world["town2"], quantity=80)
    by_town, by_village, by_week = _hand_world(world)
    district, town = world["district"], world["town"]
    with django_assert_num_queries(5):
        table = tally_totals(campaign=world["campaign"], area=district)
    measures = [world["piles"], world["tonnes"]]
    assert [row.area.pk for row in table.rows] == [town.pk, world["town2"].pk]
    for row in table.rows:
        for measure, cell in zip(measures, row.cells, strict=True):
            assert cell.total == by_town[(row.area.path, measure.pk)]
    assert table.rows[0].cells[0].target == 50 and table.rows[0].cells[1].target is None
    assert table.rows[1].cells[1].target == 80
    assert table.total.cells[0].target == 50 and table.total.cells[1].target == 80
    for i, measure in enumerate(measures):
        expected = sum((v for (t, m), v in by_town.items() if m == measure.pk), Decimal(0))
        assert table.total.cells[i].total == expected
        weeks = {row.label: row.cells[i].total for row in table.weeks}
        assert weeks == {f"{w:%m-%d}": v for (w, m), v in by_week.items() if m == measure.pk}
    with django_assert_num_queries(5):
        by_villages = tally_totals(campaign=world["campaign"], area=town)
    for row in by_villages.rows:
        assert [c.total for c in row.cells] == [by_village[(row.area.pk, m.pk)] for m in measures]
    assert by_villages.total.cells[0].target == 50


def test_totals_queries_do_not_grow_with_villages(world, django_assert_num_queries):
    _submit(world)
    for index in range(5):
        place = make_village(Area.objects.get(pk=world["town2"].pk), name=f"新村{index}")
        committee = make_staff(Role.COMMITTEE, place)
        report = tally_report_submit(
            campaign=world["campaign"],
            village=place,
            week_on=MONDAY,
            quantities={world["piles"]: 1},
            actor=committee,
            key=f"grow-{index:06d}",
        )
        tally_report_review(report=report, actor=world["town2_admin"], approve=True)
    with django_assert_num_queries(5):
        table = tally_totals(campaign=world["campaign"], area=world["district"])
    assert table.total.cells[0].total == 5


def test_pages_are_scoped(client, world, django_assert_max_num_queries):
    mine = _submit(world, note="本村上报")
    _submit(
        world, village="other_village", actor="committee_other", key="other-111", note="邻村上报"
    )
    _submit(world, village="village2", actor="committee2", key="town2-111", note="二镇上报")
    pk = world["campaign"].pk
    client.force_login(world["committee"])
    page = client.get(f"/supervision/tallies/{pk}/report/").content.decode()
    assert "本村上报" in page and "邻村上报" not in page and "二镇上报" not in page
    assert client.get(f"/supervision/tallies/{pk}/review/").status_code == 404
    assert (
        client.post(
            f"/supervision/tallies/reports/{mine.pk}/review/", {"decision": "approve"}
        ).status_code
        == 404
    )
    client.force_login(world["town_admin"])
    with django_assert_max_num_queries(14):
        page = client.get(f"/supervision/tallies/{pk}/review/")
    text = page.content.decode()
    assert "本村上报" in text and "邻村上报" in text and "二镇上报" not in text
    response = client.post(
        f"/supervision/tallies/reports/{mine.pk}/review/", {"decision": "approve"}
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == S.APPROVED
    totals = client.get(f"/supervision/tallies/{pk}/totals/")
    assert totals.context["area"] == world["town"]
    assert (
        client.get(f"/supervision/tallies/{pk}/totals/?area={world['district'].pk}").context["area"]
        == world["town"]
    )


def test_district_totals_page_and_recorded_export(client, world):
    report = _submit(world)
    tally_report_review(report=report, actor=world["town_admin"], approve=True)
    client.force_login(world["inspector"])
    pk = world["campaign"].pk
    page = client.get(f"/supervision/tallies/{pk}/totals/")
    assert page.context["area"] == world["district"]
    assert page.context["table"].total.cells[0].total == 3
    response = client.get(f"/supervision/tallies/{pk}/totals/?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == world["town"].name and rows[1][1] == 3
    record = ExportRecord.objects.get(kind="tally_totals")
    assert record.user == world["inspector"] and record.area == world["district"]


def test_campaign_list_links_by_role(client, world):
    totals = f"/supervision/tallies/{world['campaign'].pk}/totals/"
    report = f"/supervision/tallies/{world['campaign'].pk}/report/"
    client.force_login(world["committee"])
    page = client.get("/supervision/tallies/").content.decode()
    assert report in page and totals not in page
    assert client.get(totals).status_code == 404
    client.force_login(world["inspector"])
    page = client.get("/supervision/tallies/").content.decode()
    assert totals in page and report not in page
    client.force_login(world["stranger"])
    assert client.get("/supervision/tallies/").status_code == 404
