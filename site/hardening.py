"""Bad input is never a 500: one gate for every request and the helpers views parse with.

``BadInputMiddleware`` refuses a request whose path, query string, form fields (names and
values), uploaded file names or JSON body carry a NUL or another control character (tab, line
feed and carriage return excepted): PostgreSQL cannot store NUL in text, and no form of ours
needs the others. The refusal is a 400 in plain Chinese; under ``/api/`` it is JSON in the
API's ``{"code", "message"}`` shape.

It also removes, before any view (ours or a library's) reads them, ``next`` parameters that
leave the site and ids that are not numbers (``NEXT_PARAMETERS``, ``ID_PARAMETERS``), and runs
a guard before the few Wagtail views that use a request value unchecked (``GUARDS``).

Views parse what they read from a request with ``registry.params`` (``id_param``, ``int_param``,
``month_param``, ``month_from_parts``, ``date_param``, ``safe_next``). Each raises ``BadInput``
(a ``BadRequest``) on a malformed or out-of-range value; the middleware renders it the same way.
"""

from __future__ import annotations

import logging
import re

from django.core.exceptions import (
    BadRequest,
    ObjectDoesNotExist,
    SuspiciousOperation,
    ValidationError,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from registry.params import BadInput, stays_on_site, validate_form_date

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
    return value == "" or (value.startswith("/") and stays_on_site(request, value))


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


# --- Start-up -----------------------------------------------------------------------------------


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


def _redirect_import_has_its_form(request: HttpRequest, **_kwargs) -> None:
    """Wagtail's redirect import reads its signed management fields in ``clean()`` without
    checking that they were sent (a KeyError)."""
    if request.method == "POST" and not all(
        request.POST.get(field) for field in ("import_file_name", "input_format")
    ):
        raise BadInput(_("Upload the file to import again."))


def _page_has_a_parent(request: HttpRequest, page_to_move_id: int, **_kwargs) -> None:
    """Wagtail's page reordering asks the page's parent for permissions; the root has none."""
    from wagtail.models import Page

    if not Page.objects.filter(pk=page_to_move_id, depth__gt=1).exists():
        raise Http404


GUARDS = {
    "wagtailadmin_pages:set_page_position": _page_has_a_parent,
    "wagtailredirects:process_import": _redirect_import_has_its_form,
    "wagtailadmin_pages:revisions_revert": _page_revision_exists,
    "wagtailadmin_pages:revisions_view": _page_revision_exists,
    "wagtailadmin_choose_page_external_link": _external_link_has_url,
    "wagtailimages_chooser:choose": _image_search_without_tag,
    "wagtailimages_chooser:choose_results": _image_search_without_tag,
}
