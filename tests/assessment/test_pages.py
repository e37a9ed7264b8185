"""The dashboard pages: scoping (a town administrator sees their town only), drill-down to a
village and its records, a fixed number of queries, exports recorded, the PDF's Chinese text."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessment.models import EnteredFigure, Period
from assessment.services import (
    figures_roll_up,
    ranking_list_approve,
    ranking_list_draft,
    scores_compute,
)
from registry.models import ExportRecord
from registry.services.register import role_groups_sync
from tests.assessment.factories import MARCH, make_scheme, make_world
from tests.factories import Role, force_login_with_totp, make_staff, make_village
from tests.points.factories import photo_upload

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 4, 1, 3, 10, tzinfo=datetime.UTC)


@pytest.fixture
def world():
    world = make_world()
    make_scheme(world["district"], {"sorting_participation": "2", "sorting_pass_rate": "1"})
    figures_roll_up(period=Period.MONTH, starts_on=MARCH, now=NOW)
    scores_compute(period=Period.MONTH, starts_on=MARCH, now=NOW)
    role_groups_sync()
    world["town_admin"] = make_staff(Role.TOWN_ADMIN, world["east"])
    world["district_admin"] = make_staff(Role.DISTRICT_ADMIN, world["district"])
    return world


def area_url(area):
    return reverse("assessment:area", args=[area.pk]) + "?month=2026-03"


def test_a_town_admin_sees_their_town_and_its_villages_only(client, world):
    client.force_login(world["town_admin"])
    home = client.get(reverse("assessment:home"))
    assert home.status_code == 302 and home["Location"].startswith(
        reverse("assessment:area", args=[world["east"].pk])
    )
    page = client.get(area_url(world["east"])).content.decode()
    assert "甲村" in page and "乙村" in page and "丙村" not in page
    assert "83.33" in page  # the town's participation: 5 of 6 households
    assert client.get(area_url(world["jia"])).status_code == 200
    assert client.get(area_url(world["west"])).status_code == 404
    assert client.get(area_url(world["bing"])).status_code == 404
    assert client.get(area_url(world["district"])).status_code == 404


def test_the_district_drills_down_to_a_village_and_its_rounds(client, world):
    force_login_with_totp(client, world["district_admin"])
    district = client.get(area_url(world["district"])).content.decode()
    assert "东镇" in district and "西镇" in district
    assert area_url(world["east"]).replace("&", "&amp;").split("?")[0] in district
    village = client.get(area_url(world["jia"])).content.decode()
    assert 'id="mj-rounds"' in village
    assert "2026-03-05" in village and "2026-03-20" in village


def test_the_dashboard_costs_the_same_queries_with_more_villages(
    client, world, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    force_login_with_totp(client, world["district_admin"])
    client.get(area_url(world["district"]))  # warm the session and the user's roles
    with CaptureQueriesContext(connection) as few:
        client.get(area_url(world["east"]))
    for index in range(8):
        make_village(world["east"], name=f"新{index}村")
    figures_roll_up(period=Period.MONTH, starts_on=MARCH, now=NOW)
    with django_assert_max_num_queries(len(few)):
        response = client.get(area_url(world["east"]))
    assert "新7村" in response.content.decode()


def test_exports_are_scoped_and_recorded(client, world):
    client.force_login(world["town_admin"])
    xlsx = client.get(area_url(world["east"]) + "&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    names = [cell.value for cell in sheet["A"]]
    assert "甲村" in names and "乙村" in names and "丙村" not in names
    report = client.get(reverse("assessment:report", args=[world["east"].pk]) + "?month=2026-03")
    assert report["Content-Type"] == "application/pdf"
    assert sorted(ExportRecord.objects.values_list("kind", flat=True)) == [
        "assessment_dashboard_xlsx",
        "assessment_report_pdf",
    ]
    assert client.get(area_url(world["west"]) + "&format=xlsx").status_code == 404


def test_the_monthly_report_reads_in_chinese(client, world):
    from pypdf import PdfReader

    ranking_list = ranking_list_draft(district=world["district"], month=MARCH, now=NOW)
    ranking_list_approve(ranking_list=ranking_list, actor=world["district_admin"])
    force_login_with_totp(client, world["district_admin"])
    report = client.get(
        reverse("assessment:report", args=[world["district"].pk]) + "?month=2026-03"
    )
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(report.content)).pages)
    assert "垃圾分类参与率" in text
    assert "东镇" in text and "丙村" in text  # the ranking and the black list


def test_entry_pages_submit_and_approve(client, world, media_root):
    committee = make_staff(Role.COMMITTEE, world["jia"])
    client.force_login(committee)
    response = client.post(
        reverse("assessment:entry_create"),
        {
            "indicator": EnteredFigure._meta.get_field("indicator")
            .related_model.objects.get(code="sewage_treatment")
            .pk,
            "village": world["jia"].pk,
            "year": 2025,
            "value": "66",
            "evidence": photo_upload(),
        },
    )
    entry = EnteredFigure.objects.get()
    assert response.status_code == 302
    client.force_login(world["town_admin"])
    client.post(reverse("assessment:entry_decide", args=[entry.pk]), {"decision": "approve"})
    entry.refresh_from_db()
    assert entry.status == EnteredFigure.Status.TOWN_APPROVED
    decide = reverse("assessment:entry_decide", args=[entry.pk])
    assert decide not in client.get(reverse("assessment:entry", args=[entry.pk])).content.decode()
    force_login_with_totp(client, world["district_admin"])
    assert decide in client.get(reverse("assessment:entry", args=[entry.pk])).content.decode()


def test_a_bad_month_is_a_clear_error(client, world):
    client.force_login(world["town_admin"])
    response = client.get(reverse("assessment:area", args=[world["east"].pk]) + "?month=2026-13")
    assert response.status_code == 400


def test_overdue_orders_show_on_the_dashboards_of_their_areas(client, world):
    from tests.assessment.factories import make_orders

    orders = make_orders(world)
    client.force_login(world["town_admin"])
    town = client.get(area_url(world["east"])).content.decode()
    village = client.get(area_url(world["jia"])).content.decode()
    for page in (town, village):
        assert f'data-order="{orders["overdue"].pk}"' in page
        assert f'data-order="{orders["late"].pk}"' not in page  # finished, if late
    # 丙村's April order is overdue too, but in another town
    assert f'data-order="{orders["april"].pk}"' not in town
