"""The page cache for anonymous readers.

Whole campaign pages are kept in Django's "pages" cache (Redis in production; skipped, every
page rendered, while Redis cannot be reached: meijia/cache.py) for readers who are not signed in (no session cookie, no pending messages): a hit costs two cache reads and no database
query. Pages say they may be cached (``CampaignBasePage.get_context``); their CSRF tokens are
rendered as a placeholder which each reader's own token replaces on the way out. Publishing,
unpublishing, moving or deleting any page, and any class sign-up, empties the cache by moving to
a new generation (old keys are never read again and expire by themselves).
"""

import hashlib

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

CSRF_PLACEHOLDER = "mj-csrf-0b9c7e1f4d"
_PLACEHOLDER = CSRF_PLACEHOLDER.encode()
GENERATION_KEY = "campaigns:page-cache:generation"
ALLOWED_PARAMETERS = {"period"}
SKIPPED_PREFIXES = ("/admin/", "/accounts/", "/api/", "/static/", "/media/", "/documents/")
CACHE_ALIAS = "pages"


def page_cache_clear() -> None:
    """Forget every cached page (at once, for every web process sharing the cache)."""
    cache = caches[CACHE_ALIAS]
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 2, None)


def _generation() -> int:
    cache = caches[CACHE_ALIAS]
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, 1, None)
        generation = cache.get(GENERATION_KEY) or 1
    return generation


def is_cacheable_request(request: HttpRequest) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and set(request.GET) <= ALLOWED_PARAMETERS
        and not request.path.startswith(SKIPPED_PREFIXES)
    )


def page_cache_key(request: HttpRequest) -> str:
    where = hashlib.md5(request.get_full_path().encode(), usedforsecurity=False).hexdigest()
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    text = "large" if request.COOKIES.get("mj_text") == "large" else "normal"
    return f"campaigns:page:{_generation()}:{language}:{text}:{where}"


def _with_token(request: HttpRequest, content: bytes) -> bytes:
    if _PLACEHOLDER not in content:
        return content
    return content.replace(_PLACEHOLDER, get_token(request).encode())


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_cacheable_request(request):
            return self.get_response(request)
        cache = caches[CACHE_ALIAS]
        key = page_cache_key(request)
        cached = cache.get(key)
        if cached is not None:
            content, content_type = cached
            response = HttpResponse(_with_token(request, content), content_type=content_type)
            response["X-Page-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if getattr(request, "meijia_page_cacheable", False) and not response.streaming:
            if response.status_code == 200 and not response.cookies:
                cache.set(
                    key,
                    (response.content, response["Content-Type"]),
                    settings.CAMPAIGN_PAGE_CACHE_SECONDS,
                )
                response["X-Page-Cache"] = "miss"
            response.content = _with_token(request, response.content)
        return response
