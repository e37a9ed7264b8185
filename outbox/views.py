from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from outbox.selectors import INBOX_PAGE, inbox_list
from outbox.services import inbox_mark_read, message_text, message_title


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
