"""Excel import and export of a village's register (台账): dry run, refusals, import, export, views.

Spreadsheets are built with openpyxl in memory; nothing binary is committed.
"""

import datetime
import io
import json
import logging
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from kombu.exceptions import OperationalError as BrokerUnreachable
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import Workbook, load_workbook

from registry.exceptions import RegisterError
from registry.identity import id_number_check_digit
from registry.importing.export import register_export, register_template_build
from registry.importing.format import STORED_ERRORS_MAX
from registry.importing.jobs import (
    register_import_apply,
    register_import_check,
    register_import_create,
    register_import_progress,
)
from registry.models import (
    Area,
    ExportRecord,
    Household,
    HouseholdEvent,
    HouseholdImport,
    Member,
)
from registry.tasks import register_import_apply_task, register_import_check_task
from tests.factories import MemberFactory, Role, make_household, make_staff

pytestmark = pytest.mark.django_db

Status = HouseholdImport.Status
HEADER = ["户号", "村民小组", "地址", "姓名", "与户主关系", "手机号", "身份证号", "出生日期"]

# --- Helpers ------------------------------------------------------------------------------------


def id_number(serial: int) -> str:
    first17 = f"37030319{serial:09d}"
    return first17 + id_number_check_digit(first17)


def phone(serial: int) -> str:
    return f"138{serial:08d}"


def xlsx(rows, header=HEADER, title="台账") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    if header:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def family_rows(number="0001", group="第1组", address="幸福路1号", serial=1):
    return [
        [number, group, address, "王建国", "户主", phone(serial), id_number(serial), "1956-03-02"],
        [number, "", "", "李秀英", "配偶", "", id_number(serial + 1), datetime.date(1958, 5, 6)],
        [number, "", "", "王小明", "儿子", "", "", "19800101"],
    ]


VALID_ROWS = [
    *family_rows(),
    ["0002", "2组", "幸福路2号", "张三", "户主", phone(9), id_number(9), "1960/3/2"],
]


def upload(village, user, content: bytes, name="台账.xlsx") -> HouseholdImport:
    return register_import_create(
        actor=user, village=village, upload=SimpleUploadedFile(name, content)
    )


def check(village, user, content: bytes, name="台账.xlsx") -> HouseholdImport:
    return register_import_check(job=upload(village, user, content, name))


def check_and_apply(village, user, content: bytes) -> HouseholdImport:
    job = check(village, user, content)
    assert job.status == Status.READY, (job.refusal, job.errors)
    job = register_import_apply(job=job, actor=user)
    assert job.status == Status.DONE, job.refusal
    return job


def register_counts() -> tuple[int, int, int]:
    return Household.objects.count(), Member.objects.count(), HouseholdEvent.objects.count()


@pytest.fixture
def village(tree):
    return tree["villages"][0]


@pytest.fixture
def other_village(tree):
    return tree["villages"][1]


@pytest.fixture
def committee(village):
    return make_staff(Role.COMMITTEE, village)


@pytest.fixture(autouse=True)
def _media(media_root):
    return media_root


# --- Template -----------------------------------------------------------------------------------


def test_template_has_the_header_row_and_imports_as_no_rows(village, committee):
    workbook = load_workbook(io.BytesIO(register_template_build()))
    assert workbook.sheetnames[0] == "台账"
    assert [cell.value for cell in workbook["台账"][1]] == HEADER

    job = check(village, committee, register_template_build())
    assert job.status == Status.REFUSED
    assert job.summary["refusal_code"] == "no_rows"


# --- Dry run ------------------------------------------------------------------------------------


def _head(number="0009", **changes):
    row = dict(zip(HEADER, [number, "第1组", "", "赵四", "户主", "", "", ""], strict=True))
    row.update(changes)
    return [row[column] for column in HEADER]


ERROR_CASES = {
    "bad_phone": ([_head(手机号="1380000000")], [(2, "手机号", "bad_phone")]),
    "bad_phone_letters": ([_head(手机号="138-abcd-0000")], [(2, "手机号", "bad_phone")]),
    "bad_id_number": ([_head(身份证号="370303195603020000")], [(2, "身份证号", "bad_id_number")]),
    "id_stored_as_number": (
        [_head(身份证号=370303195603020000)],
        [(2, "身份证号", "bad_id_number")],
    ),
    "missing_number": ([_head(), _head(number="")], [(3, "户号", "missing_number")]),
    "missing_name": ([_head(), _head(number="0010", 姓名="  ")], [(3, "姓名", "missing_name")]),
    "unknown_relation": (
        [_head(), ["0009", "", "", "钱五", "邻居", "", "", ""]],
        [(3, "与户主关系", "unknown_relation")],
    ),
    "unknown_group": ([_head(村民小组="第9组")], [(2, "村民小组", "unknown_group")]),
    "missing_head": (
        [
            _head(),
            ["0010", "", "", "钱五", "配偶", "", "", ""],
            ["0010", "", "", "钱六", "儿子", "", "", ""],
        ],
        [(3, "与户主关系", "missing_head")],
    ),
    "duplicate_number": (
        [_head(), ["0009", "", "", "孙七", "户主", "", "", ""]],
        [(3, "户号", "duplicate_number")],
    ),
    "duplicate_id_number": (
        [_head(身份证号=id_number(5)), ["0009", "", "", "钱五", "女儿", "", id_number(5), ""]],
        [(3, "身份证号", "duplicate_id_number")],
    ),
    "bad_birth_date": (
        [_head(出生日期="1956-13-40"), ["0009", "", "", "钱五", "女儿", "", "", "去年"]],
        [(2, "出生日期", "bad_birth_date"), (3, "出生日期", "bad_birth_date")],
    ),
    "too_long": ([_head(地址="路" * 201)], [(2, "地址", "too_long")]),
}


@pytest.mark.parametrize("case", ERROR_CASES, ids=list(ERROR_CASES))
def test_dry_run_reports_each_bad_row_with_its_number_and_reason(village, committee, case):
    rows, expected = ERROR_CASES[case]
    before = register_counts()

    job = check(village, committee, xlsx(rows))

    assert job.status == Status.INVALID
    assert [(e["row"], e["column"], e["code"]) for e in job.errors] == expected
    assert job.error_count == len(expected)
    assert all(error["message"] for error in job.errors)
    assert register_counts() == before


def test_id_number_of_a_member_in_another_village_is_taken(village, other_village, committee):
    household = make_household(other_village)
    MemberFactory(household=household, name="外村人", relation="spouse", id_number=id_number(7))

    job = check(village, committee, xlsx([_head(身份证号=id_number(7))]))

    assert job.status == Status.INVALID
    assert [(e["row"], e["code"]) for e in job.errors] == [(2, "id_number_taken")]


def test_a_closed_household_cannot_be_imported_into(village, committee):
    make_household(village, number="0009", status=Household.Status.CANCELLED)

    job = check(village, committee, xlsx([_head()]))

    assert [(e["row"], e["code"]) for e in job.errors] == [(2, "household_closed")]


def test_error_values_are_masked_and_the_list_is_capped(village, committee):
    rows = [_head(number=f"{n:04d}", 手机号=f"1{n:010d}") for n in range(1, STORED_ERRORS_MAX + 51)]

    job = check(village, committee, xlsx(rows))

    assert job.status == Status.INVALID
    assert job.error_count == STORED_ERRORS_MAX + 50
    assert len(job.errors) == STORED_ERRORS_MAX
    assert job.errors[0]["value"] == "100****0001"
    assert "10000000001" not in json.dumps(job.errors)


def test_full_width_digits_and_spaces_are_normalised_not_rejected(village, committee):
    rows = [
        [
            "０００１",
            "第１组",
            "幸福路１号",
            " 王建国 ",
            "户主",
            "１３８ ０００　０００ ０１",
            id_number(1).translate(str.maketrans("0123456789", "０１２３４５６７８９")),
            "１９５６－０３－０２",
        ],
    ]

    job = check_and_apply(village, committee, xlsx(rows))

    assert job.summary["households_created"] == 1
    household = Household.objects.get(village=village)
    assert household.number == "0001"
    assert household.group.name == "第1组"
    member = household.members.get()
    assert (member.name, member.phone, member.id_number) == ("王建国", "13800000001", id_number(1))
    assert member.birth_date == datetime.date(1956, 3, 2)


def test_group_names_are_matched_loosely(village, committee):
    rows = [
        ["0001", "1组", "", "甲", "户主", "", "", ""],
        ["0002", "二组", "", "乙", "户主", "", "", ""],
        ["0003", "第2组", "", "丙", "户主", "", "", ""],
        ["0004", "", "", "丁", "户主", "", "", ""],
    ]

    check_and_apply(village, committee, xlsx(rows))

    groups = dict(Household.objects.filter(village=village).values_list("number", "group__name"))
    assert groups == {"0001": "第1组", "0002": "第2组", "0003": "第2组", "0004": None}


def test_dry_run_writes_nothing_and_says_what_it_would_do(
    village, committee, django_assert_max_num_queries
):
    before = register_counts()
    job = upload(village, committee, xlsx(VALID_ROWS))

    with django_assert_max_num_queries(12):
        job = register_import_check(job=job)

    assert job.status == Status.READY
    assert job.errors == [] and job.error_count == 0
    assert job.row_count == 4
    assert job.summary["households_created"] == 2
    assert job.summary["members_created"] == 4
    assert register_counts() == before
    assert register_import_progress(job.pk)["phase"] == "done"


def test_header_may_have_a_title_row_above_it_and_columns_in_any_order(village, committee):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["测试村户籍台账"])
    sheet.append(["姓名", "关系", "户号", "联系电话"])
    sheet.append(["王建国", "户主", 1, 13800000001])
    buffer = io.BytesIO()
    workbook.save(buffer)

    check_and_apply(village, committee, buffer.getvalue())

    member = Member.objects.get(household__village=village)
    assert (member.household.number, member.phone) == ("1", "13800000001")


# --- Import -------------------------------------------------------------------------------------


def test_columns_missing_from_the_file_are_left_unchanged(village, committee):
    check_and_apply(village, committee, xlsx(VALID_ROWS))
    rows = [[row[0], row[3], row[4]] for row in VALID_ROWS]

    job = check_and_apply(village, committee, xlsx(rows, header=["户号", "姓名", "与户主关系"]))

    assert job.summary["members_unchanged"] == 4
    assert job.summary["households_unchanged"] == 2
    household = Household.objects.get(village=village, number="0001")
    assert (household.address, household.group.name) == ("幸福路1号", "第1组")
    assert household.head.phone == phone(1)


def test_import_creates_households_members_and_events(village, committee):
    job = check_and_apply(village, committee, xlsx(VALID_ROWS))

    assert job.summary["households_created"] == 2
    households = Household.objects.filter(village=village).order_by("number")
    assert [h.number for h in households] == ["0001", "0002"]
    first = households[0]
    assert first.address == "幸福路1号"
    assert first.head.name == "王建国"
    assert sorted(first.members.values_list("relation", flat=True)) == ["head", "son", "spouse"]
    assert first.members.get(name="李秀英").birth_date == datetime.date(1958, 5, 6)
    assert first.members.get(name="王小明").birth_date == datetime.date(1980, 1, 1)
    events = HouseholdEvent.objects.filter(household__village=village)
    assert set(events.values_list("kind", flat=True)) == {HouseholdEvent.Kind.CREATED}
    assert events.count() == 2
    assert all(event.actor == committee for event in events)
    progress = register_import_progress(job.pk)
    assert progress["phase"] == "done" and progress["percent"] == 100


def test_reimporting_the_same_file_updates_and_never_duplicates(village, committee):
    content = xlsx(VALID_ROWS)
    check_and_apply(village, committee, content)
    after_first = register_counts()

    again = check_and_apply(village, committee, content)

    assert register_counts() == after_first
    assert again.summary["households_unchanged"] == 2
    assert again.summary["members_unchanged"] == 4
    assert again.summary["households_updated"] == again.summary["members_updated"] == 0

    changed = [row[:] for row in VALID_ROWS]
    changed[0][2] = "幸福路100号"
    changed[1][5] = phone(50)
    third = check_and_apply(village, committee, xlsx(changed))

    assert register_counts()[:2] == after_first[:2]
    assert third.summary["households_updated"] == 1
    assert third.summary["members_updated"] == 1
    household = Household.objects.get(village=village, number="0001")
    assert household.address == "幸福路100号"
    assert household.members.get(name="李秀英").phone == phone(50)
    assert household.events.filter(kind=HouseholdEvent.Kind.IMPORTED).count() == 1


def test_a_new_head_replaces_the_old_one(village, committee):
    check_and_apply(village, committee, xlsx(VALID_ROWS))
    rows = [
        ["0001", "第2组", "幸福路1号", "王小明", "户主", "", "", ""],
        ["0001", "", "", "李秀英", "母亲", "", id_number(2), ""],
        # 王建国 moves to household 0002 of the same village, matched by his ID number.
        ["0002", "", "", "王建国", "其他", "", id_number(1), ""],
        ["0002", "2组", "幸福路2号", "张三", "户主", phone(9), id_number(9), "1960/3/2"],
    ]

    job = check_and_apply(village, committee, xlsx(rows))

    assert job.summary["members_moved"] == 1
    first = Household.objects.get(village=village, number="0001")
    assert first.head.name == "王小明"
    assert first.group.name == "第2组"
    assert first.members.get(name="李秀英").relation == Member.Relation.PARENT
    moved = Member.objects.get(id_number=id_number(1))
    assert (moved.household.number, moved.relation) == ("0002", Member.Relation.OTHER)
    assert Household.objects.get(village=village, number="0002").head.name == "张三"


def test_a_head_missing_from_the_file_is_kept_as_other(village, committee):
    check_and_apply(village, committee, xlsx(VALID_ROWS))
    rows = [["0001", "第1组", "幸福路1号", "王小明", "户主", "", "", ""]]

    job = check_and_apply(village, committee, xlsx(rows))

    assert job.summary["heads_demoted"] == 1
    assert job.summary["members_not_in_file"] == 2
    household = Household.objects.get(village=village, number="0001")
    assert household.head.name == "王小明"
    assert household.members.get(name="王建国").relation == Member.Relation.OTHER
    assert household.members.count() == 3


def test_apply_checks_again_and_writes_nothing_when_the_register_changed(
    village, other_village, committee
):
    job = check(village, committee, xlsx(VALID_ROWS))
    assert job.status == Status.READY
    outsider = make_household(other_village)
    MemberFactory(household=outsider, name="外村人", relation="spouse", id_number=id_number(9))
    before = register_counts()

    job = register_import_apply(job=job, actor=committee)

    assert job.status == Status.INVALID
    assert [(e["row"], e["code"]) for e in job.errors] == [(5, "id_number_taken")]
    assert register_counts() == before


def test_a_failure_during_the_import_writes_nothing(village, committee, monkeypatch, caplog):
    job = check(village, committee, xlsx(VALID_ROWS))
    before = register_counts()

    def explode(*args, **kwargs):
        raise RuntimeError(f"boom {id_number(1)} {phone(1)}")

    monkeypatch.setattr(HouseholdEvent.objects, "bulk_create", explode)
    with caplog.at_level(logging.DEBUG):
        job = register_import_apply(job=job, actor=committee)

    assert job.status == Status.FAILED
    assert job.refusal
    assert register_counts() == before
    assert "RuntimeError" in caplog.text
    assert id_number(1) not in caplog.text and phone(1) not in caplog.text


def test_only_a_ready_job_is_imported_and_only_once(village, committee):
    job = check_and_apply(village, committee, xlsx(VALID_ROWS))

    with pytest.raises(RegisterError) as raised:
        register_import_apply(job=job, actor=committee)
    assert raised.value.code == "not_ready"
    with pytest.raises(RegisterError):
        register_import_check(job=job)


def test_numbers_are_never_logged(village, committee, caplog):
    rows = [*VALID_ROWS, ["0003", "", "", "错号", "户主", "13912", "11010519491231002", ""]]
    with caplog.at_level(logging.DEBUG):
        check(village, committee, xlsx(rows))
        check_and_apply(village, committee, xlsx(VALID_ROWS))
        register_export(user=committee, village=village)

    for secret in (phone(1), id_number(1), id_number(9), "13912", "11010519491231002"):
        assert secret not in caplog.text


# --- Refusals -----------------------------------------------------------------------------------


def _encrypted() -> bytes:
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(xlsx(VALID_ROWS))).encrypt("mima1234", encrypted)
    return encrypted.getvalue()


def _million_rows() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "台账"
    sheet.append(HEADER)
    sheet.append(VALID_ROWS[0])
    sheet.cell(row=1_000_000, column=1, value="9999")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


REFUSED_FILES = {
    "not_spreadsheet": lambda: "户号,姓名\n0001,王建国\n".encode(),
    "empty": lambda: b"",
    "password_protected": _encrypted,
    "old_excel": lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024,
    "not_spreadsheet_docx": _zip_without_workbook,
    "too_many_rows": _million_rows,
    "missing_columns": lambda: xlsx([["0001", "王建国"]], header=["户号", "姓名"]),
    "no_rows": lambda: xlsx([]),
}


@pytest.mark.parametrize("case", REFUSED_FILES, ids=list(REFUSED_FILES))
def test_refused_files_leave_the_register_unchanged(village, committee, case):
    content = REFUSED_FILES[case]()
    before = register_counts()

    job = check(village, committee, content)

    assert job.status == Status.REFUSED
    assert job.summary["refusal_code"] == case.removesuffix("_docx")
    assert job.refusal
    assert job.errors == [] and job.row_count == 0
    with pytest.raises(RegisterError):
        register_import_apply(job=job, actor=committee)
    assert register_counts() == before
    assert HouseholdImport.objects.get(pk=job.pk).status == Status.REFUSED


def test_missing_columns_are_named(village, committee):
    job = check(village, committee, xlsx([["0001", "王建国"]], header=["户号", "姓名"]))

    assert "与户主关系" in job.refusal


def _without_dimension(content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<dimension[^>]*/>", b"", data)
            target.writestr(info, data)
    return buffer.getvalue()


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "streamed"])
def test_too_many_rows_are_refused_while_reading(village, committee, settings, declared):
    settings.REGISTER_IMPORT_MAX_ROWS = 5
    rows = [_head(number=f"{n:04d}") for n in range(1, 11)]
    content = xlsx(rows) if declared else _without_dimension(xlsx(rows))

    job = check(village, committee, content)

    assert job.status == Status.REFUSED
    assert job.summary["refusal_code"] == "too_many_rows"


def test_a_file_over_the_size_limit_is_refused(village, committee, settings):
    job = upload(village, committee, xlsx(VALID_ROWS))
    settings.REGISTER_IMPORT_MAX_BYTES = 1000

    assert register_import_check(job=job).summary["refusal_code"] == "too_large"
    with pytest.raises(RegisterError):
        upload(village, committee, xlsx(VALID_ROWS))


def test_import_into_a_village_out_of_scope_is_refused(other_village, committee):
    with pytest.raises(RegisterError):
        upload(other_village, committee, xlsx(VALID_ROWS))


# --- Export -------------------------------------------------------------------------------------


def _populate(village):
    groups = list(Area.objects.filter(path__startswith=village.path, level=Area.Level.GROUP))
    for index in range(1, 6):
        household = make_household(
            village,
            number=f"{index:04d}",
            head_name=f"户主{index}",
            phone=phone(index),
            group=groups[index % 2],
            address=f"幸福路{index}号" if index != 3 else "",
        )
        MemberFactory(
            household=household,
            name=f"配偶{index}",
            relation=Member.Relation.SPOUSE,
            id_number=id_number(100 + index),
            birth_date=datetime.date(1960, index, index),
        )
        MemberFactory(household=household, name=f"孙辈{index}", relation=Member.Relation.GRANDCHILD)


def test_export_then_reimport_round_trips(village, other_village, committee):
    _populate(village)
    make_household(other_village, head_name="外村人")
    make_household(village, number="0099", head_name="已注销", status=Household.Status.CANCELLED)
    before = register_counts()

    content = register_export(user=committee, village=village)

    sheet = load_workbook(io.BytesIO(content))["台账"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert len(rows) == 1 + 15
    assert rows[1][:5] == ("0001", "第2组", "幸福路1号", "户主1", "户主")
    assert "外村人" not in {row[3] for row in rows} and "已注销" not in {row[3] for row in rows}

    job = check_and_apply(village, committee, content)

    assert job.summary["households_unchanged"] == 5
    assert job.summary["members_unchanged"] == 15
    assert job.summary["households_created"] == job.summary["members_created"] == 0
    assert register_counts() == (before[0], before[1], before[2])


def test_export_is_recorded_and_scoped(village, other_village, committee):
    _populate(village)

    register_export(user=committee, village=village)

    record = ExportRecord.objects.get()
    assert (record.user, record.area, record.kind, record.row_count) == (
        committee,
        village,
        "register",
        15,
    )
    with pytest.raises(RegisterError):
        register_export(user=committee, village=other_village)
    assert ExportRecord.objects.count() == 1


# --- Views --------------------------------------------------------------------------------------
# Mounted under Wagtail's admin by registry/wagtail_hooks.py, which also requires admin access.


def url(name, *args):
    return reverse(f"registry_admin:{name}", args=args)


def test_upload_check_confirm_and_done_through_the_admin(
    client, village, committee, django_capture_on_commit_callbacks
):
    client.force_login(committee)
    page = client.get(url("register_import_start"))
    assert page.status_code == 200
    assert village.name in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("register_import_start"),
            {"village": village.pk, "file": SimpleUploadedFile("台账.xlsx", xlsx(VALID_ROWS))},
        )
    job = HouseholdImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("register_import_detail", job.pk)
    assert job.status == Status.READY

    page = client.get(url("register_import_detail", job.pk)).content.decode()
    assert url("register_import_confirm", job.pk) in page
    assert Household.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("register_import_confirm", job.pk))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == Status.DONE
    assert Household.objects.filter(village=village).count() == 2

    progress = client.get(url("register_import_progress", job.pk)).json()
    assert (progress["status"], progress["phase"], progress["is_running"]) == (
        "done",
        "done",
        False,
    )
    page = client.get(url("register_import_detail", job.pk)).content.decode()
    assert url("register_import_confirm", job.pk) not in page


def test_errors_are_listed_with_masked_values(
    client, village, committee, django_capture_on_commit_callbacks
):
    client.force_login(committee)
    rows = [_head(手机号="1380000000", 身份证号="370303195603020000")]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url("register_import_start"),
            {"village": village.pk, "file": SimpleUploadedFile("台账.xlsx", xlsx(rows))},
        )
    job = HouseholdImport.objects.get()

    page = client.get(url("register_import_detail", job.pk)).content.decode()

    assert job.status == Status.INVALID
    assert "138***0000" in page
    assert "1380000000" not in page and "370303195603020000" not in page
    assert url("register_import_confirm", job.pk) not in page


def test_a_refused_file_shows_why(client, village, committee):
    client.force_login(committee)
    job = check(village, committee, _encrypted())

    page = client.get(url("register_import_detail", job.pk)).content.decode()

    assert job.refusal in page
    assert url("register_import_confirm", job.pk) not in page


def test_a_running_job_page_polls_and_refreshes_without_javascript(client, village, committee):
    client.force_login(committee)
    job = upload(village, committee, xlsx(VALID_ROWS))

    page = client.get(url("register_import_detail", job.pk)).content.decode()

    assert '<meta http-equiv="refresh"' in page
    assert url("register_import_progress", job.pk) in page
    assert "<progress" in page


def test_another_villages_job_and_export_are_not_found(client, village, other_village, committee):
    job = check(village, committee, xlsx(VALID_ROWS))
    outsider = make_staff(Role.COMMITTEE, other_village)
    client.force_login(outsider)

    assert client.get(url("register_import_detail", job.pk)).status_code == 404
    assert client.get(url("register_import_progress", job.pk)).status_code == 404
    assert client.post(url("register_import_confirm", job.pk)).status_code == 404
    assert client.get(url("register_export"), {"village": village.pk}).status_code == 404
    assert client.post(url("register_export"), {"village": "x"}).status_code == 404
    assert ExportRecord.objects.count() == 0
    assert HouseholdImport.objects.get(pk=job.pk).status == Status.READY


def test_template_and_export_downloads(client, village, committee):
    _populate(village)
    client.force_login(committee)

    template = client.get(url("register_template"))
    exported = client.post(url("register_export"), {"village": village.pk})

    for response in (template, exported):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert "attachment" in response["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(exported.content))["台账"].iter_rows(values_only=True))
    assert len(rows) == 16
    assert ExportRecord.objects.filter(user=committee, area=village).count() == 1


def test_people_without_a_register_role_are_kept_out(client, village):
    assert client.get(url("register_import_start")).status_code == 302
    editor = make_staff(Role.EDITOR, village)
    client.force_login(editor)
    assert client.get(url("register_template")).status_code in {302, 403}


def test_uploaded_register_files_are_private_and_deleted_when_finished(
    village, committee, django_capture_on_commit_callbacks, settings
):
    """Register files hold ID and phone numbers: never under MEDIA_ROOT, gone after the import."""
    from django.core.files.storage import storages

    private = storages["private"]
    with django_capture_on_commit_callbacks(execute=True):
        job = upload(village, committee, xlsx(VALID_ROWS))
    assert private.exists(job.file.name)
    assert not str(private.path(job.file.name)).startswith(str(settings.MEDIA_ROOT))
    with django_capture_on_commit_callbacks(execute=True):
        job = register_import_check(job=job)
        job = register_import_apply(job=job, actor=committee)
    assert job.status == Status.DONE
    assert not private.exists(job.file.name)


def _broker_down(*args, **kwargs):
    raise BrokerUnreachable("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_an_upload_with_the_queue_down_fails_with_a_reason_instead_of_an_error(
    client, village, committee, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    monkeypatch.setattr(register_import_check_task, "delay", _broker_down)
    client.force_login(committee)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("register_import_start"),
            {"village": village.pk, "file": SimpleUploadedFile("台账.xlsx", xlsx(VALID_ROWS))},
        )

    job = HouseholdImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("register_import_detail", job.pk)
    assert job.status == Status.FAILED and job.finished_at is not None
    page = client.get(url("register_import_detail", job.pk)).content.decode()
    assert job.refusal in page
    assert not job.is_running  # the page stops waiting
    assert "broker cannot be reached" in caplog.text
    assert Household.objects.count() == 0


def test_a_confirmation_with_the_queue_down_keeps_the_job_ready_to_confirm_again(
    client, village, committee, monkeypatch, django_capture_on_commit_callbacks
):
    client.force_login(committee)
    job = check(village, committee, xlsx(VALID_ROWS))
    assert job.status == Status.READY
    monkeypatch.setattr(register_import_apply_task, "delay", _broker_down)

    response = client.post(url("register_import_confirm", job.pk), follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == url("register_import_detail", job.pk)
    job.refresh_from_db()
    assert job.status == Status.READY
    page = response.content.decode()
    assert url("register_import_confirm", job.pk) in page  # it can be confirmed again
    assert [str(m) for m in response.context["messages"]] == [
        "无法连接后台任务队列，导入还没有开始。请过几分钟再试。"
    ]
    assert Household.objects.count() == 0

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("register_import_confirm", job.pk))
    job.refresh_from_db()
    assert job.status == Status.DONE
    assert Household.objects.filter(village=village).count() == 2
