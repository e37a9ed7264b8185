"""Reading an uploaded workbook: refusing what is not a readable .xlsx, streaming the sheet,
parsing and checking each row on its own (``sheet_read``)."""

import datetime
import io
import pyexpat
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.utils import timezone
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils import column_index_from_string
from openpyxl.utils.datetime import from_excel, from_ISO8601

from registry.identity import (
    InvalidNumber,
    normalize_id_number,
    normalize_phone,
    normalize_text,
)
from registry.importing.format import (
    COLUMN_BY_KEY,
    COLUMNS,
    ENCRYPTION_STREAMS,
    ERROR_MESSAGES,
    HEADER_SEARCH_ROWS,
    MAX_CELLS_PER_ROW,
    MAX_COLUMNS,
    OLE_MAGIC,
    PROGRESS_EVERY,
    RELATION_BY_LABEL,
    RELATION_CHOICES_TEXT,
    SHEET_TITLE,
    UNPACKED_FACTOR,
    Column,
    ImportRefused,
    ProgressCallback,
)
from registry.models import (
    HouseholdImport,
)

if pyexpat.version_info >= (2, 4, 1):
    # With expat 2.4.1 or later the standard library's parser is not open to entity expansion
    # (docs.python.org/3/library/xml.html#xml-vulnerabilities), and it is several times faster
    # than defusedxml's pure-Python one on a sheet of 100,000 rows.
    from xml.etree.ElementTree import iterparse  # noqa: S405
else:
    from openpyxl.xml.functions import iterparse  # defusedxml's, when it is installed


# --- Reading ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Row:
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
class Sheet:
    rows: list[Row]
    columns: frozenset[str]  # keys of the columns the file has; absent ones are left unchanged
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error(self, target: Row, column: str, code: str, value: str = "", **params: Any) -> None:
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


def group_keys(name: str) -> list[str]:
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
    if data.startswith(OLE_MAGIC):
        if any(stream in data for stream in ENCRYPTION_STREAMS):
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
    if sum(info.file_size for info in infos) > UNPACKED_FACTOR * max_bytes:
        raise ImportRefused("too_large", max=max_bytes // (1024 * 1024))


def upload_read(job: HouseholdImport) -> bytes:
    max_bytes = settings.REGISTER_IMPORT_MAX_BYTES
    if job.file.size > max_bytes:
        raise ImportRefused("too_large", max=max_bytes // (1024 * 1024))
    with job.file.open("rb") as handle:
        return handle.read()


def sheet_read(data: bytes, on_progress: ProgressCallback) -> Sheet:
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
) -> Sheet:
    header_line, index = find_header(lines, COLUMNS)
    sheet = Sheet(rows=[], columns=frozenset(index))
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
        if line >= HEADER_SEARCH_ROWS:
            break
    if not best and not seen_any:
        raise ImportRefused("no_rows")
    missing = [column.header for column in columns if column.is_required and column.key not in best]
    raise ImportRefused("missing_columns", columns="、".join(missing))


def _parse_row(
    sheet: Sheet, line: int, values: dict[int, Any], index: dict[str, int], today: datetime.date
) -> None:
    def cell(key: str) -> Any:
        column = index.get(key)
        return values.get(column) if column is not None else None

    row = Row(
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
    row.relation = RELATION_BY_LABEL.get(relation_text)
    if row.relation is None:
        sheet.error(
            row, "relation", "unknown_relation", relation_text, choices=RELATION_CHOICES_TEXT
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
