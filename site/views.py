from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import get_language, gettext
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST
from wagtail.models import Site
from wagtail.views import serve as wagtail_serve

from campaigns.models import DistrictHomePage
from campaigns.models.pages import work_start
from points.selectors.ledger import (
    household_history_list,
    household_pending_points,
    household_points_get,
)
from points.selectors.rules import appraisal_levels_for, rules_for_area
from points.selectors.scoring import postings_with_evidence
from points.services.expiry import household_expiry_get
from registry.params import safe_next
from registry.selectors import household_get, household_list_for_villager
from shops.selectors import redemption_lines_by_transaction
from upkeep.selectors import household_upkeep_get

TEXT_COOKIE_AGE = 60 * 60 * 24 * 365 * 2


def home(request: HttpRequest) -> HttpResponse:
    """The district's campaign home page (a Wagtail page, see campaigns) when the site has one;
    otherwise the villager's household or the staff's work desk."""
    site = Site.find_for_request(request)
    if site is not None and site.root_page.specific_class is DistrictHomePage:
        return wagtail_serve(request, "")
    households = []
    is_staff_member = False
    if request.user.is_authenticated:
        households = list(household_list_for_villager(user=request.user))
        is_staff_member = request.user.has_perm("wagtailadmin.access_admin")
        if len(households) == 1 and not is_staff_member:
            return redirect("household", pk=households[0].pk)
        start = work_start(request.user, households=households)
        if start is not None:
            return redirect(start)
    return render(
        request,
        "meijia/home.html",
        {"households": households, "is_staff_member": is_staff_member},
    )


def _with_shop_items(postings) -> list:
    """Attach the goods of redemptions and voids to their postings (one query for the page)."""
    postings = list(postings)
    lines = redemption_lines_by_transaction(
        transaction_ids=[
            posting.transaction_id
            for posting in postings
            if posting.transaction.kind in ("redemption", "void")
        ]
    )
    for posting in postings:
        posting.redemption_lines = lines.get(posting.transaction_id, [])
    return postings


RECENT_POSTINGS = 10
HISTORY_PAGE_SIZE = 20


def household(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"/accounts/login/?next={request.path}")
    found = household_get(user=request.user, pk=pk)
    return render(
        request,
        "meijia/household.html",
        {
            "household": found,
            "points": household_points_get(household=found),
            "pending": household_pending_points(household=found),
            "expiry": household_expiry_get(household=found, on=timezone.localdate()),
            "recent": postings_with_evidence(
                _with_shop_items(household_history_list(household=found)[:RECENT_POSTINGS])
            ),
            "upkeep": household_upkeep_get(user=request.user, household=found),
        },
    )


def household_history(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"/accounts/login/?next={request.path}")
    found = household_get(user=request.user, pk=pk)
    paginator = Paginator(household_history_list(household=found), HISTORY_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = postings_with_evidence(_with_shop_items(page.object_list))
    return render(request, "meijia/points_history.html", {"household": found, "page": page})


def household_rules(request: HttpRequest, pk: int) -> HttpResponse:
    """The published earning rules in force where the household lives."""
    if not request.user.is_authenticated:
        return redirect(f"/accounts/login/?next={request.path}")
    found = household_get(user=request.user, pk=pk)
    rules = rules_for_area(area=found.village, on=timezone.localdate())
    own_levels = appraisal_levels_for(village=found.village, with_default=False)
    if own_levels:
        # The village's courtyard appraisal pays by its levels: all of them stand in for the
        # courtyard rules. A village with no appraisal yet shows the published courtyard rules
        # beside the default rubric's levels.
        rules = [v for v in rules if v.rule.category != "courtyard"]
    levels = own_levels or appraisal_levels_for(village=found.village)
    return render(
        request,
        "meijia/rules.html",
        {"household": found, "rules": rules, "levels": levels},
    )


@require_POST
def text_size(request: HttpRequest) -> HttpResponse:
    """Switch large text on or off; a cookie keeps the choice on this phone for two years."""
    response = HttpResponseRedirect(safe_next(request, request.POST.get("next"), "/"))
    size = "large" if request.POST.get("size") == "large" else "normal"
    response.set_cookie(
        "mj_text", size, max_age=TEXT_COOKIE_AGE, samesite="Lax", secure=request.is_secure()
    )
    return response


def preferences(request: HttpRequest) -> HttpResponse:
    """Settings of this phone (text size, language) and, signed in, a way to the message settings.
    The language lives here rather than in every footer, where one stray tap switched the site."""
    return render(
        request,
        "meijia/preferences.html",
        {"next": safe_next(request, request.GET.get("next"), "/")},
    )


@cache_control(max_age=86400, public=True)
def web_manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: the site can be added to a phone's home screen with its icon."""
    icons = [
        {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        {
            "src": static("icons/icon-maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ]
    manifest = {
        "name": gettext("Meijia: beauty in the family"),
        "short_name": gettext("Meijia"),
        "lang": get_language() or "zh-hans",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f6f4f1",
        "theme_color": "#c8102e",
        "icons": icons,
    }
    return JsonResponse(
        manifest,
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says: send them to the icon for good."""
    return HttpResponsePermanentRedirect(static("icons/favicon.ico"))


def sign_in_elsewhere(request: HttpRequest) -> HttpResponse:
    """Wagtail's and Django's login URLs (any method): the one sign-in is allauth's, with its rate
    limits and second factor (meijia/accounts.py). No password is read here."""
    url = reverse("account_login")
    next_url = request.GET.get("next") or request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        url += "?" + urlencode({"next": next_url})
    return HttpResponseRedirect(url)
