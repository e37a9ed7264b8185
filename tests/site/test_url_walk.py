"""Every URL pattern of the project, as every demo role, with hostile values: never a 500.

The whole urlconf is resolved (our apps, allauth, Wagtail's admin and the API included) and each
pattern is filled in: its path converters (and regex groups) with NUL bytes, 10 kB strings, huge,
zero and foreign ids, impossible years; its query string and its POST body (form or JSON) with
the same. Each role signs in as the demo does (the district administrator with TOTP, verified in
the session). The test client records a server error instead of raising it, so one run lists
every failing URL at once.

Parameters are sampled, not crossed: each (pattern, role) pair gets one request whose method
and values rotate, so every pattern meets every kind of value over the nine roles while the
walk stays within a few minutes on two cores.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import random
import re
import time
from dataclasses import dataclass

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

from registry.models import Household, User

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.postgres]

ROLES = [
    None,  # anonymous
    "villager",
    "committee",
    "town",
    "district",
    "editor",
    "inspector",
    "shop",
    "admin",
]

NUL = "\x00"
LONG = "长" * 10_000
HUGE = "9" * 20
BIGINT_OVER = str(2**63)

# Wagtail's admin page that raises on purpose, to test error reporting.
DELIBERATE_ERRORS = {"wagtailadmin_error_test"}

# Path converters: what each may be filled with (a foreign id is added per run).
INT_VALUES = ["0", HUGE, BIGINT_OVER, "2147483648", "99999999"]
STR_VALUES = [NUL, LONG, "a" * 300, "..", "%00", "' OR 1=1 --", '"><img src=x onerror=alert(1)>']
SLUG_VALUES = ["a" * 10_000, "-", "x" * 64]
UUID_VALUES = ["00000000-0000-0000-0000-000000000000"]
YEAR_VALUES = ["9999", HUGE, "0", "10000", "1"]
MONTH_VALUES = ["13", "0", HUGE, "99"]

# Names our views, allauth and Wagtail read from a query string or a form.
PARAMETERS = [
    "q",
    "page",
    "p",
    "next",
    "month",
    "year",
    "period",
    "format",
    "digits",
    "code",
    "key",
    "note",
    "grade",
    "household",
    "village",
    "group",
    "target",
    "target_id",
    "decision",
    "resolution",
    "reason",
    "period_start",
    "period_end",
    "criteria",
    "levels",
    "title",
    "number",
    "person",
    "citation",
    "size",
    "qty_1",
    "id",
    "ids",
    "parent_page_id",
    "ordering",
    "order",
    "status",
    "login",
    "phone",
    "password",
    "username",
    "language",
    "slug",
    "collection_id",
    "tag",
    "fields",
    "limit",
    "offset",
    "date_from",
    "date_to",
    "action",
    "redirect_to",
    "return_url",
    "c1",
    "c2",
    "quantity",
    "item",
]


def _variants(foreign_id: str) -> list[dict[str, str]]:
    """Value sets for query strings and forms: each request takes one, in rotation."""
    return [
        dict.fromkeys(PARAMETERS, NUL),
        dict.fromkeys(PARAMETERS, LONG),
        dict.fromkeys(PARAMETERS, HUGE),
        dict.fromkeys(PARAMETERS, "-1"),
        dict.fromkeys(PARAMETERS, "abc"),
        dict.fromkeys(PARAMETERS, foreign_id),
        {
            **dict.fromkeys(PARAMETERS, f"x{NUL}y"),
            "next": "//evil.example/x",
        },
        {
            **dict.fromkeys(PARAMETERS, "9999-12"),
            "period": "9999-12-31",
            "period_start": "99999-01-01",
            "period_end": "0001-01-01",
            "next": "https://evil.example/",
            "redirect_to": "//evil.example/",
        },
        dict.fromkeys(PARAMETERS, "1e309"),
        dict.fromkeys(PARAMETERS, "[]"),
    ]


def _json_body(variant: dict[str, str]) -> str:
    value = variant["q"]
    return json.dumps(
        {
            "code": value,
            "idempotency_key": value + "\n",
            "basket": [
                {"item_id": value, "quantity": "62"},
                {"item_id": 10**30, "quantity": True},
                {"item_id": -1, "quantity": 62.5},
            ],
            "reason": value,
            "page": value,
        }
    )


# --- Filling the patterns ------------------------------------------------------------------------


@dataclass
class Route:
    parts: list  # text, or (kind, name) for a placeholder
    name: str

    def fill(self, rng: random.Random, foreign_ids: list[str]) -> str:
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            kind, name = part
            out.append(_value_for(kind, name, rng, foreign_ids))
        return "/" + "".join(out)


def _value_for(kind: str, name: str, rng: random.Random, foreign_ids: list[str]) -> str:
    if name == "year":
        return rng.choice(YEAR_VALUES)
    if name == "month":
        return rng.choice(MONTH_VALUES)
    if kind == "int":
        return rng.choice([*INT_VALUES, *foreign_ids, *foreign_ids])
    if kind == "slug":
        return rng.choice(SLUG_VALUES)
    if kind == "uuid":
        return rng.choice(UUID_VALUES)
    if kind == "regex":
        return name  # already generated
    return rng.choice(STR_VALUES + foreign_ids)


_CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")


def _route_parts(route: str) -> list:
    parts: list = []
    position = 0
    for match in _CONVERTER.finditer(route):
        parts.append(route[position : match.start()])
        parts.append((match["kind"] or "str", match["name"]))
        position = match.end()
    parts.append(route[position:])
    return parts


def _regex_sample(pattern: str, rng: random.Random) -> str:
    """A string matching ``pattern`` (a URL regex), with hostile text where it allows any."""
    import re._parser as sre  # the standard library's own regex parser

    constants = re._constants

    def emit(items) -> str:
        text = []
        for op, arg in items:
            if op is constants.LITERAL:
                text.append(chr(arg))
            elif op is constants.NOT_LITERAL:
                text.append("a" if chr(arg) != "a" else "b")
            elif op is constants.ANY:
                text.append(rng.choice(["a", NUL, LONG[:50]]))
            elif op is constants.IN:
                text.append(_in_char(arg))
            elif op in (constants.MAX_REPEAT, constants.MIN_REPEAT):
                low, high, body = arg
                count = max(low, 1) if high else 0
                count = min(count if high != constants.MAXREPEAT else max(low, 1), 3)
                text.append("".join(emit(body) for _ in range(count)))
            elif op is constants.SUBPATTERN:
                text.append(emit(arg[-1]))
            elif op is constants.BRANCH:
                text.append(emit(rng.choice(arg[1])))
            elif op is constants.AT:
                continue
            elif op is constants.CATEGORY:
                text.append(_category_char(arg))
            else:
                text.append("1")
        return "".join(text)

    def _in_char(items) -> str:
        for op, arg in items:
            if op is constants.LITERAL:
                return chr(arg)
            if op is constants.RANGE:
                return chr(arg[0] if arg[0] > 47 else 49)
            if op is constants.CATEGORY:
                return _category_char(arg)
        return "a"

    def _category_char(category) -> str:
        name = str(category)
        if "DIGIT" in name and "NOT" not in name:
            return "7"
        if "SPACE" in name and "NOT" not in name:
            return " "
        return "a"

    return emit(sre.parse(pattern))


def _routes(rng: random.Random) -> list[Route]:
    routes: list[Route] = []

    def walk(patterns, prefix: list) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, [*prefix, *_pattern_parts(entry.pattern)])
            elif isinstance(entry, URLPattern):
                parts = [*prefix, *_pattern_parts(entry.pattern)]
                routes.append(Route(parts=parts, name=entry.name or str(entry.pattern)))

    def _pattern_parts(pattern) -> list:
        if isinstance(pattern, RoutePattern):
            return _route_parts(str(pattern))
        if isinstance(pattern, RegexPattern):
            regex = pattern.regex.pattern.lstrip("^").rstrip("$").replace("\\Z", "")
            return [("regex", _regex_sample(regex, rng))]
        return [str(pattern)]

    walk(get_resolver().url_patterns, [])
    return routes


# --- The walk ------------------------------------------------------------------------------------


def _sign_in(client: Client, username: str | None) -> bool:
    """Sign ``username`` in again; False when the walk itself deleted that account (the
    superuser's requests reach the work desk's user pages with the demo's ids)."""
    client.logout()
    if username is None:
        return True
    user = User.objects.filter(username=username).first()
    if user is None:
        return False
    client.force_login(user)
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "username": username},
        *(
            [{"method": "mfa", "at": time.time(), "id": 0, "type": "totp"}]
            if username == "district"
            else []
        ),
    ]
    session.save()
    return True


@pytest.fixture
def demo(settings, media_root):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", households=120, quiet=True, stdout=io.StringIO())
    district = User.objects.get(username="district")
    TOTP.activate(district, generate_totp_secret())
    # Ids a role may not see: households of another village, and the first rows of each table.
    own_village = Household.objects.get(role_assignments__user__username="villager").village_id
    foreign = Household.objects.exclude(village_id=own_village).order_by("pk").first()
    return [str(foreign.pk), "1", "2"]


def test_no_url_answers_500_to_hostile_values(demo):
    rng = random.Random(20261203)
    routes = _routes(rng)
    # The walk reaches the regex routes (Wagtail's page serving, allauth's keys) as well as the
    # path converters, and fills every placeholder.
    assert len(routes) > 300
    assert not [route for route in routes if _CONVERTER.search(route.fill(rng, ["1"]))]
    variants = _variants(demo[0])
    rotation = itertools.count()
    failures: list[str] = []
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    clients = {}
    for role in ROLES:
        clients[role] = Client(raise_request_exception=False)
        _sign_in(clients[role], role)
    requests = 0
    by_role: dict[str | None, int] = dict.fromkeys(ROLES, 0)
    for route in routes:
        if route.name in DELIBERATE_ERRORS:
            continue
        for role in ROLES:
            client = clients[role]
            if role and "_auth_user_id" not in client.session and not _sign_in(client, role):
                continue  # the account was deleted by an earlier request of the walk
            by_role[role] += 1
            turn = next(rotation)
            variant = variants[turn % len(variants)]
            url = route.fill(rng, demo)
            method = ("get", "post", "post_json")[turn % 3]
            if method == "get":
                response = client.get(url, variant)
            elif method == "post":
                response = client.post(url, variant)
            else:
                response = client.post(url, _json_body(variant), content_type="application/json")
            requests += 1
            if response.status_code >= 500:
                error = getattr(response, "exc_info", None)
                reason = repr(error[1])[:160] if error else response.status_code
                failures.append(
                    f"{method.upper()} {url[:120]!r} as {role or 'anonymous'} "
                    f"[{route.name}] values={list(variant.values())[0][:12]!r}: {reason}"
                )
    assert requests > 1000
    # Every role walked most of the URLs, even if the walk deleted its account late.
    assert min(by_role.values()) > len(routes) // 2, by_role
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures)
