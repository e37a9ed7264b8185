"""Work desk: a notice to every household of an area, after a preview of how many it reaches."""

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from outbox.exceptions import NoticeError
from outbox.forms import NoticeForm
from outbox.services import area_notice_send, notice_areas, notice_reach

_KEY_CHARS = set("0123456789abcdef")


def notice_new(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST "preview": the reach and a confirmation. POST "send": sends once."""
    areas = notice_areas(actor=request.user)
    if not areas.exists():
        raise PermissionDenied
    form = NoticeForm(request.POST or None, areas=areas)
    context = {"form": form, "page_title": _("Notice to households")}
    if request.method == "POST" and form.is_valid():
        area, text = form.cleaned_data["area"], form.cleaned_data["text"]
        key = request.POST.get("key", "")
        if len(key) != 32 or not set(key) <= _KEY_CHARS:
            key = uuid.uuid4().hex
        if request.POST.get("action") == "send":
            raw = request.POST.get("confirm_households", "")
            confirmed = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
            try:
                written = area_notice_send(
                    actor=request.user,
                    area=area,
                    text=text,
                    key=key,
                    confirmed_households=confirmed,
                )
            except NoticeError as refused:
                messages.error(request, refused.message)
            else:
                messages.success(
                    request, _("The notice was sent to %(count)s people.") % {"count": written}
                )
                return redirect("outbox_notices:new")
        context.update({"reach": notice_reach(area=area), "area": area, "key": key})
    return TemplateResponse(request, "outbox/admin/notice.html", context)
