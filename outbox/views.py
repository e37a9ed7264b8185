from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from outbox.catalogue import TOPICS
from outbox.selectors import INBOX_PAGE, inbox_list
from outbox.services import (
    PREFERENCE_CHANNELS,
    inbox_mark_read,
    message_text,
    message_title,
    preferences_get,
    preferences_save,
)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(inbox_list(user=request.user), INBOX_PAGE).get_page(request.GET.get("page"))
    entries = [
        {
            "id": message.pk,
            "title": message_title(message=message),
            "text": message_text(message=message),
            "created_at": message.created_at,
            "is_read": message.read_at is not None,
        }
        for message in page.object_list
    ]
    return render(request, "outbox/inbox.html", {"page": page, "entries": entries})


@login_required
@require_POST
def inbox_read(request: HttpRequest) -> HttpResponse:
    """Mark one message (``message``) or, without it, every message read."""
    raw = request.POST.get("message", "")
    message_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 18 else None
    if raw and message_id is None:
        return HttpResponseRedirect(reverse("outbox:inbox"))
    inbox_mark_read(user=request.user, message_id=message_id)
    return HttpResponseRedirect(reverse("outbox:inbox"))


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Which topics reach the person by which channel (checkboxes named ``<topic>:<channel>``;
    anything else posted is ignored)."""
    if request.method == "POST":
        allowed = {f"{topic}:{channel}" for topic in TOPICS for channel in PREFERENCE_CHANNELS}
        wanted = {
            tuple(name.split(":", 1)) for name in request.POST.getlist("wanted") if name in allowed
        }
        preferences_save(user=request.user, wanted=wanted)
        messages.success(request, _("Your choices were saved."))
        return HttpResponseRedirect(reverse("outbox:preferences"))
    chosen = preferences_get(user=request.user)
    rows = [
        {
            "label": label,
            "choices": [
                {"name": f"{topic}:{channel}", "channel": channel, "wanted": chosen[topic, channel]}
                for channel in PREFERENCE_CHANNELS
            ],
        }
        for topic, label in TOPICS.items()
    ]
    return render(request, "outbox/preferences.html", {"rows": rows})
