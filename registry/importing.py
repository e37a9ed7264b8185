"""Excel import and export of a village's household register (台账).

The file has one row per person under a header row (see ``COLUMNS``); a household's village group
and address come from its 户主 row. An upload is first checked (``register_import_check``): a dry
run that reads the whole file, validates every row against the file and the register, and writes
only the job row. Once a person confirms, ``register_import_apply`` reads the file again,
re-validates against the register as it is then and writes every household and member in one
transaction. Matching is by (village, 户号) for households and by ID-card number, else by
(household, name), for members, so importing the same file twice changes nothing the second time.

Phone and ID-card numbers are never logged; the job's error list holds them masked.
"""

import datetime
import io
import logging
import pyexpat
import re
import traceback
import uuid
import warnings
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Case, IntegerField, Model, Value, When
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.worksheet.datavalidation import DataValidation

from registry.exceptions import RegisterError
from registry.identity import (
    InvalidNumber,
    normalize_id_number,
    normalize_phone,
    normalize_text,
)
from registry.models import (
    Area,
    ExportRecord,
    Household,
    HouseholdEvent,
    HouseholdImport,
    Member,
    User,
)
from registry.permissions import Action, Kind, may
from registry.scoping import visible_to

if pyexpat.version_info >= (2, 4, 1):
    # With expat 2.4.1 or later the standard library's parser is not open to entity expansion
    # (docs.python.org/3/library/xml.html#xml-vulnerabilities), and it is several times faster
    # than defusedxml's pure-Python one on a sheet of 100,000 rows.
    from xml.etree.ElementTree import iterparse  # noqa: S405
else:
    from openpyxl.xml.functions import iterparse  # defusedxml's, when it is installed

logger = logging.getLogger(__name__)

Relation = Member.Relation
Status = HouseholdImport.Status

# --- The file format ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...] = ()
    is_required: bool = False
    max_length: int | None = None
    width: int = 12
    # Formatted as text in the template, so that Excel keeps leading zeros and all 18 digits.
    is_text: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "number",
        "户号",
        ("户编号", "户籍编号"),
        is_required=True,
        max_length=Household._meta.get_field("number").max_length,
        width=10,
        is_text=True,
    ),
    Column("group", "村民小组", ("小组", "组别", "村民组", "所在小组", "组"), width=10),
    Column(
        "address",
        "地址",
        ("住址", "家庭住址", "家庭地址", "现住址"),
        max_length=Household._meta.get_field("address").max_length,
        width=30,
    ),
    Column(
        "name", "姓名", (), is_required=True, max_length=Member._meta.get_field("name").max_length
    ),
    Column("relation", "与户主关系", ("关系", "与户主的关系"), is_required=True, width=12),
    Column("phone", "手机号", ("手机号码", "手机", "联系电话", "电话"), width=14, is_text=True),
    Column(
        "id_number", "身份证号", ("身份证号码", "公民身份号码", "身份证"), width=22, is_text=True
    ),
    Column("birth_date", "出生日期", ("出生年月日", "出生年月"), width=12),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
SHEET_TITLE = "台账"
EXPORT_KIND = "register"

# The first label of each relation is the one the template and exports write.
RELATION_LABELS: dict[str, tuple[str, ...]] = {
    Relation.HEAD: ("户主", "本人"),
    Relation.SPOUSE: ("配偶", "妻子", "妻", "丈夫", "夫"),
    Relation.SON: ("儿子", "子", "长子", "次子", "三子"),
    Relation.DAUGHTER: ("女儿", "女", "长女", "次女", "三女"),
    Relation.DAUGHTER_IN_LAW: ("儿媳", "儿媳妇"),
    Relation.SON_IN_LAW: ("女婿",),
    Relation.GRANDCHILD: ("孙子女", "孙子", "孙女", "外孙子女", "外孙子", "外孙女", "外孙"),
    Relation.PARENT: ("父母", "父亲", "母亲", "父", "母"),
    Relation.SIBLING: ("兄弟姐妹", "兄弟", "姐妹", "哥哥", "弟弟", "姐姐", "妹妹"),
    Relation.OTHER: ("其他", "其它"),
}
_RELATION_BY_LABEL: dict[str, str] = {
    **{str(relation): str(relation) for relation in RELATION_LABELS},
    **{label: str(relation) for relation, labels in RELATION_LABELS.items() for label in labels},
}
_RELATION_EXPORT_LABEL = {relation: labels[0] for relation, labels in RELATION_LABELS.items()}
_RELATION_CHOICES_TEXT = "、".join(labels[0] for labels in RELATION_LABELS.values())

# --- Limits -------------------------------------------------------------------------------------

STORED_ERRORS_MAX = 1000  # the job keeps the first ones; error_count is the true count
PROGRESS_EVERY = 500
WRITE_BATCH = 500
_QUERY_CHUNK = 500
_HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common in village ledgers
# A .xlsx is a zip: refuse one that unpacks to far more than an honest register would.
_UNPACKED_FACTOR = 20
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Excel and WPS save a password-protected workbook as an OLE compound file holding these streams.
_ENCRYPTION_STREAMS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
# What is read of a sheet, whatever its declared size: the template has 8 columns, a ledger with
# notes a few more. Cells past MAX_COLUMNS or beyond MAX_COLUMNS in one row make a row error and
# are not kept; a sheet with more than MAX_CELLS_PER_ROW cells per allowed row is refused. Memory
# stays one row's worth however the file is built (one row of 3,000,000 cells is 93 KB zipped).
MAX_COLUMNS = 64
MAX_CELLS_PER_ROW = 16

# --- Messages -----------------------------------------------------------------------------------

ERROR_MESSAGES: dict[str, Promise] = {
    "bad_phone": gettext_lazy(
        "Not a mobile phone number: it must have 11 digits and start with 1."
    ),
    "bad_id_number": gettext_lazy(
        "Not a valid ID card number: it must have 18 characters and a correct check digit. "
        "In Excel, format this column as text."
    ),
    "missing_number": gettext_lazy("The household number is empty."),
    "missing_name": gettext_lazy("The name is empty."),
    "unknown_relation": gettext_lazy("Unknown relation to the head. Write one of: %(choices)s."),
    "unknown_group": gettext_lazy("%(village)s has no village group with this name."),
    "missing_head": gettext_lazy(
        "Household %(number)s has members but no row whose relation is 户主."
    ),
    "duplicate_number": gettext_lazy(
        "Household number %(number)s already has a head in row %(row)s: "
        "two households cannot share one number."
    ),
    "duplicate_id_number": gettext_lazy("This ID card number is already used in row %(row)s."),
    "bad_birth_date": gettext_lazy("Not a date. Write it like 1956-03-02."),
    # Neutral on purpose: a committee must not learn from an import where else a person lives.
    "id_number_taken": gettext_lazy(
        "This ID card number cannot be imported into this village. Check the number; if it is "
        "right, ask the town administrator."
    ),
    "too_many_cells": gettext_lazy(
        "This row has cells beyond column %(max)s; only the first %(max)s columns are read. "
        "Delete the extra cells."
    ),
    "too_long": gettext_lazy("Too long: at most %(max)s characters."),
    "household_closed": gettext_lazy(
        "Household %(number)s is “%(status)s” in the register and cannot be imported into."
    ),
}

REFUSAL_MESSAGES: dict[str, Promise] = {
    "empty": gettext_lazy("The file is empty."),
    "no_rows": gettext_lazy("The file has column names but no rows of people."),
    "not_spreadsheet": gettext_lazy(
        "This file is not an Excel spreadsheet. Please upload an .xlsx file made from the template."
    ),
    "old_excel": gettext_lazy(
        "This is an old Excel (.xls) file. Please open it in Excel or WPS and save it as .xlsx."
    ),
    "password_protected": gettext_lazy(
        "This file is protected by a password. Remove the password in Excel or WPS, save the "
        "file and upload it again."
    ),
    "unreadable": gettext_lazy(
        "The spreadsheet could not be read. Open it in Excel or WPS, save it as .xlsx and try again."
    ),
    "too_large": gettext_lazy(
        "The file is larger than %(max)s MB. Please split it by village group."
    ),
    "too_many_rows": gettext_lazy(
        "The file has more than %(max)s rows. Please split it into smaller files."
    ),
    "too_many_cells": gettext_lazy(
        "The sheet has more than %(max)s filled cells. Delete what is not part of the register "
        "or split the file by village group."
    ),
    "missing_columns": gettext_lazy("These columns are missing from the header row: %(columns)s."),
}

FAILED_MESSAGE = gettext_lazy(
    "The import failed and nothing was written. Please try again or ask the administrator."
)


class ImportRefused(Exception):
    """The whole file is refused; nothing about its rows is reported and nothing is written."""

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.message = str(REFUSAL_MESSAGES[code] % params if params else REFUSAL_MESSAGES[code])
        super().__init__(self.message)


# --- Progress -----------------------------------------------------------------------------------
# The apply runs in one transaction, so its progress cannot be read from the database: it is
# written to the cache, which is shared between processes in production (Redis).


def _progress_key(job_id: int) -> str:
    return f"registry:import-progress:{job_id}"


def _progress_set(job_id: int, phase: str, done: int = 0, total: int = 0) -> None:
    cache.set(
        _progress_key(job_id),
        {"phase": phase, "done": done, "total": max(total, done)},
        timeout=24 * 60 * 60,
    )


def register_import_progress(job_id: int) -> dict[str, Any]:
    """Where a running check or import is: ``phase`` (reading, checking, writing, done or "")."""
    progress = cache.get(_progress_key(job_id)) or {"phase": "", "done": 0, "total": 0}
    total = progress["total"]
    progress["percent"] = min(100, round(100 * progress["done"] / total)) if total else 0
    return progress


ProgressCallback = Callable[[str, int, int], None]


# --- Reading ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    line: int
    number: str
    group: str
    address: str
    name: str
    relation: str | None
    phone: str
    id_number: str
    birth_date: datetime.date | None
    is_valid: bool = True


@dataclass
class _Sheet:
    rows: list[_Row]
    columns: frozenset[str]  # keys of the columns the file has; absent ones are left unchanged
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error(self, target: _Row, column: str, code: str, value: str = "", **params: Any) -> None:
        """``column`` is a column key, or "" for an error of the whole row."""
        target.is_valid = False
        message = ERROR_MESSAGES[code]
        self.errors.append(
            {
                "row": target.line,
                "column": COLUMN_BY_KEY[column].header if column else "",
                "code": code,
                "message": str(message % params if params else message),
                "value": _masked(column, value),
            }
        )


def _masked(column: str, value: str) -> str:
    """What an error may show of a cell: never a whole phone or ID-card number."""
    value = value[:60]
    if column not in {"phone", "id_number"}:
        return value
    if len(value) < 8:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


def _text(value: object) -> str:
    """A cell as text: 1 and 1.0 both give "1"; a date gives 1956-03-02."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return normalize_text(value)


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def _parse_date(value: object, today: datetime.date) -> datetime.date | None:
    """Excel dates, 1956-03-02, 1956/3/2, 1956.3.2, 1956年3月2日 and 19560302; raises ValueError."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        parsed = value.date()
    elif isinstance(value, datetime.date):
        parsed = value
    else:
        text = _text(value)
        if not text:
            return None
        match = _DATE_RE.match(text) or _COMPACT_DATE_RE.match(text)
        if not match:
            raise ValueError(text)
        parsed = datetime.date(*(int(part) for part in match.groups()))
    if not datetime.date(1880, 1, 1) <= parsed <= today:
        raise ValueError(str(value))
    return parsed


_CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CHINESE_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_GROUP_NUMBER_RE = re.compile(r"^第?([0-9]+|[零〇一二两三四五六七八九十]+)(?:村民)?(?:小)?组?$")


def _chinese_number(text: str) -> int | None:
    """一 → 1, 十二 → 12, 二十 → 20, 二十三 → 23 (village groups rarely pass 99)."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _sep, ones = text.partition("十")
        if len(tens) > 1 or len(ones) > 1 or "十" in ones:
            return None
        tens_value = _CHINESE_DIGITS.get(tens, -1) if tens else 1
        ones_value = _CHINESE_DIGITS.get(ones, -1) if ones else 0
        if tens_value < 0 or ones_value < 0:
            return None
        return tens_value * 10 + ones_value
    if len(text) == 1:
        return _CHINESE_DIGITS.get(text)
    return None


def _group_keys(name: str) -> list[str]:
    """The keys a group's name is found under: the name itself and, for "第1组", "#1"."""
    text = re.sub(r"\s", "", normalize_text(name))
    keys = [text]
    match = _GROUP_NUMBER_RE.match(text)
    if match:
        number = _chinese_number(match.group(1))
        if number is not None:
            keys.append(f"#{number}")
    return keys


def _header_key(value: object, columns: tuple[Column, ...] = COLUMNS) -> str | None:
    text = re.sub(r"[\s*＊:：]", "", _text(value))
    for column in columns:
        if text == column.header or text in column.aliases:
            return column.key
    return None


def _sniff(data: bytes) -> None:
    """Refuse what is not a readable .xlsx, by its bytes, before a parser sees it."""
    if not data:
        raise ImportRefused("empty")
    max_bytes = settings.REGISTER_IMPORT_MAX_BYTES
    if len(data) > max_bytes:
        raise ImportRefused("too_large", max=max_bytes // (1024 * 1024))
    if data.startswith(_OLE_MAGIC):
        if any(stream in data for stream in _ENCRYPTION_STREAMS):
            raise ImportRefused("password_protected")
        raise ImportRefused("old_excel")
    if not data.startswith(b"PK"):
        raise ImportRefused("not_spreadsheet")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ImportRefused("not_spreadsheet") from exc
    if "xl/workbook.xml" not in {info.filename for info in infos}:
        raise ImportRefused("not_spreadsheet")
    if sum(info.file_size for info in infos) > _UNPACKED_FACTOR * max_bytes:
        raise ImportRefused("too_large", max=max_bytes // (1024 * 1024))


def _read_file(job: HouseholdImport) -> bytes:
    max_bytes = settings.REGISTER_IMPORT_MAX_BYTES
    if job.file.size > max_bytes:
        raise ImportRefused("too_large", max=max_bytes // (1024 * 1024))
    with job.file.open("rb") as handle:
        return handle.read()


def _read_sheet(data: bytes, on_progress: ProgressCallback) -> _Sheet:
    """Parse and check each row on its own; raises ImportRefused for the whole file."""
    max_rows = settings.REGISTER_IMPORT_MAX_ROWS
    return workbook_read(
        data,
        sheet_title=SHEET_TITLE,
        read=lambda lines, declared: _read_rows(lines, max_rows, declared, on_progress),
    )


Lines = Iterator[tuple[int, dict[int, Any]]]
_T = TypeVar("_T")


def workbook_read(data: bytes, *, sheet_title: str, read: Callable[[Lines, int], _T]) -> _T:
    """Open an uploaded .xlsx safely and hand its sheet's rows to ``read(lines, declared)``.

    The one reader of uploaded workbooks (the household register, and other apps' registers):
    the bytes are sniffed first (size, old Excel, password, zip bomb), the sheet named
    ``sheet_title`` (else the first) is streamed row by row as ``(line, {column number: value})``
    with at most ``MAX_COLUMNS`` values, and ``declared`` is the sheet's declared last row (0
    when unknown). ``find_header`` finds the header row among the first lines. Raises
    ImportRefused for the whole file, including any unexpected error of ``read``.

    openpyxl reads the workbook's parts (shared strings, date styles, sheet list); the sheet
    itself is streamed here, which is several times faster than openpyxl's read-only cells and
    lets a huge sheet be refused from its declared size before any row is parsed.
    """
    _sniff(data)
    with warnings.catch_warnings():
        # openpyxl warns about every extension it drops; none matters for reading values.
        warnings.simplefilter("ignore")
        try:
            reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise ImportRefused("unreadable") from exc
        try:
            reader.read_manifest()
            reader.read_strings()
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            sheets = [
                (sheet.name, rel.target)
                for sheet, rel in reader.parser.find_sheets()
                if "chartsheet" not in rel.Type
            ]
            if not sheets:
                raise ImportRefused("no_rows")
            # The sheet named 台账, else the first one (a notes sheet may follow it).
            path = dict(sheets).get(sheet_title, sheets[0][1])
            cells = _SheetCells(
                shared_strings=reader.shared_strings,
                date_styles=set(reader.wb._date_formats),
                epoch=reader.wb.epoch,
            )
            with reader.archive.open(path) as head:
                declared = _declared_rows(head.read(64 * 1024))
            max_rows = settings.REGISTER_IMPORT_MAX_ROWS
            if declared is not None and declared - 1 > max_rows:
                raise ImportRefused("too_many_rows", max=max_rows)
            cells.max_cells = max_rows * MAX_CELLS_PER_ROW
            with reader.archive.open(path) as source:
                return read(cells.rows(source), declared or 0)
        except ImportRefused:
            raise
        except Exception as exc:
            raise ImportRefused("unreadable") from exc
        finally:
            reader.archive.close()


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW_TAG, _CELL_TAG, _VALUE_TAG = f"{_NS}row", f"{_NS}c", f"{_NS}v"
_INLINE_TAG, _TEXT_TAG, _RUN_TAG = f"{_NS}is", f"{_NS}t", f"{_NS}r"
_FORMULA_TAG, _SHEET_DATA_TAG = f"{_NS}f", f"{_NS}sheetData"
_DIMENSION_RE = re.compile(rb"<(?:\w+:)?dimension\s[^>]*?ref=\"([^\"]+)\"")
_SHEET_DATA_RE = re.compile(rb"<(?:\w+:)?sheetData[\s>/]")


def _declared_rows(head: bytes) -> int | None:
    """The last row of the sheet's declared size (<dimension ref="A1:H120"/>), if it has one."""
    data_at = _SHEET_DATA_RE.search(head)
    match = _DIMENSION_RE.search(head, 0, data_at.start() if data_at else len(head))
    if not match:
        return None
    digits = re.findall(rb"\d+", match.group(1))
    return int(digits[-1]) if digits else None


class _Cells(dict):
    """One row's values, {column number: value}; ``too_wide`` when cells past ``MAX_COLUMNS``
    (or more than ``MAX_COLUMNS`` cells) were dropped."""

    too_wide = False


@dataclass
class _SheetCells:
    """Cell values of a worksheet's XML, streamed cell by cell and yielded row by row.

    Each cell is dropped from the tree as soon as it is read, and each row once yielded, so
    memory holds one row of at most ``MAX_COLUMNS`` values. Raises ImportRefused
    ("too_many_cells") past ``max_cells`` cells in the sheet."""

    shared_strings: Any
    date_styles: set[int]
    epoch: datetime.datetime
    max_cells: int = 0

    def rows(self, source: Any) -> Iterator[tuple[int, dict[int, Any]]]:
        line = 0
        seen = 0
        values = _Cells()
        column = 0
        open_elements: list[Any] = []
        in_cell = False
        for event, element in iterparse(source, events=("start", "end")):
            if event == "start":
                open_elements.append(element)
                if element.tag == _ROW_TAG:
                    reference = element.get("r")
                    line = int(reference) if reference else line + 1
                    values, column = _Cells(), 0
                elif element.tag == _CELL_TAG:
                    in_cell = True
                continue
            open_elements.pop()
            if element.tag == _CELL_TAG:
                in_cell = False
                seen += 1
                if self.max_cells and seen > self.max_cells:
                    raise ImportRefused("too_many_cells", max=self.max_cells)
                reference = element.get("r")
                column = (
                    column_index_from_string(reference.rstrip("0123456789"))
                    if reference
                    else column + 1
                )
                if column > MAX_COLUMNS or len(values) >= MAX_COLUMNS:
                    values.too_wide = True
                else:
                    value = self.value(element)
                    if value is not None and value != "":
                        values[column] = value
            elif element.tag == _ROW_TAG:
                yield line, values
            elif in_cell:
                continue  # a cell's value, read when the cell ends
            if open_elements:
                # Drop what was read (cells from their row, rows from the sheet, and anything
                # else from its parent): the tree never holds more than the open elements.
                open_elements[-1].clear()

    def value(self, cell: Any) -> Any:
        formula = cell.findtext(_FORMULA_TAG)
        if formula:
            # A formula is read as the text it is, never as the value it claims to compute:
            # the export writes it back as text, so it never runs in someone's Excel.
            return "=" + formula
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            inline = cell.find(_INLINE_TAG)
            if inline is None:
                return None
            text = inline.findtext(_TEXT_TAG)
            if text is None:  # rich text: the runs' texts, without phonetic guides
                text = "".join(run.findtext(_TEXT_TAG) or "" for run in inline.iterfind(_RUN_TAG))
            return text
        raw = cell.findtext(_VALUE_TAG)
        if not raw:
            return None
        if kind == "s":
            return str(self.shared_strings[int(raw)])
        if kind in {"str", "e"}:
            return raw
        if kind == "b":
            return raw == "1"
        if kind == "d":
            return from_ISO8601(raw)
        try:
            number: int | float = int(raw)
        except ValueError:
            number = float(raw)
        style = cell.get("s")
        if style and int(style) in self.date_styles:
            try:
                return from_excel(number, self.epoch)
            except (OverflowError, ValueError):
                return number
        return number


def _read_rows(
    lines: Iterator[tuple[int, dict[int, Any]]],
    max_rows: int,
    declared: int,
    on_progress: ProgressCallback,
) -> _Sheet:
    header_line, index = find_header(lines, COLUMNS)
    sheet = _Sheet(rows=[], columns=frozenset(index))
    total = max(declared - header_line, 0)
    today = timezone.localdate()
    next_report = header_line + PROGRESS_EVERY
    for line, values in lines:
        # The declared size may be missing or wrong: count what is there too.
        if line - header_line > max_rows:
            raise ImportRefused("too_many_rows", max=max_rows)
        if line >= next_report:
            on_progress("reading", line - header_line, total)
            next_report = line + PROGRESS_EVERY
        if values:
            _parse_row(sheet, line, values, index, today)
            if getattr(values, "too_wide", False):
                sheet.error(sheet.rows[-1], "", "too_many_cells", max=MAX_COLUMNS)
    if not sheet.rows:
        raise ImportRefused("no_rows")
    return sheet


def find_header(lines: Lines, columns: tuple[Column, ...]) -> tuple[int, dict[str, int]]:
    """The header row among the first few, and the column number of each known column in it.

    Raises ImportRefused when no row has every required column's header (or an alias)."""
    best: dict[str, int] = {}
    required = {column.key for column in columns if column.is_required}
    seen_any = False
    for line, values in lines:
        seen_any = seen_any or bool(values)
        index: dict[str, int] = {}
        for column, value in sorted(values.items()):
            key = _header_key(value, columns)
            if key is not None and key not in index:
                index[key] = column
        if required <= set(index):
            return line, index
        if len(index) > len(best):
            best = index
        if line >= _HEADER_SEARCH_ROWS:
            break
    if not best and not seen_any:
        raise ImportRefused("no_rows")
    missing = [column.header for column in columns if column.is_required and column.key not in best]
    raise ImportRefused("missing_columns", columns="、".join(missing))


def _parse_row(
    sheet: _Sheet, line: int, values: dict[int, Any], index: dict[str, int], today: datetime.date
) -> None:
    def cell(key: str) -> Any:
        column = index.get(key)
        return values.get(column) if column is not None else None

    row = _Row(
        line=line,
        number=_text(cell("number")),
        group=_text(cell("group")),
        address=_text(cell("address")),
        name=re.sub(r"\s+", " ", _text(cell("name"))),
        relation=None,
        phone="",
        id_number="",
        birth_date=None,
    )
    if not row.number:
        sheet.error(row, "number", "missing_number")
    if not row.name:
        sheet.error(row, "name", "missing_name")
    for key in ("number", "address", "name"):
        limit = COLUMN_BY_KEY[key].max_length
        value = getattr(row, key)
        if limit and len(value) > limit:
            sheet.error(row, key, "too_long", value, max=limit)

    relation_text = re.sub(r"\s", "", _text(cell("relation")))
    row.relation = _RELATION_BY_LABEL.get(relation_text)
    if row.relation is None:
        sheet.error(
            row, "relation", "unknown_relation", relation_text, choices=_RELATION_CHOICES_TEXT
        )

    phone = _text(cell("phone"))
    if phone:
        try:
            row.phone = normalize_phone(phone)
        except InvalidNumber:
            sheet.error(row, "phone", "bad_phone", phone)
    id_number = _text(cell("id_number"))
    if id_number:
        try:
            row.id_number = normalize_id_number(id_number)
        except InvalidNumber:
            sheet.error(row, "id_number", "bad_id_number", id_number)
    raw_date = cell("birth_date")
    try:
        row.birth_date = _parse_date(raw_date, today)
    except ValueError:
        sheet.error(row, "birth_date", "bad_birth_date", _text(raw_date))
    sheet.rows.append(row)


# --- Checking against the register and planning the writes --------------------------------------

_MEMBER_FIELDS = ("household_id", "name", "relation", "phone", "id_number", "birth_date")


@dataclass
class _Plan:
    # New rows are kept as field values: a dry run need not build model instances.
    households_new: list[dict[str, Any]] = field(default_factory=list)
    households_changed: list[Household] = field(default_factory=list)
    # (household number, member): the household may not exist yet when the plan is made.
    members_new: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    members_changed: list[tuple[str | None, Member]] = field(default_factory=list)
    # Written first, so that no statement ever sees two heads or one ID number twice.
    members_interim: list[Member] = field(default_factory=list)
    touched_household_ids: set[int] = field(default_factory=set)
    summary: dict[str, int] = field(default_factory=dict)

    @property
    def write_count(self) -> int:
        return (
            len(self.households_new)
            + len(self.households_changed)
            + len(self.members_new)
            + len(self.members_changed)
        )


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _plan(village: Area, sheet: _Sheet) -> _Plan | None:
    """Check the rows against each other and the register; the writes, if there are no errors.

    Reads the village's groups, households and members in three queries and the ID numbers of
    other villages in chunks of the file's numbers: no query per row.
    """
    groups: dict[str, int] = {}
    for group in Area.objects.filter(
        path__startswith=village.path, depth=village.depth + 1, level=Area.Level.GROUP
    ).order_by("path"):
        for key in _group_keys(group.name):
            groups.setdefault(key, group.pk)
    households = {
        household["number"]: household
        for household in Household.objects.filter(village=village).values(
            "id", "number", "group_id", "address", "status"
        )
    }
    members = list(
        Member.objects.filter(household__village=village)
        .order_by("id")
        .values("id", *_MEMBER_FIELDS)
    )
    member_by_id_number = {m["id_number"]: m for m in members if m["id_number"]}

    _check_id_numbers(sheet, member_by_id_number)
    by_number: dict[str, list[_Row]] = defaultdict(list)
    for row in sheet.rows:
        if row.number:
            by_number[row.number].append(row)
    heads = _check_households(village, sheet, by_number, households, groups)
    if sheet.errors:
        sheet.errors.sort(key=lambda error: (error["row"], _COLUMN_ORDER.get(error["column"], -1)))
        return None
    return _plan_writes(village, sheet, by_number, heads, households, members, groups)


_COLUMN_ORDER = {column.header: position for position, column in enumerate(COLUMNS)}


def _check_id_numbers(sheet: _Sheet, member_by_id_number: dict[str, dict[str, Any]]) -> None:
    first_line: dict[str, int] = {}
    outside: set[str] = set()
    for row in sheet.rows:
        if not row.id_number:
            continue
        if row.id_number in first_line:
            sheet.error(
                row,
                "id_number",
                "duplicate_id_number",
                row.id_number,
                row=first_line[row.id_number],
            )
            continue
        first_line[row.id_number] = row.line
        if row.id_number not in member_by_id_number:
            outside.add(row.id_number)
    # An ID number not found in this village may still belong to someone in another one.
    taken: set[str] = set()
    for chunk in _chunks(sorted(outside), _QUERY_CHUNK):
        # Excluding blanks repeats the unique index's condition, so that the index is used.
        found = Member.objects.filter(id_number__in=chunk).exclude(id_number="")
        taken.update(found.values_list("id_number", flat=True))
    if taken:
        for row in sheet.rows:
            if row.id_number in taken and first_line[row.id_number] == row.line:
                sheet.error(row, "id_number", "id_number_taken", row.id_number)


def _check_households(
    village: Area,
    sheet: _Sheet,
    by_number: dict[str, list[_Row]],
    households: dict[str, dict[str, Any]],
    groups: dict[str, int],
) -> dict[str, _Row]:
    heads: dict[str, _Row] = {}
    closed_labels = dict(Household.Status.choices)
    for number, rows in by_number.items():
        for row in rows:
            if row.relation != Relation.HEAD:
                continue
            if number in heads:
                sheet.error(
                    row, "number", "duplicate_number", number, number=number, row=heads[number].line
                )
            else:
                heads[number] = row
        head = heads.get(number)
        if head is None:
            # A row with an unreadable relation may be the head: its own error says so.
            if all(row.relation is not None for row in rows):
                sheet.error(rows[0], "relation", "missing_head", number, number=number)
            continue
        if head.group and not any(key in groups for key in _group_keys(head.group)):
            sheet.error(head, "group", "unknown_group", head.group, village=village.name)
        existing = households.get(number)
        if existing is not None and existing["status"] != Household.Status.ACTIVE:
            sheet.error(
                head,
                "number",
                "household_closed",
                number,
                number=number,
                status=closed_labels[existing["status"]],
            )
    return heads


def _resolve_group(text: str, groups: dict[str, int]) -> int | None:
    for key in _group_keys(text) if text else ():
        if key in groups:
            return groups[key]
    return None


def _plan_writes(
    village: Area,
    sheet: _Sheet,
    by_number: dict[str, list[_Row]],
    heads: dict[str, _Row],
    households: dict[str, dict[str, Any]],
    members: list[dict[str, Any]],
    groups: dict[str, int],
) -> _Plan:
    plan = _Plan()
    columns = sheet.columns
    now = timezone.now()
    summary = defaultdict(int)
    summary["households"] = len(by_number)
    summary["rows"] = len(sheet.rows)

    # Match rows to members: by ID number first, so that a name never takes someone else's row.
    member_by_id_number = {m["id_number"]: m for m in members if m["id_number"]}
    by_household_name: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for member in members:
        by_household_name[(member["household_id"], member["name"])].append(member)
    matched: dict[int, dict[str, Any]] = {}  # row line → member
    used: set[int] = set()
    for row in sheet.rows:
        member = member_by_id_number.get(row.id_number) if row.id_number else None
        if member is not None:
            matched[row.line] = member
            used.add(member["id"])
    for row in sheet.rows:
        existing = households.get(row.number)
        if row.line in matched or existing is None:
            continue
        for member in by_household_name.get((existing["id"], row.name), ()):
            if member["id"] not in used:
                matched[row.line] = member
                used.add(member["id"])
                break

    for number, rows in by_number.items():
        head = heads[number]
        existing = households.get(number)
        group_id = _resolve_group(head.group, groups)
        if existing is None:
            plan.households_new.append(
                {
                    "number": number,
                    "group_id": group_id if "group" in columns else None,
                    "address": head.address if "address" in columns else "",
                }
            )
            summary["households_created"] += 1
        else:
            changed = Household(
                pk=existing["id"],
                group_id=group_id if "group" in columns else existing["group_id"],
                address=head.address if "address" in columns else existing["address"],
                updated_at=now,
            )
            if (changed.group_id, changed.address) != (existing["group_id"], existing["address"]):
                plan.households_changed.append(changed)
                plan.touched_household_ids.add(existing["id"])
        for row in rows:
            _plan_member(plan, summary, row, matched.get(row.line), existing, columns)

    # Members the file does not list are kept; a head the file replaces becomes "other".
    file_household_ids = {households[n]["id"] for n in by_number if n in households}
    for member in members:
        if member["id"] in used or member["household_id"] not in file_household_ids:
            continue
        summary["members_not_in_file"] += 1
        if member["relation"] == Relation.HEAD:
            current = {key: member[key] for key in _MEMBER_FIELDS}
            plan.members_interim.append(
                Member(pk=member["id"], **(current | {"relation": Relation.OTHER}))
            )
            plan.members_changed.append(
                (None, Member(pk=member["id"], **(current | {"relation": Relation.OTHER})))
            )
            plan.touched_household_ids.add(member["household_id"])
            summary["heads_demoted"] += 1

    summary["households_updated"] = len(plan.touched_household_ids)
    summary["households_unchanged"] = (
        summary["households"]
        - summary["households_created"]
        - len(plan.touched_household_ids & file_household_ids)
    )
    plan.summary = {key: summary[key] for key in SUMMARY_KEYS}
    return plan


SUMMARY_KEYS = (
    "rows",
    "households",
    "households_created",
    "households_updated",
    "households_unchanged",
    "members_created",
    "members_updated",
    "members_moved",
    "members_unchanged",
    "members_not_in_file",
    "heads_demoted",
)


def _plan_member(
    plan: _Plan,
    summary: dict[str, int],
    row: _Row,
    member: dict[str, Any] | None,
    household: dict[str, Any] | None,
    columns: frozenset[str],
) -> None:
    def value(key: str, default: Any) -> Any:
        if key in columns:
            return getattr(row, key)
        return member[key] if member is not None else default

    final = {
        "name": row.name,
        "relation": row.relation,
        "phone": value("phone", ""),
        "id_number": value("id_number", ""),
        "birth_date": value("birth_date", None),
    }
    if member is None:
        plan.members_new.append((row.number, final))
        summary["members_created"] += 1
        return
    moved = household is None or member["household_id"] != household["id"]
    if not moved and all(member[key] == final[key] for key in final):
        summary["members_unchanged"] += 1
        return
    changed = Member(pk=member["id"], household_id=member["household_id"], **final)
    plan.members_changed.append((row.number if moved else None, changed))
    summary["members_updated"] += 1
    if household is not None:
        plan.touched_household_ids.add(household["id"])
    if moved:
        summary["members_moved"] += 1
        plan.touched_household_ids.add(member["household_id"])
    loses_head = member["relation"] == Relation.HEAD and (
        moved or final["relation"] != Relation.HEAD
    )
    changes_id = member["id_number"] != final["id_number"] and member["id_number"] != ""
    if loses_head or changes_id:
        interim = Member(pk=member["id"], **{key: member[key] for key in _MEMBER_FIELDS})
        if loses_head:
            interim.relation = Relation.OTHER
        if changes_id:
            interim.id_number = ""
        plan.members_interim.append(interim)


# --- Writing ------------------------------------------------------------------------------------


def _update_rows(model: type[Model], objects: list[Any], fields: list[str]) -> None:
    """UPDATE ``fields`` of each object by primary key: one statement, executed for each object.

    Django's bulk_update builds a CASE expression per field and object, which costs
    milliseconds an object in Python; executemany costs microseconds. Statements run one
    after the other, so a unique constraint never sees a half-applied batch.
    """
    if not objects:
        return
    opts = model._meta
    columns = [opts.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    sql = (
        f"UPDATE {quote(opts.db_table)} SET {assignments} "  # noqa: S608 (names from the model)
        f"WHERE {quote(opts.pk.column)} = %s"
    )
    params = [
        [column.get_db_prep_save(getattr(obj, column.attname), connection) for column in columns]
        + [obj.pk]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _write(plan: _Plan, *, village: Area, job: HouseholdImport, actor: User) -> None:
    """Carry out a plan inside the caller's transaction, in batches, reporting progress."""
    total = plan.write_count
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        _progress_set(job.pk, "writing", done, total)

    advance(0)
    for batch in _chunks(plan.households_new, WRITE_BATCH):
        Household.objects.bulk_create(
            [Household(village=village, status=Household.Status.ACTIVE, **new) for new in batch]
        )
        advance(len(batch))
    for batch in _chunks(plan.households_changed, WRITE_BATCH):
        _update_rows(Household, batch, ["group", "address", "updated_at"])
        advance(len(batch))
    household_ids = dict(Household.objects.filter(village=village).values_list("number", "id"))

    _update_rows(Member, plan.members_interim, ["relation", "id_number"])
    changed = []
    for number, member in plan.members_changed:
        if number is not None:
            member.household_id = household_ids[number]
        changed.append(member)
    fields = ["household", "name", "relation", "phone", "id_number", "birth_date"]
    for batch in _chunks(changed, WRITE_BATCH):
        _update_rows(Member, batch, fields)
        advance(len(batch))
    for batch in _chunks(plan.members_new, WRITE_BATCH):
        Member.objects.bulk_create(
            [Member(household_id=household_ids[number], **new) for number, new in batch]
        )
        advance(len(batch))

    today = timezone.localdate()
    note = (_("Register import “%(name)s”") % {"name": job.original_name})[:200]
    events = [
        HouseholdEvent(
            household_id=household_ids[household["number"]],
            kind=HouseholdEvent.Kind.CREATED,
            to_status=Household.Status.ACTIVE,
            to_village=village,
            effective_on=today,
            note=note,
            actor=actor,
        )
        for household in plan.households_new
    ]
    events += [
        HouseholdEvent(
            household_id=household_id,
            kind=HouseholdEvent.Kind.IMPORTED,
            effective_on=today,
            note=note,
            actor=actor,
        )
        for household_id in sorted(plan.touched_household_ids)
    ]
    HouseholdEvent.objects.bulk_create(events, batch_size=WRITE_BATCH)


# --- Services -----------------------------------------------------------------------------------


def _manages(user: User, village: Area) -> bool:
    """Whether ``user`` manages the register of ``village`` (a village, in their scope)."""
    return village.level == Area.Level.VILLAGE and may(
        user, Kind.REGISTER_FILE, Action.WRITE, village
    )


def _progress_callback(job_id: int) -> ProgressCallback:
    def on_progress(phase: str, done: int, total: int) -> None:
        _progress_set(job_id, phase, done, total)

    return on_progress


def _log_failure(job: HouseholdImport, exc: BaseException, action: str) -> None:
    # The exception's message may quote a cell (an ID or phone number): log its type and
    # where it was raised, never its text.
    logger.error(
        "register import %s: %s failed with %s\n%s",
        job.pk,
        action,
        type(exc).__name__,
        "".join(traceback.format_tb(exc.__traceback__)),
    )


def _discard_file(job: HouseholdImport) -> None:
    """Delete the uploaded file (it holds ID and phone numbers) once the job is finished."""
    if job.file:
        name, storage = job.file.name, job.file.storage
        transaction.on_commit(lambda: storage.delete(name))


def _refuse(job: HouseholdImport, refusal: ImportRefused) -> HouseholdImport:
    job.status = Status.REFUSED
    job.refusal = refusal.message[:200]
    job.summary = {"refusal_code": refusal.code}
    job.errors = []
    job.error_count = 0
    job.row_count = 0
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "refusal",
            "summary",
            "errors",
            "error_count",
            "row_count",
            "finished_at",
        ]
    )
    _progress_set(job.pk, "done")
    _discard_file(job)
    return job


def _store_invalid(job: HouseholdImport, sheet: _Sheet) -> HouseholdImport:
    job.status = Status.INVALID
    job.row_count = len(sheet.rows)
    job.errors = sheet.errors[:STORED_ERRORS_MAX]
    job.error_count = len(sheet.errors)
    job.summary = {
        "rows": len(sheet.rows),
        "households": len({row.number for row in sheet.rows if row.number}),
    }
    job.refusal = ""
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "row_count",
            "errors",
            "error_count",
            "summary",
            "refusal",
            "finished_at",
        ]
    )
    _progress_set(job.pk, "done", job.row_count, job.row_count)
    _discard_file(job)
    return job


def register_import_create(*, actor: User, village: Area, upload: UploadedFile) -> HouseholdImport:
    """Store an uploaded register file as a new job; the caller enqueues the check on commit.

    Raises RegisterError when ``actor`` does not manage ``village`` or the file is too large.
    The file is stored under a random name: it holds personal numbers.
    """
    if not _manages(actor, village):
        raise RegisterError("not_in_scope", _("You cannot import into this village."))
    max_bytes = settings.REGISTER_IMPORT_MAX_BYTES
    if (upload.size or 0) > max_bytes:
        raise RegisterError("too_large", ImportRefused("too_large", max=max_bytes // 2**20).message)
    job = HouseholdImport(
        village=village,
        original_name=PurePath(upload.name or "").name[:200] or "register.xlsx",
        created_by=actor,
    )
    job.file.save(f"{uuid.uuid4().hex}.xlsx", upload, save=False)
    job.save()
    return job


def register_import_check(*, job: HouseholdImport) -> HouseholdImport:
    """The dry run: read and validate the file; write only the job (READY, INVALID or REFUSED).

    The summary says what an import would create and update. Raises RegisterError for a job
    that is being or has been imported.
    """
    if job.status in {Status.IMPORTING, Status.DONE}:
        raise RegisterError("already_imported", _("This file has already been imported."))
    job.status = Status.CHECKING
    job.save(update_fields=["status"])
    on_progress = _progress_callback(job.pk)
    on_progress("reading", 0, 0)
    try:
        sheet = _read_sheet(_read_file(job), on_progress)
        on_progress("checking", len(sheet.rows), len(sheet.rows))
        plan = _plan(job.village, sheet)
    except ImportRefused as refusal:
        return _refuse(job, refusal)
    except Exception as exc:
        _log_failure(job, exc, "check")
        job.status = Status.FAILED
        job.refusal = str(CHECK_FAILED_MESSAGE)[:200]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "refusal", "finished_at"])
        _progress_set(job.pk, "done")
        return job
    if plan is None:
        return _store_invalid(job, sheet)
    job.status = Status.READY
    job.row_count = len(sheet.rows)
    job.errors = []
    job.error_count = 0
    job.summary = plan.summary
    job.refusal = ""
    job.finished_at = None
    job.save(
        update_fields=[
            "status",
            "row_count",
            "errors",
            "error_count",
            "summary",
            "refusal",
            "finished_at",
        ]
    )
    _progress_set(job.pk, "done", job.row_count, job.row_count)
    return job


CHECK_FAILED_MESSAGE = gettext_lazy(
    "The file could not be checked. Please try again or ask the administrator."
)


def register_import_apply(*, job: HouseholdImport, actor: User) -> HouseholdImport:
    """Import a checked file: every household and member in one transaction, or nothing.

    Only a READY job is imported (a second confirmation finds it IMPORTING and is refused).
    The file is validated again against the register as it is now: new errors make the job
    INVALID. Any other failure leaves the register unchanged and the job FAILED. Locks the
    village's row, so that two imports into one village run one after the other. Raises
    RegisterError when the actor does not manage the village or the job is not READY.
    """
    village = job.village
    if not _manages(actor, village):
        raise RegisterError("not_in_scope", _("You cannot import into this village."))
    claimed = HouseholdImport.objects.filter(pk=job.pk, status=Status.READY).update(
        status=Status.IMPORTING
    )
    if not claimed:
        raise RegisterError("not_ready", _("Only a checked file without errors can be imported."))
    job.status = Status.IMPORTING
    on_progress = _progress_callback(job.pk)
    on_progress("reading", 0, job.row_count)
    try:
        sheet = _read_sheet(_read_file(job), on_progress)
        with transaction.atomic(durable=True):
            # Imports into one village run one after the other.
            Area.objects.select_for_update().get(pk=village.pk)
            on_progress("checking", len(sheet.rows), len(sheet.rows))
            plan = _plan(village, sheet)
            if plan is not None:
                _write(plan, village=village, job=job, actor=actor)
                job.status = Status.DONE
                job.row_count = len(sheet.rows)
                job.summary = plan.summary
                job.errors = []
                job.error_count = 0
                job.finished_at = timezone.now()
                job.save(
                    update_fields=[
                        "status",
                        "row_count",
                        "summary",
                        "errors",
                        "error_count",
                        "finished_at",
                    ]
                )
    except ImportRefused as refusal:
        return _refuse(job, refusal)
    except Exception as exc:
        _log_failure(job, exc, "apply")
        job.refresh_from_db()
        job.status = Status.FAILED
        job.refusal = str(FAILED_MESSAGE)[:200]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "refusal", "finished_at"])
        _progress_set(job.pk, "done")
        return job
    if plan is None:
        return _store_invalid(job, sheet)
    _progress_set(job.pk, "done", job.row_count, job.row_count)
    _discard_file(job)
    logger.info(
        "register import %s: %s rows imported into area %s", job.pk, job.row_count, village.pk
    )
    return job


# --- Template and export ------------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_DATE_FORMAT = "yyyy-mm-dd"


def _set_columns(sheet: Any) -> None:
    for position, column in enumerate(COLUMNS, start=1):
        dimension = sheet.column_dimensions[get_column_letter(position)]
        dimension.width = column.width
        if column.is_text:
            dimension.number_format = "@"


def _instructions() -> list[str]:
    return [
        _("One row per person. The rows of one household share its household number (户号)."),
        _(
            "Each household needs exactly one row whose relation (与户主关系) is 户主; the "
            "household's village group and address are taken from that row."
        ),
        _("Relation to the head: one of %(choices)s.") % {"choices": _RELATION_CHOICES_TEXT},
        _(
            "Village group: the group's name as in the register, such as 第1组 (1组 and 一组 "
            "are accepted too)."
        ),
        _(
            "Mobile phone: 11 digits. ID card number: 18 characters. Keep these two columns "
            "and the household number formatted as text."
        ),
        _("Birth date: an Excel date, or text such as 1956-03-02, 1956/3/2 or 19560302."),
        _(
            "Importing the same file again updates the households and members in it and never "
            "adds them twice. Members the file does not list are kept."
        ),
    ]


def register_template_build() -> bytes:
    """The empty register (台账) workbook that villages fill in and upload."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    for position, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=position, value=column.header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
    _set_columns(sheet)
    sheet.freeze_panes = "A2"
    relation = get_column_letter(COLUMNS.index(COLUMN_BY_KEY["relation"]) + 1)
    # A drop-down of the usual labels; other accepted labels (长子, 妻子…) may still be typed.
    validation = DataValidation(
        type="list",
        formula1='"{}"'.format(",".join(labels[0] for labels in RELATION_LABELS.values())),
        allow_blank=True,
        showErrorMessage=False,
    )
    validation.add(f"{relation}2:{relation}20000")
    sheet.add_data_validation(validation)

    notes = workbook.create_sheet(_("How to fill in"))
    notes.column_dimensions["A"].width = 100
    for line, text in enumerate(_instructions(), start=1):
        notes.cell(row=line, column=1, value=text).alignment = Alignment(wrap_text=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text_cell(sheet: Any, text: str | None) -> Any:
    """A cell that holds ``text`` as text. openpyxl would write "=…" as a live formula (an
    imported "=HYPERLINK(…)" address would come out as a link); a string cell never runs."""
    if not text:
        return None
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell


def register_export(*, user: User, village: Area) -> bytes:
    """The village's active households in the import format, one row per person, head first.

    Writes an ExportRecord (personal data leaves the platform). Raises RegisterError when
    ``user`` does not manage ``village``.
    """
    if not _manages(user, village):
        raise RegisterError("not_in_scope", _("You cannot export this village's register."))
    households = visible_to(
        user,
        Household.objects.filter(village=village, status=Household.Status.ACTIVE),
        kind=Kind.REGISTER_FILE,
    )
    rows = (
        Member.objects.filter(household__in=households)
        .annotate(
            head_first=Case(
                When(relation=Relation.HEAD, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("household__number", "household_id", "head_first", "id")
        .values_list(
            "household__number",
            "household__group__name",
            "household__address",
            "name",
            "relation",
            "phone",
            "id_number",
            "birth_date",
        )
    )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    _set_columns(sheet)
    sheet.freeze_panes = "A2"
    header = []
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        header.append(cell)
    sheet.append(header)
    count = 0
    for number, group, address, name, relation, phone, id_number, birth_date in rows.iterator(
        chunk_size=2000
    ):
        born = None
        if birth_date is not None:
            born = WriteOnlyCell(sheet, value=birth_date)
            born.number_format = _DATE_FORMAT
        sheet.append(
            [
                _text_cell(sheet, number),
                _text_cell(sheet, group),
                _text_cell(sheet, address),
                _text_cell(sheet, name),
                _text_cell(sheet, _RELATION_EXPORT_LABEL.get(relation, relation)),
                _text_cell(sheet, phone),
                _text_cell(sheet, id_number),
                born,
            ]
        )
        count += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    ExportRecord.objects.create(user=user, kind=EXPORT_KIND, area=village, row_count=count)
    logger.info("register export of area %s: %s rows by user %s", village.pk, count, user.pk)
    return buffer.getvalue()


__all__ = [
    "COLUMNS",
    "Column",
    "Lines",
    "find_header",
    "workbook_read",
    "RELATION_LABELS",
    "ImportRefused",
    "register_export",
    "register_import_apply",
    "register_import_check",
    "register_import_create",
    "register_import_progress",
    "register_template_build",
]
