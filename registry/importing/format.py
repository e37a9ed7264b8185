"""The register file's format: its columns, relation labels, limits and messages."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from registry.exceptions import Refusal
from registry.models import (
    Area,
    Household,
    Member,
    User,
)
from registry.permissions import Action, Kind, may

Relation = Member.Relation

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
RELATION_BY_LABEL: dict[str, str] = {
    **{str(relation): str(relation) for relation in RELATION_LABELS},
    **{label: str(relation) for relation, labels in RELATION_LABELS.items() for label in labels},
}
RELATION_EXPORT_LABEL = {relation: labels[0] for relation, labels in RELATION_LABELS.items()}
RELATION_CHOICES_TEXT = "、".join(labels[0] for labels in RELATION_LABELS.values())

# --- Limits -------------------------------------------------------------------------------------

STORED_ERRORS_MAX = 1000  # the job keeps the first ones; error_count is the true count
PROGRESS_EVERY = 500
WRITE_BATCH = 500
QUERY_CHUNK = 500
HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common in village ledgers
# A .xlsx is a zip: refuse one that unpacks to far more than an honest register would.
UNPACKED_FACTOR = 20
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Excel and WPS save a password-protected workbook as an OLE compound file holding these streams.
ENCRYPTION_STREAMS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
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


class ImportRefused(Refusal):
    """The whole file is refused; nothing about its rows is reported and nothing is written."""

    def __init__(self, code: str, **params: Any):
        message = REFUSAL_MESSAGES[code]
        super().__init__(code, str(message % params if params else message))


ProgressCallback = Callable[[str, int, int], None]


def is_register_manager(user: User, village: Area) -> bool:
    """Whether ``user`` manages the register of ``village`` (a village, in their scope)."""
    return village.level == Area.Level.VILLAGE and may(
        user, Kind.REGISTER_FILE, Action.WRITE, village
    )
