"""The register import against hostile files: memory bounded by what is read, formulas kept as
text both ways, and an error that says nothing about other villages."""

import io
import tracemalloc
import zipfile

import pytest
from openpyxl import load_workbook

from registry.importing.export import register_export
from registry.importing.format import MAX_COLUMNS
from registry.importing.jobs import register_import_check
from registry.models import HouseholdImport, Member
from tests.factories import MemberFactory, make_household
from tests.registry.test_import import (
    HEADER,
    _head,
    check,
    check_and_apply,
    committee,  # noqa: F401
    id_number,
    other_village,  # noqa: F401
    upload,
    village,  # noqa: F401
    xlsx,
)
from tests.registry.test_import import _media as _media  # noqa: F401

pytestmark = pytest.mark.django_db

Status = HouseholdImport.Status
SHEET = "xl/worksheets/sheet1.xml"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _with_sheet_xml(rows_xml: str) -> bytes:
    """A real workbook whose first sheet's XML is replaced by ``rows_xml`` inside sheetData."""
    source = zipfile.ZipFile(io.BytesIO(xlsx([])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == SHEET:
                data = (
                    f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}">'
                    f"<sheetData>{rows_xml}</sheetData></worksheet>"
                ).encode()
            target.writestr(info, data)
    return out.getvalue()


def _inline(column: str, row: int, text: str) -> str:
    return f'<c r="{column}{row}" t="inlineStr"><is><t>{text}</t></is></c>'


def _header_xml() -> str:
    letters = "ABCDEFGH"
    return (
        '<row r="1">' + "".join(_inline(letters[i], 1, h) for i, h in enumerate(HEADER)) + "</row>"
    )


def _person_xml(row: int, extra: str = "") -> str:
    values = ["0001", "第1组", "幸福路1号", "王建国", "户主"]
    cells = "".join(_inline("ABCDE"[i], row, v) for i, v in enumerate(values))
    return f'<row r="{row}">{cells}{extra}</row>'


def test_a_row_of_a_million_cells_reads_in_bounded_memory_with_a_row_error(village, committee):  # noqa: F811
    # From column I on (past the template's 8 columns), cells without a reference.
    wide = '<c r="I2"><v>0</v></c>' + "<c><v>1</v></c>" * 1_000_000
    content = _with_sheet_xml(_header_xml() + _person_xml(2, wide))
    assert len(content) < 2 * 1024 * 1024  # small on the wire
    job = upload(village, committee, content)

    tracemalloc.start()
    try:
        job = register_import_check(job=job)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 40 * 1024 * 1024, f"peak {peak / 2**20:.0f} MB"
    assert job.status == Status.INVALID
    assert [(e["row"], e["code"]) for e in job.errors] == [(2, "too_many_cells")]
    assert str(MAX_COLUMNS) in job.errors[0]["message"]


def test_cells_past_the_last_allowed_column_are_a_row_error(village, committee):  # noqa: F811
    far = '<c r="ZZ2" t="inlineStr"><is><t>备注</t></is></c>'
    job = check(village, committee, _with_sheet_xml(_header_xml() + _person_xml(2, far)))
    assert [(e["row"], e["code"]) for e in job.errors] == [(2, "too_many_cells")]
    job = check(village, committee, _with_sheet_xml(_header_xml() + _person_xml(2)))
    assert job.status == Status.READY, job.errors


def test_a_sheet_with_more_cells_than_rows_allow_is_refused(village, committee, settings):  # noqa: F811
    settings.REGISTER_IMPORT_MAX_ROWS = 5  # at most 5 × 16 cells are read
    rows = "".join(_person_xml(line, "<c><v>1</v></c>" * 10) for line in range(2, 7))
    job = check(village, committee, _with_sheet_xml(_header_xml() + rows))
    assert job.status == Status.REFUSED
    assert "80" in job.refusal and "单元格" in job.refusal


def test_text_stays_text_both_ways(village, committee):  # noqa: F811
    hyperlink = '=HYPERLINK("http://evil.example/","点这里")'
    escaped = hyperlink.replace('"', "&quot;")
    rows = (
        _header_xml()
        + '<row r="2">'
        + _inline("A", 2, "0001")
        + _inline("B", 2, "第1组")
        # Text that looks like a formula, and a real formula with a cached value.
        + _inline("C", 2, escaped)
        + '<c r="D2" t="str"><f>"王"&amp;"建国"</f><v>王建国</v></c>'
        + _inline("E", 2, "户主")
        + "</row>"
        + '<row r="3">'
        + _inline("A", 3, "0001")
        + _inline("D", 3, "+李秀英")
        + _inline("E", 3, "配偶")
        + "</row>"
    )
    check_and_apply(village, committee, _with_sheet_xml(rows))
    head = Member.objects.get(relation="head")
    assert head.household.address == hyperlink
    assert head.name == '="王"&"建国"'  # the formula as written, not its claimed value
    assert Member.objects.filter(name="+李秀英").exists()

    exported = register_export(user=committee, village=village)
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        sheet_xml = archive.read(SHEET).decode()
    assert "<f>" not in sheet_xml
    cells = {
        cell.value: cell.data_type
        for row in load_workbook(io.BytesIO(exported)).active.iter_rows(min_row=2)
        for cell in row
        if cell.value
    }
    assert cells[hyperlink] == "s" and cells['="王"&"建国"'] == "s" and cells["+李秀英"] == "s"

    # And back again: the exported file imports to the same text.
    job = check(village, committee, exported)
    assert job.status == Status.READY, job.errors


def test_an_id_number_from_another_village_gets_a_neutral_error(village, other_village, committee):  # noqa: F811
    household = make_household(other_village)
    MemberFactory(household=household, name="外村人", relation="spouse", id_number=id_number(7))
    job = check(village, committee, xlsx([_head(身份证号=id_number(7))]))
    assert [(e["row"], e["code"]) for e in job.errors] == [(2, "id_number_taken")]
    message = job.errors[0]["message"]
    assert "身份证号" in message
    for telling in ("其他村", "别的村", "另一个村", "外村", other_village.name, "已有"):
        assert telling not in message
    assert id_number(7) not in str(job.errors)


def test_date_styles_are_read_from_openpyxl():
    """registry/importing/workbook.py reads openpyxl's private ``Workbook._date_formats`` (the
    styles that format a number as a date); pyproject pins openpyxl's minor version for it. This
    fails when a new openpyxl stops providing it: a birth date typed as an Excel date would be
    read as a number."""
    import datetime

    from openpyxl import Workbook

    from registry.importing.workbook import sheet_read

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "台账"
    sheet.append(HEADER)
    sheet.append(["1", "第1组", "东街1号", "张三", "户主", "", "", datetime.date(1956, 3, 2)])
    sheet["H2"].number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    workbook.save(buffer)
    read = sheet_read(buffer.getvalue(), lambda *progress: None)
    assert read.errors == []
    assert read.rows[0].birth_date == datetime.date(1956, 3, 2)
