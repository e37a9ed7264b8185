"""Excel import and export of a village's toilet register (改厕台账).

One row per household toilet under a header row (``COLUMNS``), matched to the register by the
village's 户号. The workbook is opened and streamed by ``registry.importing.workbook_read`` (the
one safe reader of uploads: size, old Excel, passwords, zip bombs) and its header found by
``registry.importing.find_header``; what is upkeep's own is the columns and the plan.

Like the household import: ``toilet_import_check`` is the dry run (it reads and validates every
row, reports each bad row with its number and reason, and writes only the job);
``toilet_import_apply`` reads the file again, re-validates and writes every toilet in one
transaction, or nothing. A household has one toilet, so importing the same file twice changes
nothing the second time; a changed row updates that household's toilet. Columns the file lacks
are left as they are. Public toilets (公厕) are kept in the work desk, not in this file.
"""

from __future__ import annotations

import datetime
import io
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from registry.identity import normalize_text
from registry.importing.format import Column, ImportRefused
from registry.importing.workbook import Lines, find_header, workbook_read
from registry.models import Area, ExportRecord, Household, Member, User
from registry.permissions import Action, Kind, may
from upkeep.exceptions import UpkeepError
from upkeep.models import Toilet, ToiletImport

SHEET_TITLE = "改厕台账"
EXPORT_KIND = "toilet_register"
MAX_ROWS = 20_000  # one village's household toilets, with room to spare
STORED_ERRORS_MAX = 500

COLUMNS: tuple[Column, ...] = (
    Column("number", "户号", ("户编号", "农户编号"), is_required=True, width=10, is_text=True),
    Column("head", "户主", ("户主姓名", "姓名"), width=10),
    Column("type", "厕所类型", ("改厕类型", "类型", "模式"), is_required=True, width=16),
    Column("built_year", "改造年份", ("建设年份", "改厕年份", "年份"), width=10),
    Column("builder", "施工单位", ("施工队", "建设单位"), width=20),
    Column("accepted_on", "验收日期", ("验收时间",), width=12),
    Column("acceptance", "验收结果", ("验收情况", "是否验收合格"), width=10),
    Column(
        "tank_volume",
        "化粪池容积（立方米）",
        ("化粪池容积(立方米)", "化粪池容积", "容积", "容积(立方米)"),
        width=12,
    ),
    Column("last_emptied_on", "最近抽渣日期", ("上次抽渣日期", "抽渣日期"), width=12),
    Column("status", "使用状态", ("状态",), width=10),
    Column("note", "备注", (), width=24),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}

# The first label of each choice is the one exports write; the others are accepted on import.
TYPE_LABELS: dict[str, tuple[str, ...]] = {
    Toilet.Type.THREE_COMPARTMENT: ("三格式", "三格化粪池式", "三格化粪池"),
    Toilet.Type.DOUBLE_URN: ("双瓮式", "双瓮漏斗式", "双瓮"),
    Toilet.Type.SEWER: ("完整下水道水冲式", "下水道水冲式", "水冲式"),
    Toilet.Type.URINE_DIVERSION: ("粪尿分集式", "粪尿分集"),
    Toilet.Type.BIOGAS: ("三联通沼气池式", "沼气池式", "沼气池"),
    Toilet.Type.OTHER: ("其他", "其它"),
}
ACCEPTANCE_LABELS: dict[str, tuple[str, ...]] = {
    Toilet.Acceptance.PASSED: ("合格", "验收合格", "已验收", "是"),
    Toilet.Acceptance.FAILED: ("不合格", "验收不合格", "否"),
    Toilet.Acceptance.PENDING: ("未验收", "待验收"),
}
STATUS_LABELS: dict[str, tuple[str, ...]] = {
    Toilet.Status.IN_USE: ("正常使用", "使用", "在用", "正常"),
    Toilet.Status.BROKEN: ("损坏", "故障", "待维修"),
    Toilet.Status.DISUSED: ("闲置", "未使用", "停用"),
    Toilet.Status.REMOVED: ("已拆除", "拆除"),
}


def _lookup(labels: dict[str, tuple[str, ...]]) -> dict[str, str]:
    found = {str(value): str(value) for value in labels}
    for value, names in labels.items():
        for name in names:
            found[name] = str(value)
    return found


_TYPE_BY_LABEL = _lookup(TYPE_LABELS)
_ACCEPTANCE_BY_LABEL = _lookup(ACCEPTANCE_LABELS)
_STATUS_BY_LABEL = _lookup(STATUS_LABELS)

ERROR_MESSAGES: dict[str, Promise] = {
    "missing_number": gettext_lazy("The household number is empty."),
    "unknown_household": gettext_lazy(
        "%(village)s has no active household with this number in the register. Import the "
        "household register first."
    ),
    "duplicate_number": gettext_lazy("Household %(number)s is already in row %(row)s."),
    "unknown_type": gettext_lazy("Unknown toilet type. Write one of: %(choices)s."),
    "unknown_acceptance": gettext_lazy("Unknown acceptance result. Write one of: %(choices)s."),
    "unknown_status": gettext_lazy("Unknown status. Write one of: %(choices)s."),
    "bad_year": gettext_lazy("Not a year. Write it like 2019."),
    "bad_date": gettext_lazy("Not a date. Write it like 2021-05-20."),
    "bad_volume": gettext_lazy("Not a volume in cubic metres. Write it like 1.5."),
    "too_long": gettext_lazy("Too long: at most %(max)s characters."),
    "too_many_cells": gettext_lazy("This row has cells beyond column %(max)s. Delete them."),
}


def _choices_text(labels: dict[str, tuple[str, ...]]) -> str:
    return "、".join(names[0] for names in labels.values())


# --- Reading ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    line: int
    number: str
    values: dict[str, Any]  # only the columns the file has
    is_valid: bool = True


@dataclass
class _Sheet:
    rows: list[_Row] = field(default_factory=list)
    columns: frozenset[str] = frozenset()
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error(
        self, target: _Row, column: str, code: str, value: object = "", **params: Any
    ) -> None:
        target.is_valid = False
        message = ERROR_MESSAGES[code]
        self.errors.append(
            {
                "row": target.line,
                "column": COLUMN_BY_KEY[column].header if column else "",
                "code": code,
                "message": str(message % params if params else message),
                "value": _text(value)[:60],
            }
        )


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return normalize_text(value)


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def _date(value: object, today: datetime.date) -> datetime.date | None:
    """Excel dates and 2021-05-20, 2021/5/20, 2021.5.20, 2021年5月20日; raises ValueError."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        parsed = value.date()
    elif isinstance(value, datetime.date):
        parsed = value
    else:
        match = _DATE_RE.match(_text(value))
        if not match:
            raise ValueError(value)
        parsed = datetime.date(*(int(part) for part in match.groups()))
    if not datetime.date(1990, 1, 1) <= parsed <= today:
        raise ValueError(value)
    return parsed


def _read(lines: Lines, today: datetime.date) -> _Sheet:
    header_line, index = find_header(lines, COLUMNS)
    sheet = _Sheet(columns=frozenset(index))
    for line, cells in lines:
        if line - header_line > MAX_ROWS:
            raise ImportRefused("too_many_rows", max=MAX_ROWS)
        if not cells:
            continue
        values = {key: cells.get(column) for key, column in index.items()}
        _parse(sheet, line, values, today)
        if getattr(cells, "too_wide", False):
            sheet.error(sheet.rows[-1], "", "too_many_cells", max=64)
    if not sheet.rows:
        raise ImportRefused("no_rows")
    return sheet


def _parse(sheet: _Sheet, line: int, raw: dict[str, Any], today: datetime.date) -> None:
    row = _Row(line=line, number=_text(raw.get("number")), values={})
    sheet.rows.append(row)
    if not row.number:
        sheet.error(row, "number", "missing_number")
    for key, labels, lookup, code in (
        ("type", TYPE_LABELS, _TYPE_BY_LABEL, "unknown_type"),
        ("acceptance", ACCEPTANCE_LABELS, _ACCEPTANCE_BY_LABEL, "unknown_acceptance"),
        ("status", STATUS_LABELS, _STATUS_BY_LABEL, "unknown_status"),
    ):
        if key not in raw:
            continue
        text = re.sub(r"\s", "", _text(raw[key]))
        if not text and key != "type":
            continue  # left empty: the default (pending, in use) or what the register has
        if text not in lookup:
            sheet.error(row, key, code, text, choices=_choices_text(labels))
        else:
            row.values[key] = lookup[text]
    if "built_year" in raw and _text(raw["built_year"]):
        text = _text(raw["built_year"]).removesuffix("年")
        if text.isdigit() and 1990 <= int(text) <= today.year:
            row.values["built_year"] = int(text)
        else:
            sheet.error(row, "built_year", "bad_year", text)
    elif "built_year" in raw:
        row.values["built_year"] = None
    for key in ("accepted_on", "last_emptied_on"):
        if key in raw:
            try:
                row.values[key] = _date(raw[key], today)
            except ValueError:
                sheet.error(row, key, "bad_date", raw[key])
    if "tank_volume" in raw:
        text = _text(raw["tank_volume"]).removesuffix("立方米").removesuffix("m³").strip()
        if not text:
            row.values["tank_volume"] = None
        else:
            try:
                volume = Decimal(text).quantize(Decimal("0.01"))
            except InvalidOperation:
                volume = None
            if volume is None or not Decimal("0.1") <= volume <= Decimal("100"):
                sheet.error(row, "tank_volume", "bad_volume", text)
            else:
                row.values["tank_volume"] = volume
    for key in ("builder", "note"):
        if key in raw:
            text = _text(raw[key])
            limit = Toilet._meta.get_field(key).max_length
            if len(text) > limit:
                sheet.error(row, key, "too_long", text, max=limit)
            else:
                row.values[key] = text


def _read_upload(data: bytes) -> _Sheet:
    today = timezone.localdate()
    return workbook_read(data, sheet_title=SHEET_TITLE, read=lambda lines, _d: _read(lines, today))


# --- Planning -----------------------------------------------------------------------------------

_FIELDS = (
    "type",
    "built_year",
    "builder",
    "accepted_on",
    "acceptance",
    "tank_volume",
    "last_emptied_on",
    "status",
    "note",
)


@dataclass
class _Plan:
    new: list[Toilet] = field(default_factory=list)
    changed: list[Toilet] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=dict)


def _plan(village: Area, sheet: _Sheet) -> _Plan | None:
    """Check the rows against the register (two queries); the writes when nothing is wrong."""
    households = dict(
        Household.objects.filter(village=village, status=Household.Status.ACTIVE).values_list(
            "number", "id"
        )
    )
    toilets = {
        toilet.household_id: toilet
        for toilet in Toilet.objects.filter(village=village, household__isnull=False)
    }
    first_line: dict[str, int] = {}
    for row in sheet.rows:
        if not row.number:
            continue
        if row.number in first_line:
            first = first_line[row.number]
            sheet.error(row, "number", "duplicate_number", row.number, number=row.number, row=first)
            continue
        first_line[row.number] = row.line
        if row.number not in households:
            sheet.error(row, "number", "unknown_household", row.number, village=village.name)
    if sheet.errors:
        sheet.errors.sort(key=lambda error: error["row"])
        return None
    plan = _Plan()
    summary: dict[str, int] = defaultdict(int)
    summary["rows"] = len(sheet.rows)
    for row in sheet.rows:
        household_id = households[row.number]
        toilet = toilets.get(household_id)
        if toilet is None:
            plan.new.append(Toilet(village=village, household_id=household_id, **row.values))
            summary["created"] += 1
            continue
        changed = False
        for key, value in row.values.items():
            if getattr(toilet, key) != value:
                setattr(toilet, key, value)
                changed = True
        if changed:
            plan.changed.append(toilet)
            summary["updated"] += 1
        else:
            summary["unchanged"] += 1
    plan.summary = dict(summary)
    return plan


# --- Services -----------------------------------------------------------------------------------


def _manages(user: User, village: Area) -> bool:
    return may(user, Kind.TOILET_FILE, Action.WRITE, village)


def _store(job: ToiletImport, sheet: _Sheet | None, plan: _Plan | None) -> ToiletImport:
    if sheet is not None:
        job.row_count = len(sheet.rows)
        job.errors = sheet.errors[:STORED_ERRORS_MAX]
    if plan is not None:
        job.summary = plan.summary
    job.save()
    return job


def toilet_import_check(*, actor: User, village: Area, upload: UploadedFile) -> ToiletImport:
    """The dry run: store the file and check it; writes only the job (READY, INVALID, REFUSED).

    Raises UpkeepError when ``actor`` does not manage ``village``'s toilet register.
    """
    if not _manages(actor, village):
        raise UpkeepError("not_in_scope", _("You cannot import into this village."))
    max_bytes = settings.REGISTER_IMPORT_MAX_BYTES
    if (upload.size or 0) > max_bytes:
        raise UpkeepError("too_large", ImportRefused("too_large", max=max_bytes // 2**20).message)
    job = ToiletImport(
        village=village,
        original_name=PurePath(upload.name or "").name[:200] or "toilets.xlsx",
        created_by=actor,
        status=ToiletImport.Status.REFUSED,
    )
    data = upload.read()
    try:
        sheet = _read_upload(data)
    except ImportRefused as refusal:
        job.refusal = refusal.message[:200]
        job.finished_at = timezone.now()
        return _store(job, None, None)
    plan = _plan(village, sheet)
    job.status = ToiletImport.Status.INVALID if plan is None else ToiletImport.Status.READY
    if plan is not None:
        job.file.save(f"{uuid.uuid4().hex}.xlsx", io.BytesIO(data), save=False)
    return _store(job, sheet, plan)


def toilet_import_apply(*, job: ToiletImport, actor: User) -> ToiletImport:
    """Import a checked file: every toilet in one transaction, or nothing.

    Only a READY job is imported; a second confirmation (a double tap) finds it no longer READY
    and is refused. The file is checked again against the register as it is now. Locks the
    village's row, so that two imports into one village run one after the other. Raises
    UpkeepError ("not_in_scope", "not_ready").
    """
    village = job.village
    if not _manages(actor, village):
        raise UpkeepError("not_in_scope", _("You cannot import into this village."))
    with transaction.atomic(durable=True):
        claimed = (
            ToiletImport.objects.select_for_update()
            .filter(pk=job.pk, status=ToiletImport.Status.READY)
            .first()
        )
        if claimed is None:
            raise UpkeepError("not_ready", _("Only a checked file without errors can be imported."))
        Area.objects.select_for_update().get(pk=village.pk)
        with job.file.open("rb") as handle:
            sheet = _read_upload(handle.read())
        plan = _plan(village, sheet)
        if plan is None:
            job.status = ToiletImport.Status.INVALID
        else:
            Toilet.objects.bulk_create(plan.new, batch_size=500)
            if plan.changed:
                Toilet.objects.bulk_update(plan.changed, [*_FIELDS, "updated_at"], batch_size=500)
            job.status = ToiletImport.Status.DONE
        job.finished_at = timezone.now()
        _store(job, sheet, plan)
    if job.status == ToiletImport.Status.DONE:
        job.file.delete(save=True)
    return job


# --- Template and export ------------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_DATE_FORMAT = "yyyy-mm-dd"


def _header(sheet: Any) -> None:
    for position, column in enumerate(COLUMNS, start=1):
        dimension = sheet.column_dimensions[get_column_letter(position)]
        dimension.width = column.width
        if column.is_text:
            dimension.number_format = "@"
    cells = []
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cells.append(cell)
    sheet.append(cells)


def _text_cell(sheet: Any, text: str | None) -> Any:
    """A string cell: an "=…" written back is text, never a live formula."""
    if not text:
        return None
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell


def _date_cell(sheet: Any, value: datetime.date | None) -> Any:
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = _DATE_FORMAT
    return cell


def toilet_export(*, user: User, village: Area | None = None, template: bool = False) -> bytes:
    """The village's household toilets in the import format (``template``: the header only).

    An export writes an ExportRecord. Raises UpkeepError when ``user`` may not read the file.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    sheet.freeze_panes = "A2"
    _header(sheet)
    if template:
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    if village is None or not may(user, Kind.TOILET_FILE, Action.READ, village):
        raise UpkeepError("not_in_scope", _("You cannot export this village's toilets."))
    toilets = (
        Toilet.objects.filter(village=village, household__isnull=False)
        .select_related("household")
        .order_by("household__number")
    )
    heads = dict(
        Member.objects.filter(
            household__village=village, relation=Member.Relation.HEAD
        ).values_list("household_id", "name")
    )
    labels = {
        "type": {key: names[0] for key, names in TYPE_LABELS.items()},
        "acceptance": {key: names[0] for key, names in ACCEPTANCE_LABELS.items()},
        "status": {key: names[0] for key, names in STATUS_LABELS.items()},
    }
    count = 0
    for toilet in toilets:
        sheet.append(
            [
                _text_cell(sheet, toilet.household.number),
                _text_cell(sheet, heads.get(toilet.household_id, "")),
                _text_cell(sheet, labels["type"][toilet.type]),
                toilet.built_year,
                _text_cell(sheet, toilet.builder),
                _date_cell(sheet, toilet.accepted_on),
                _text_cell(sheet, labels["acceptance"][toilet.acceptance]),
                float(toilet.tank_volume) if toilet.tank_volume is not None else None,
                _date_cell(sheet, toilet.last_emptied_on),
                _text_cell(sheet, labels["status"][toilet.status]),
                _text_cell(sheet, toilet.note),
            ]
        )
        count += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    ExportRecord.objects.create(user=user, kind=EXPORT_KIND, area=village, row_count=count)
    return buffer.getvalue()
