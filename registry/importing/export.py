"""The empty template and the export of a village's register, in the import format."""

import io
import logging
from typing import Any

from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from registry.exceptions import RegisterError
from registry.importing.format import (
    COLUMN_BY_KEY,
    COLUMNS,
    EXPORT_KIND,
    RELATION_CHOICES_TEXT,
    RELATION_EXPORT_LABEL,
    RELATION_LABELS,
    SHEET_TITLE,
    is_register_manager,
)
from registry.models import (
    Area,
    ExportRecord,
    Household,
    Member,
    User,
)
from registry.permissions import Kind
from registry.scoping import visible_to

logger = logging.getLogger(__name__)

Relation = Member.Relation

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
        _("Relation to the head: one of %(choices)s.") % {"choices": RELATION_CHOICES_TEXT},
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
    if not is_register_manager(user, village):
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
                _text_cell(sheet, RELATION_EXPORT_LABEL.get(relation, relation)),
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
