from functools import cache

from outbox.selectors import inbox_unread_count


def inbox(request) -> dict:
    """``inbox_unread``: the bell's count, asked only when a template shows it, at most once a
    request, and only for a signed-in person (one indexed COUNT)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    @cache
    def unread() -> int:
        return inbox_unread_count(user=user)

    return {"inbox_unread": unread}
