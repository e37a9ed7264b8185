"""Phone numbers, ID-card numbers and names: normalising, checking and masking.

Personal numbers are shown masked everywhere (PIPL); code that needs the full value reads the
model field, and nothing here logs.
"""

import re
import unicodedata

_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


class InvalidNumber(ValueError):
    """Raised with a reason code: ``bad_phone`` or ``bad_id_number``."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def normalize_text(value: object) -> str:
    """NFKC-fold a cell or form value: full-width digits and letters become ASCII, spaces trimmed."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return text.replace("\u3000", " ").strip()


def normalize_phone(value: object) -> str:
    """Return an 11-digit mainland mobile number, or raise InvalidNumber('bad_phone').

    Accepts full-width digits, spaces, hyphens and a +86 / 0086 prefix.
    """
    text = re.sub(r"[\s\-()]", "", normalize_text(value))
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    if not _PHONE_RE.match(text):
        raise InvalidNumber("bad_phone")
    return text


def is_valid_id_number(value: str) -> bool:
    if not _ID_RE.match(value):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17]


def normalize_id_number(value: object) -> str:
    """Return an 18-character resident ID number with a valid check digit, or raise."""
    text = re.sub(r"\s", "", normalize_text(value)).upper()
    if not is_valid_id_number(text):
        raise InvalidNumber("bad_id_number")
    return text


def id_number_check_digit(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def mask_id_number(id_number: str | None) -> str:
    if not id_number:
        return ""
    return f"{id_number[:3]}{'*' * (len(id_number) - 7)}{id_number[-4:]}"


def mask_name(name: str | None) -> str:
    """张三 → 张*, 张小明 → 张*明, 欧阳小明 → 欧**明."""
    if not name:
        return ""
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
