"""Reading a person's inbox."""

from django.db.models import QuerySet

from outbox.models import Message
from registry.models import User

INBOX_PAGE = 50


def inbox_unread_count(*, user: User) -> int:
    """The bell's number: one COUNT answered from the ``message_unread`` partial index."""
    return Message.objects.filter(user=user, is_in_inbox=True, read_at__isnull=True).count()


def inbox_list(*, user: User) -> QuerySet[Message]:
    """The user's inbox, newest first (paginate it)."""
    return Message.objects.filter(user=user, is_in_inbox=True).order_by("-created_at", "-id")
