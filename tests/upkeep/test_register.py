"""The toilet register: its .xlsx import (dry run, row errors, re-import), export, stickers."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from registry.models import ExportRecord
from registry.services.codes import CodeRefused, card_token, code_read, sticker_read, sticker_token
from tests.factories import Role, make_household, make_staff, make_tree
from upkeep.exceptions import UpkeepError
from upkeep.importing import COLUMNS, toilet_export, toilet_import_apply, toilet_import_check
from upkeep.models import Toilet, ToiletImport

pytestmark = pytest.mark.django_db

HEADER = [column.header for column in COLUMNS]


def xlsx(rows, header=HEADER, title="改厕台账") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(data: bytes, name: str = "改厕台账.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def row(number, *, type="三格式", year=2019, builder="鲁源建设", accepted="2019-10-12",
        acceptance="合格", volume=1.5, emptied="2025-06-01", status="正常使用", note=""):  # fmt: skip
    return [number, "", type, year, builder, accepted, acceptance, volume, emptied, status, note]


@pytest.fixture
def world():
    tree = make_tree(villages=2)
    village, other = tree["villages"]
    households = [make_household(village, number=f"{n:04d}") for n in range(1, 4)]
    make_household(other, number="0009")
    committee = make_staff(Role.COMMITTEE, village)
    return {**tree, "village": village, "other": other, "households": households,
            "committee": committee}  # fmt: skip


def test_dry_run_writes_nothing_and_import_creates(world):
    data = xlsx([row("0001"), row("0002", type="双瓮式", volume=2), row("0003", emptied=None)])
    job = toilet_import_check(
        actor=world["committee"], village=world["village"], upload=upload(data)
    )
    assert job.status == ToiletImport.Status.READY
    assert job.summary == {"rows": 3, "created": 3}
    assert Toilet.objects.count() == 0

    job = toilet_import_apply(job=job, actor=world["committee"])
    assert job.status == ToiletImport.Status.DONE
    toilets = {t.household.number: t for t in Toilet.objects.select_related("household")}
    assert set(toilets) == {"0001", "0002", "0003"}
    assert toilets["0002"].type == Toilet.Type.DOUBLE_URN
    assert toilets["0002"].tank_volume == Decimal("2.00")
    assert toilets["0001"].accepted_on == datetime.date(2019, 10, 12)
    assert toilets["0001"].acceptance == Toilet.Acceptance.PASSED
    assert toilets["0003"].last_emptied_on is None
    assert not job.file  # the file is deleted once imported


def test_row_errors_name_row_and_column_and_nothing_is_written(world):
    data = xlsx(
        [
            row("0001"),
            row("0001"),  # duplicate
            row("0404"),  # not in the register
            row("0002", type="坐便器"),
            row("0003", volume="很大", accepted="去年"),
            row("0009"),  # another village's household
        ]
    )
    job = toilet_import_check(
        actor=world["committee"], village=world["village"], upload=upload(data)
    )
    assert job.status == ToiletImport.Status.INVALID
    found = {(error["row"], error["column"], error["code"]) for error in job.errors}
    assert found == {
        (3, "户号", "duplicate_number"),
        (4, "户号", "unknown_household"),
        (5, "厕所类型", "unknown_type"),
        (6, "验收日期", "bad_date"),
        (6, "化粪池容积（立方米）", "bad_volume"),
        (7, "户号", "unknown_household"),
    }
    assert all(error["message"] for error in job.errors)
    assert Toilet.objects.count() == 0
    with pytest.raises(UpkeepError) as refused:
        toilet_import_apply(job=job, actor=world["committee"])
    assert refused.value.code == "not_ready"


def test_reimport_updates_and_never_duplicates(world):
    actor, village = world["committee"], world["village"]
    first = xlsx([row("0001"), row("0002")])
    toilet_import_apply(
        job=toilet_import_check(actor=actor, village=village, upload=upload(first)), actor=actor
    )
    again = toilet_import_check(actor=actor, village=village, upload=upload(first))
    assert again.summary == {"rows": 2, "unchanged": 2}
    changed = xlsx([row("0001", status="损坏"), row("0002"), row("0003")])
    job = toilet_import_check(actor=actor, village=village, upload=upload(changed))
    assert job.summary == {"rows": 3, "updated": 1, "unchanged": 1, "created": 1}
    toilet_import_apply(job=job, actor=actor)
    assert Toilet.objects.count() == 3
    assert Toilet.objects.get(household__number="0001").status == Toilet.Status.BROKEN


def test_confirming_twice_imports_once(world):
    actor, village = world["committee"], world["village"]
    job = toilet_import_check(actor=actor, village=village, upload=upload(xlsx([row("0001")])))
    toilet_import_apply(job=job, actor=actor)
    with pytest.raises(UpkeepError) as refused:
        toilet_import_apply(job=ToiletImport.objects.get(pk=job.pk), actor=actor)
    assert refused.value.code == "not_ready"
    assert Toilet.objects.count() == 1


def test_a_file_that_is_not_a_workbook_is_refused(world):
    job = toilet_import_check(
        actor=world["committee"], village=world["village"], upload=upload(b"hello", "a.xlsx")
    )
    assert job.status == ToiletImport.Status.REFUSED
    assert "Excel" in job.refusal or "表" in job.refusal


def test_missing_required_column_is_refused(world):
    data = xlsx([["0001", "王建国"]], header=["户号", "户主"])
    job = toilet_import_check(
        actor=world["committee"], village=world["village"], upload=upload(data)
    )
    assert job.status == ToiletImport.Status.REFUSED
    assert "厕所类型" in job.refusal


def test_another_village_cannot_be_imported_into(world):
    with pytest.raises(UpkeepError):
        toilet_import_check(
            actor=world["committee"], village=world["other"], upload=upload(xlsx([row("0009")]))
        )


def test_export_is_the_import_format_and_is_recorded(world):
    actor, village = world["committee"], world["village"]
    source = xlsx([row("0001", volume=1.5), row("0002", type="完整下水道水冲式", emptied=None)])
    toilet_import_apply(
        job=toilet_import_check(actor=actor, village=village, upload=upload(source)), actor=actor
    )
    exported = toilet_export(user=actor, village=village)
    sheet = load_workbook(io.BytesIO(exported)).active
    rows = list(sheet.values)
    assert list(rows[0]) == HEADER
    assert rows[1][0] == "0001" and rows[1][1] == "王建国" and rows[1][2] == "三格式"
    assert ExportRecord.objects.filter(user=actor, kind="toilet_register").count() == 1
    # Importing the export changes nothing.
    job = toilet_import_check(actor=actor, village=village, upload=upload(exported))
    assert job.summary == {"rows": 2, "unchanged": 2}


def test_import_pages_dry_run_then_confirm(client, world):
    client.force_login(world["committee"])
    response = client.post(
        reverse("upkeep:import"),
        {"village": world["village"].pk, "file": upload(xlsx([row("0001")]))},
    )
    job = ToiletImport.objects.get()
    assert response.status_code == 302
    page = client.get(reverse("upkeep:import_detail", args=[job.pk]))
    assert page.status_code == 200 and Toilet.objects.count() == 0
    client.post(reverse("upkeep:import_confirm", args=[job.pk]))
    client.post(reverse("upkeep:import_confirm", args=[job.pk]))  # a double tap
    assert Toilet.objects.count() == 1


def test_villager_and_other_committee_cannot_open_the_import(client, world):
    outsider = make_staff(Role.COMMITTEE, world["other"])
    client.force_login(outsider)
    job = toilet_import_check(
        actor=world["committee"], village=world["village"], upload=upload(xlsx([row("0001")]))
    )
    assert client.get(reverse("upkeep:import_detail", args=[job.pk])).status_code == 404
    assert client.post(reverse("upkeep:import_confirm", args=[job.pk])).status_code == 404


# --- Stickers -------------------------------------------------------------------------------------


def test_sticker_codes_name_a_toilet_and_nothing_else(world):
    household = world["households"][0]
    toilet = Toilet.objects.create(village=world["village"], household=household, type="double_urn")
    token = sticker_token("toilet", toilet.pk)
    assert sticker_read("toilet", token) == toilet.pk
    with pytest.raises(CodeRefused):
        sticker_read("bin", token)  # another kind of sticker
    with pytest.raises(CodeRefused):
        code_read(token)  # never a household's code at a counter
    with pytest.raises(CodeRefused):
        sticker_read("toilet", card_token(household))
    with pytest.raises(CodeRefused):
        sticker_read("toilet", token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))


def test_sticker_sheet_and_scan(client, world):
    household = world["households"][0]
    toilet = Toilet.objects.create(village=world["village"], household=household, type="double_urn")
    client.force_login(world["committee"])
    sheet = client.get(reverse("upkeep:stickers"), {"village": world["village"].pk})
    assert sheet.status_code == 200 and sheet.content.count(b"<svg") == 1
    scanned = client.get(reverse("upkeep:sticker", args=[sticker_token("toilet", toilet.pk)]))
    assert scanned.status_code == 302
    assert scanned["Location"] == reverse("upkeep:toilet", args=[toilet.pk]) + "?via=sticker"
    assert client.get(reverse("upkeep:sticker", args=["MJSNOTACODE"])).status_code == 404


def test_toilet_list_queries_do_not_grow_and_inspectors_see_names_masked(
    client, world, django_assert_max_num_queries
):
    for household in world["households"]:
        Toilet.objects.create(village=world["village"], household=household, type="double_urn")
    client.force_login(world["committee"])
    with django_assert_max_num_queries(10):
        page = client.get(reverse("upkeep:toilets"), {"village": world["village"].pk})
    assert len(page.context["page"].object_list) == 3 and "王建国家" in page.content.decode()
    inspector = make_staff(Role.INSPECTOR, world["district"])
    client.force_login(inspector)
    page = client.get(reverse("upkeep:toilets"), {"village": world["village"].pk})
    assert page.status_code == 200 and "王*国家" in page.content.decode()
    assert "王建国" not in page.content.decode()
