"""Entered figures move level by level: the village submits, the town approves or sends back,
then the district approves; nobody approves their own entry or skips a level."""

import datetime
from decimal import Decimal

import pytest

from assessment.exceptions import AssessmentError
from assessment.models import EnteredFigure, Figure, Indicator, Period
from assessment.services import entry_approve, entry_return, entry_submit, figures_roll_up
from tests.factories import Role, make_district, make_staff, make_town, make_village
from tests.points.factories import photo_upload

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 4, 1, 3, 10, tzinfo=datetime.UTC)


@pytest.fixture
def people(media_root):
    district = make_district()
    town = make_town(district)
    village = make_village(town)
    other_town = make_town(district, name="西镇")
    return {
        "district": district,
        "town": town,
        "village": village,
        "committee": make_staff(Role.COMMITTEE, village),
        "town_admin": make_staff(Role.TOWN_ADMIN, town),
        "other_town_admin": make_staff(Role.TOWN_ADMIN, other_town),
        "district_admin": make_staff(Role.DISTRICT_ADMIN, district),
        "water": Indicator.objects.get(code="drinking_water"),
    }


def submit(people, value="92.5"):
    return entry_submit(
        actor=people["committee"],
        indicator=people["water"],
        village=people["village"],
        year=2025,
        value=Decimal(value),
        evidence=photo_upload(),
    )


def test_the_figure_climbs_village_town_district(people):
    entry = submit(people)
    assert entry.status == EnteredFigure.Status.SUBMITTED
    with pytest.raises(AssessmentError) as skipped:
        entry_approve(actor=people["district_admin"], entry=entry)
    assert skipped.value.code == "town_first"
    with pytest.raises(AssessmentError) as elsewhere:
        entry_approve(actor=people["other_town_admin"], entry=entry)
    assert elsewhere.value.code == "town_first"
    entry = entry_approve(actor=people["town_admin"], entry=entry)
    assert entry.status == EnteredFigure.Status.TOWN_APPROVED
    with pytest.raises(AssessmentError) as twice:
        entry_approve(actor=people["town_admin"], entry=entry)
    assert twice.value.code == "district_only"
    entry = entry_approve(actor=people["district_admin"], entry=entry)
    assert entry.status == EnteredFigure.Status.APPROVED
    assert [e.action for e in entry.events.all()] == ["submit", "town_approve", "approve"]
    with pytest.raises(AssessmentError) as locked:
        submit(people, "50")
    assert locked.value.code == "locked"


def test_only_approved_figures_roll_up(people):
    entry = submit(people)
    figures_roll_up(period=Period.YEAR, starts_on=datetime.date(2025, 1, 1), now=NOW)
    assert not Figure.objects.filter(indicator=people["water"]).exists()
    entry_approve(actor=people["town_admin"], entry=entry)
    entry_approve(actor=people["district_admin"], entry=entry)
    figures_roll_up(period=Period.YEAR, starts_on=datetime.date(2025, 1, 1), now=NOW)
    town = Figure.objects.get(indicator=people["water"], area=people["town"])
    assert town.value == Decimal("92.50")


def test_sent_back_with_a_reason_then_resubmitted(people):
    entry = submit(people)
    with pytest.raises(AssessmentError) as no_reason:
        entry_return(actor=people["town_admin"], entry=entry, reason=" ")
    assert no_reason.value.code == "reason_needed"
    entry = entry_return(actor=people["town_admin"], entry=entry, reason="检测报告不清楚")
    assert entry.status == EnteredFigure.Status.RETURNED
    entry = submit(people, "91")
    assert entry.status == EnteredFigure.Status.SUBMITTED
    assert entry.value == Decimal("91")
    assert EnteredFigure.objects.count() == 1


def test_the_district_may_send_back_what_the_town_approved(people):
    entry = entry_approve(actor=people["town_admin"], entry=submit(people))
    entry = entry_return(actor=people["district_admin"], entry=entry, reason="与台账不符")
    assert entry.status == EnteredFigure.Status.RETURNED


def test_nobody_approves_their_own_entry(people):
    entry = entry_submit(
        actor=people["town_admin"],
        indicator=people["water"],
        village=people["village"],
        year=2025,
        value=Decimal(95),
        evidence=photo_upload(),
    )
    with pytest.raises(AssessmentError) as own:
        entry_approve(actor=people["town_admin"], entry=entry)
    assert own.value.code == "own_entry"


def test_refusals_for_bad_input(people):
    with pytest.raises(AssessmentError) as rate:
        submit(people, "120")
    assert rate.value.code == "out_of_range"
    with pytest.raises(AssessmentError) as computed:
        entry_submit(
            actor=people["committee"],
            indicator=Indicator.objects.get(code="sorting_participation"),
            village=people["village"],
            year=2025,
            value=Decimal(1),
            evidence=photo_upload(),
        )
    assert computed.value.code == "not_entered"
    with pytest.raises(AssessmentError) as outsider:
        entry_submit(
            actor=people["other_town_admin"],
            indicator=people["water"],
            village=people["village"],
            year=2025,
            value=Decimal(1),
            evidence=photo_upload(),
        )
    assert outsider.value.code == "not_allowed"
    assert not EnteredFigure.objects.exists()


def test_evidence_loses_its_exif(people):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    exif = Image.Exif()
    exif.get_ifd(0x8825)[2] = (36.0, 48.0, 12.0)  # GPS latitude
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(out, format="JPEG", exif=exif.tobytes())
    assert Image.open(io.BytesIO(out.getvalue())).getexif().get_ifd(0x8825)
    entry = entry_submit(
        actor=people["committee"],
        indicator=people["water"],
        village=people["village"],
        year=2025,
        value=Decimal(93),
        evidence=SimpleUploadedFile("gps.jpg", out.getvalue(), content_type="image/jpeg"),
    )
    with Image.open(entry.evidence.path) as image:
        assert not image.getexif()
