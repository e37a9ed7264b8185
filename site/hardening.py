"""Bad input is never a 500: one gate for every request and the helpers views parse with.

``BadInputMiddleware`` refuses a request whose path, query string, form fields (names and
values), uploaded file names or JSON body carry a NUL or another control character (tab, line
feed and carriage return excepted): PostgreSQL cannot store NUL in text, and no form of ours
needs the others. The refusal is a 400 in plain Chinese; under ``/api/`` it is JSON in the
API's ``{"code", "message"}`` shape.

It also removes, before any view (ours or a library's) reads them, ``next`` parameters that
leave the site and ids that are not numbers (``NEXT_PARAMETERS``, ``ID_PARAMETERS``), and runs
a guard before the few Wagtail views that use a request value unchecked (``GUARDS``).

Views parse what they read from a request with the helpers below (``id_param``, ``int_param``,
``month_param``, ``month_from_parts``, ``date_param``, ``safe_next``). Each raises ``BadInput``
(a ``BadRequest``) on a malformed or out-of-range value; the middleware renders it the same way.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    ObjectDoesNotExist,
    SuspiciousOperation,
    ValidationError,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import resolve_url
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# C0 controls but tab, LF and CR, and DEL. NUL is the one PostgreSQL refuses outright.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A JSON body spells them as \u0000 … \u001f (or raw bytes, which json.loads refuses anyway).
JSON_CONTROL = re.compile(rb"\\u00(?:0[0-8bBcCeEfF]|1[0-9a-fA-F])|\\u007[fF]")

# Parameters that name where to go next: one that leaves the site (or is not a path at all,
# which Django's redirect() would try as a URL name) is removed before any view, ours or a
# library's, reads it; the view then goes to its default.
NEXT_PARAMETERS = ("next", "redirect_to", "return_url")
# Parameters that are ids wherever they appear (Wagtail's choosers reverse URLs with them).
ID_PARAMETERS = ("parent_page_id",)

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


def bad_input_response(request: HttpRequest, error: BadInput) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"code": error.code, "message": error.message}, status=400)
    return TemplateResponse(
        request, "meijia/bad_input.html", {"message": error.message}, status=400
    ).render()


def _has_control(text: str) -> bool:
    return CONTROL.search(text) is not None


def _form_has_control(data) -> bool:
    return any(
        _has_control(key) or any(_has_control(value) for value in data.getlist(key)) for key in data
    )


def request_has_control_characters(request: HttpRequest) -> bool:
    """Whether any text a view could read from ``request`` carries a control character."""
    if _has_control(request.path) or _form_has_control(request.GET):
        return True
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    content_type = request.content_type or ""
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if _form_has_control(request.POST):
            return True
        return any(
            _has_control(key) or _has_control(upload.name or "")
            for key in request.FILES
            for upload in request.FILES.getlist(key)
        )
    if content_type == "application/json" or content_type.endswith("+json"):
        return JSON_CONTROL.search(request.body) is not None
    return False


def _without_unsafe_values(request: HttpRequest, data):
    """``data`` (a QueryDict) without next parameters leaving the site and malformed ids."""
    unsafe = [
        name
        for name in NEXT_PARAMETERS
        if any(not _is_safe_path(request, value) for value in data.getlist(name))
    ] + [
        name
        for name in ID_PARAMETERS
        if any(not re.fullmatch(r"\d{1,18}", value) for value in data.getlist(name))
    ]
    if not unsafe:
        return data
    data = data.copy()
    for name in unsafe:
        del data[name]
    data._mutable = False
    return data


def _is_safe_path(request: HttpRequest, value: str) -> bool:
    return value == "" or (value.startswith("/") and _stays_on_site(request, value))


class BadInputMiddleware:
    """Refuses control characters before any view runs, removes next parameters that leave the
    site and malformed ids (see above), guards the few library views that trust a request value
    (``GUARDS``), and renders ``BadInput`` raised by a view as a 400 in Chinese."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            refused = request_has_control_characters(request)
        except (BadRequest, SuspiciousOperation, MultiPartParserError):
            # Too many fields, a body over the limit, a broken multipart body.
            refused = True
        if refused:
            return bad_input_response(
                request, BadInput(_("The request contains characters that cannot be used."))
            )
        request.GET = _without_unsafe_values(request, request.GET)
        if request.method == "POST" and request.POST:
            request.POST = _without_unsafe_values(request, request.POST)
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        guard = GUARDS.get(match.view_name) if match else None
        if guard is not None:
            try:
                guard(request, **view_kwargs)
            except BadInput as error:
                return bad_input_response(request, error)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, BadInput):
            return bad_input_response(request, exception)
        if _is_lookup_conversion_error(exception):
            # A view (ours or a library's) passed a request value straight to a query and the
            # model field could not convert it ("abc" for an id): the input is bad, not the code.
            logger.warning("Bad lookup value refused on %s", request.path)
            return bad_input_response(request, BadInput())
        if isinstance(exception, ObjectDoesNotExist):
            # A lookup by a request value found nothing and nobody turned it into a 404
            # (allauth's provider app when WeChat is not configured, for example).
            logger.warning("Unhandled DoesNotExist on %s", request.path)
            raise Http404 from exception
        return None


def _is_lookup_conversion_error(exception: Exception) -> bool:
    """A ValueError, TypeError or ValidationError raised while a model field converted a lookup
    value (``get_prep_value``/``to_python`` in ``django.db.models.fields``), before any SQL."""
    if not isinstance(exception, (ValueError, TypeError, ValidationError)):
        return False
    frame = exception.__traceback__
    innermost = None
    while frame is not None:
        innermost = frame
        frame = frame.tb_next
    if innermost is None:
        return False
    code = innermost.tb_frame.f_code
    return code.co_name in ("get_prep_value", "to_python") and (
        "django/db/models/fields" in code.co_filename.replace("\\", "/")
    )


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


def apply_form_limits() -> None:
    """Give the date fields of every Wagtail admin model form (pages, snippets, the work desk's
    viewsets) ``validate_form_date``, keeping Wagtail's widgets. Called once at start-up."""
    from django.db import models
    from wagtail.admin import widgets
    from wagtail.admin.forms.models import register_form_field_override

    register_form_field_override(
        models.DateField,
        override={"widget": widgets.AdminDateInput, "validators": [validate_form_date]},
    )
    register_form_field_override(
        models.DateTimeField,
        override={"widget": widgets.AdminDateTimeInput, "validators": [validate_form_date]},
    )


def safe_next(request: HttpRequest, target: str | None, default: str) -> str:
    """``target`` (a ``next`` parameter) when it stays on this site, else ``default`` (a URL or
    a URL name). Scheme-relative (``//host``), other hosts and ``javascript:`` are refused; in
    production only https."""
    if target and _stays_on_site(request, target):
        return target
    return resolve_url(default)


def _stays_on_site(request: HttpRequest, target: str) -> bool:
    return url_has_allowed_host_and_scheme(
        target,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure() or getattr(settings, "PRODUCTION", False),
    )


# --- Guards for library views that trust a request value (Wagtail 8) ----------------------------
# Each checks the value the view would use unchecked; drop one once Wagtail checks it itself.


def _page_revision_exists(request: HttpRequest, page_id: int, revision_id: int, **_kwargs) -> None:
    """Wagtail's revert and preview of a page revision call .as_object() on a missing one."""
    from wagtail.models import Revision

    if not Revision.page_revisions.filter(pk=revision_id, object_id=str(page_id)).exists():
        raise Http404


def _external_link_has_url(request: HttpRequest, **_kwargs) -> None:
    """Wagtail's external-link chooser calls .startswith() on a missing url field."""
    if request.method == "POST" and request.POST.get("external-link-chooser-url") is None:
        raise BadInput(_("Enter the link's address."))


def _image_search_without_tag(request: HttpRequest, **_kwargs) -> None:
    """Wagtail's image chooser cannot search within a tag on the database search backend."""
    if request.GET.get("q") and request.GET.get("tag"):
        raise BadInput(_("Search all pictures, or choose a tag without searching."))


GUARDS = {
    "wagtailadmin_pages:revisions_revert": _page_revision_exists,
    "wagtailadmin_pages:revisions_view": _page_revision_exists,
    "wagtailadmin_choose_page_external_link": _external_link_has_url,
    "wagtailimages_chooser:choose": _image_search_without_tag,
    "wagtailimages_chooser:choose_results": _image_search_without_tag,
}
