"""Parsing what a request carries: ids, numbers, dates, months and where to go next.

Views read request values through these helpers, never with a bare ``int()`` or ``date()``: each
raises ``BadInput`` (a ``BadRequest``) with a message for people on a malformed or out-of-range
value, which ``meijia.hardening.BadInputMiddleware`` renders as a 400 in plain Chinese (JSON under
``/api/``). Django only, so every app may use them.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import BadRequest, ValidationError
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

# Ids are PostgreSQL bigints; anything outside is no row of ours.
ID_MAX = 2**63 - 1
# A date or month from a request is a campaign's, a statement's or a board's: this century.
YEAR_MIN = 2000
YEAR_MAX = 2099
# Any date typed into a form (birth dates included): 9999-12-31 plus a day or a time zone is
# an OverflowError in whatever computes with it.
FORM_DATE_MIN = datetime.date(1880, 1, 1)
FORM_DATE_MAX = datetime.date(YEAR_MAX, 12, 31)


class BadInput(BadRequest):
    """A parameter that cannot be what the view asks for; ``message`` is shown to the person."""

    def __init__(self, message: str | None = None, *, code: str = "bad_input"):
        self.message = message or _("The request contains a value that cannot be used.")
        self.code = code
        super().__init__(self.message)


# --- Helpers for views --------------------------------------------------------------------------


def int_param(
    data: Mapping,
    name: str,
    *,
    default: int | None = None,
    min_value: int = -ID_MAX,
    max_value: int = ID_MAX,
) -> int | None:
    """The integer ``data[name]`` (a QueryDict or a dict); ``default`` when missing or empty.
    Raises BadInput when it is not a whole number between ``min_value`` and ``max_value``."""
    raw = data.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise BadInput(_("This must be a whole number."))
    text = str(raw).strip()
    if not re.fullmatch(r"[+-]?\d{1,19}", text):
        raise BadInput(_("This must be a whole number."))
    value = int(text)
    if not min_value <= value <= max_value:
        raise BadInput(
            _("Enter a number between %(low)s and %(high)s.")
            % {"low": min_value, "high": max_value}
        )
    return value


def id_param(data: Mapping, name: str) -> int | None:
    """The id ``data[name]``: None when missing, BadInput when not a positive bigint."""
    return int_param(data, name, min_value=1, max_value=ID_MAX)


def _check_year(year: int) -> None:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise BadInput(
            _("Choose a year between %(low)s and %(high)s.") % {"low": YEAR_MIN, "high": YEAR_MAX}
        )


def month_from_parts(year: int, month: int) -> datetime.date:
    """The first day of ``year``-``month`` (from a URL), within ``YEAR_MIN``–``YEAR_MAX``."""
    _check_year(year)
    if not 1 <= month <= 12:
        raise BadInput(_("Choose a month between 1 and 12."))
    return datetime.date(year, month, 1)


def month_param(text: str | None, *, default: datetime.date | None = None) -> datetime.date | None:
    """The first day of the month written ``YYYY-MM`` (``default`` when empty)."""
    text = (text or "").strip()
    if not text:
        return default
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if match is None:
        raise BadInput(_("Write the month as year-month, for example 2026-03."))
    return month_from_parts(int(match[1]), int(match[2]))


def date_param(text: str | None, *, default: datetime.date | None = None) -> datetime.date | None:
    """The date written ``YYYY-MM-DD`` (``default`` when empty), within the allowed years."""
    text = (text or "").strip()
    if not text:
        return default
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if match is None:
        raise BadInput(_("Write the date as year-month-day, for example 2026-03-01."))
    year, month, day = (int(part) for part in match.groups())
    _check_year(year)
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise BadInput(_("This date does not exist.")) from None


def validate_form_date(value: datetime.date | datetime.datetime | None) -> None:
    """A form field validator: the date (or the date of a datetime) lies between
    ``FORM_DATE_MIN`` and ``FORM_DATE_MAX``. Every work-desk form gets it (``apply_form_limits``)."""
    if value is None:
        return
    day = value.date() if isinstance(value, datetime.datetime) else value
    if not FORM_DATE_MIN <= day <= FORM_DATE_MAX:
        raise ValidationError(
            _("Choose a date between %(low)s and %(high)s."),
            code="date_out_of_range",
            params={"low": FORM_DATE_MIN.isoformat(), "high": FORM_DATE_MAX.isoformat()},
        )


def safe_next(request: HttpRequest, target: str | None, default: str) -> str:
    """``target`` (a ``next`` parameter) when it stays on this site, else ``default`` (a URL or
    a URL name). Scheme-relative (``//host``), other hosts and ``javascript:`` are refused; in
    production only https."""
    if target and stays_on_site(request, target):
        return target
    return resolve_url(default)


def stays_on_site(request: HttpRequest, target: str) -> bool:
    return url_has_allowed_host_and_scheme(
        target,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure() or getattr(settings, "PRODUCTION", False),
    )
