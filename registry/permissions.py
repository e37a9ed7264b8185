"""Who may do what: the one table of role × kind of object × action, and the questions asked of it.

Every view, service, API endpoint and Wagtail hook asks here; no other module names a set of
roles. ``docs/permissions.md`` is this table in words (``tests/registry/test_permissions.py``
fails when the two disagree).

Two questions, one style:

- ``may(user, kind, action, where=None)``: may ``user`` do ``action`` to an object of ``kind``?
  ``where`` is the object's area (an ``Area``) or, for objects that carry their scope fields
  (``scope_area_field`` / ``scope_household_field``), the object itself. Without ``where`` the
  answer is whether the user holds a role for it anywhere: who may open that kind's pages at all.
- ``registry.scoping.visible_to(user, queryset, kind=…, action=…)``: the rows of a queryset the
  user may act on; the only queryset filter, it takes its roles from ``roles_for``.

A role over an area covers that area and everything below it; a villager's role covers their own
household only. Superusers may everything except what is bound to a person: only a store's own
shopkeepers work at its counter (``BOUND``), and that check has a plain-SQL twin in
``shops.services.redemptions`` that a test compares with ``may``.

The service rules on top of the table stay in the services: maker-checker (nobody approves what
they recorded), a shopkeeper voids only what they made that day, a villager objects only in their
own village.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Model

from registry.models import Area, RoleAssignment

Role = RoleAssignment.Role


class Kind(StrEnum):
    """The kinds of object a permission is about (the matrix's rows)."""

    AREA = "area"
    HOUSEHOLD = "household"  # a household's register entry, members, balance, history, rules
    HOUSEHOLD_LIST = "household_list"  # the register's list: 户号, masked head, village, status
    REGISTER_FILE = "register_file"  # register import and export (.xlsx with ID numbers)
    HOUSEHOLD_CODE = "household_code"  # the villager's own live QR code
    CARD = "card"  # printed household cards
    RULE = "rule"  # earning rules in the work desk
    EXPIRY_POLICY = "expiry_policy"
    SCORING = "scoring"  # sorting checks, appraisals, points waiting for approval
    COMMENDATION = "commendation"
    OBJECTION = "objection"
    STORE = "store"  # stores, catalogue, stock in the work desk
    COUNTER = "counter"  # a store's counter: preview, redeem, stock, its own statement
    REDEMPTION = "redemption"  # receipts and voids
    SETTLEMENT = "settlement"  # monthly statements across stores
    PAGE = "page"  # campaign site pages
    CLASS_SESSION = "class_session"  # organising a class: check-in at the door
    SIGNUP = "signup"  # a household's seat at a class session
    NOTICE = "notice"  # a message to every household of an area (outbox)
    WORK_ORDER = "work_order"  # work orders (工单): file, assign, check, close, reopen
    RECTIFICATION = "rectification"  # a village's own orders: fix and report done (我的整改)
    INSPECTION = "inspection"  # inspection rounds (督查): plan, walk, score villages
    CHECKLIST = "checklist"  # the district's inspection checklist, weights, service levels
    TALLY = "tally"  # campaign tallies (五清一改): measures, targets, village reports
    TOILET = "toilet"  # the toilet register (改厕台账): household and public toilets, stickers
    TOILET_FILE = "toilet_file"  # toilet register import and export (.xlsx)
    CONTRACTOR_TEAM = "contractor_team"  # contractors' teams, their villages, due lists, statements
    SERVICE_ORDER = "service_order"  # after-care orders (抽渣, 维修): ask, follow, rate, dispatch
    SERVICE_WORK = "service_work"  # a contractor's orders on the phone: accept, on the way, done
    CHECK_ROUND = "check_round"  # province and city toilet check rounds (排查)
    UPKEEP_FIGURES = "upkeep_figures"  # response time, within deadline, satisfaction
    INDICATOR = "indicator"  # assessment: indicators, targets, colour thresholds
    FIGURE = "figure"  # assessment: figures a village enters each year, approved level by level
    ASSESSMENT = "assessment"  # assessment: schemes, scores, rankings, 红黑榜
    DASHBOARD = "dashboard"  # assessment: the area's dashboard, its exports and monthly report


class Action(StrEnum):
    READ = "read"
    WRITE = "write"
    APPROVE = "approve"  # the checker's step: approve points, publish a page, settle a month
    DELETE = "delete"  # nobody but superusers: households, areas, rules, stores change status


# --- Role groups, named once ------------------------------------------------------------------

DISTRICT_ADMINS = frozenset({Role.DISTRICT_ADMIN})
# Town and district administrators: approve, settle, run the stores, review pages.
ADMINISTRATORS = frozenset({Role.DISTRICT_ADMIN, Role.TOWN_ADMIN})
# Who runs a village's daily work: the register, scoring, household cards.
VILLAGE_STAFF = ADMINISTRATORS | {Role.COMMITTEE}
VILLAGERS = frozenset({Role.VILLAGER})
SHOPKEEPERS = frozenset({Role.SHOPKEEPER})
EDITORS = frozenset({Role.EDITOR})
INSPECTORS = frozenset({Role.INSPECTOR})
CONTRACTORS = frozenset({Role.CONTRACTOR})
NOBODY: frozenset[str] = frozenset()

R, W, A = Action.READ, Action.WRITE, Action.APPROVE  # no row gives DELETE

# The matrix. A (kind, action) missing here is allowed to nobody but superusers.
TABLE: dict[tuple[Kind, Action], frozenset[str]] = {
    (Kind.AREA, R): VILLAGE_STAFF | INSPECTORS,
    (Kind.AREA, W): DISTRICT_ADMINS,
    (Kind.HOUSEHOLD, R): VILLAGE_STAFF | VILLAGERS,
    (Kind.HOUSEHOLD, W): VILLAGE_STAFF,
    (Kind.HOUSEHOLD_LIST, R): VILLAGE_STAFF | INSPECTORS,
    (Kind.REGISTER_FILE, R): VILLAGE_STAFF,
    (Kind.REGISTER_FILE, W): VILLAGE_STAFF,
    (Kind.HOUSEHOLD_CODE, R): VILLAGERS,
    (Kind.HOUSEHOLD_CODE, W): VILLAGERS,
    (Kind.CARD, R): VILLAGE_STAFF,
    (Kind.CARD, W): VILLAGE_STAFF,
    (Kind.RULE, R): VILLAGE_STAFF,
    (Kind.RULE, W): ADMINISTRATORS,
    (Kind.EXPIRY_POLICY, R): DISTRICT_ADMINS,
    (Kind.EXPIRY_POLICY, W): DISTRICT_ADMINS,
    (Kind.SCORING, R): VILLAGE_STAFF,
    (Kind.SCORING, W): VILLAGE_STAFF,
    (Kind.SCORING, A): VILLAGE_STAFF,
    (Kind.COMMENDATION, R): VILLAGE_STAFF,
    (Kind.COMMENDATION, W): VILLAGE_STAFF,
    (Kind.COMMENDATION, A): ADMINISTRATORS,
    (Kind.OBJECTION, R): VILLAGE_STAFF,
    (Kind.OBJECTION, W): VILLAGERS,
    (Kind.OBJECTION, A): VILLAGE_STAFF,
    (Kind.STORE, R): ADMINISTRATORS,
    (Kind.STORE, W): ADMINISTRATORS,
    (Kind.COUNTER, R): SHOPKEEPERS,
    (Kind.COUNTER, W): SHOPKEEPERS,
    (Kind.REDEMPTION, R): ADMINISTRATORS | VILLAGERS,
    (Kind.REDEMPTION, W): ADMINISTRATORS,
    (Kind.SETTLEMENT, R): ADMINISTRATORS,
    (Kind.SETTLEMENT, A): ADMINISTRATORS,
    (Kind.PAGE, W): EDITORS | ADMINISTRATORS,
    (Kind.PAGE, A): ADMINISTRATORS,
    (Kind.CLASS_SESSION, W): VILLAGE_STAFF | EDITORS,
    (Kind.SIGNUP, W): VILLAGERS,
    (Kind.NOTICE, W): ADMINISTRATORS,
    (Kind.WORK_ORDER, R): VILLAGE_STAFF | INSPECTORS,
    (Kind.WORK_ORDER, W): ADMINISTRATORS | INSPECTORS,
    (Kind.WORK_ORDER, A): ADMINISTRATORS | INSPECTORS,
    (Kind.RECTIFICATION, R): VILLAGE_STAFF,
    (Kind.RECTIFICATION, W): VILLAGE_STAFF,
    (Kind.INSPECTION, R): ADMINISTRATORS | INSPECTORS,
    (Kind.INSPECTION, W): ADMINISTRATORS | INSPECTORS,
    (Kind.CHECKLIST, R): ADMINISTRATORS | INSPECTORS,
    (Kind.CHECKLIST, W): DISTRICT_ADMINS,
    (Kind.TALLY, R): VILLAGE_STAFF | INSPECTORS,
    (Kind.TALLY, W): VILLAGE_STAFF,
    (Kind.TALLY, A): ADMINISTRATORS,
    (Kind.TOILET, R): VILLAGE_STAFF | INSPECTORS | VILLAGERS,
    (Kind.TOILET, W): VILLAGE_STAFF,
    (Kind.TOILET_FILE, R): VILLAGE_STAFF,
    (Kind.TOILET_FILE, W): VILLAGE_STAFF,
    (Kind.CONTRACTOR_TEAM, R): ADMINISTRATORS,
    (Kind.CONTRACTOR_TEAM, W): ADMINISTRATORS,
    (Kind.SERVICE_ORDER, R): VILLAGE_STAFF | VILLAGERS,
    (Kind.SERVICE_ORDER, W): VILLAGE_STAFF | VILLAGERS,
    (Kind.SERVICE_ORDER, A): ADMINISTRATORS,
    (Kind.SERVICE_WORK, R): CONTRACTORS,
    (Kind.SERVICE_WORK, W): CONTRACTORS,
    (Kind.CHECK_ROUND, R): ADMINISTRATORS | INSPECTORS,
    (Kind.CHECK_ROUND, W): ADMINISTRATORS | INSPECTORS,
    (Kind.UPKEEP_FIGURES, R): ADMINISTRATORS | INSPECTORS,
    (Kind.INDICATOR, R): ADMINISTRATORS,
    (Kind.INDICATOR, W): DISTRICT_ADMINS,
    (Kind.FIGURE, R): VILLAGE_STAFF,
    (Kind.FIGURE, W): VILLAGE_STAFF,
    (Kind.FIGURE, A): ADMINISTRATORS,
    (Kind.ASSESSMENT, R): ADMINISTRATORS,
    (Kind.ASSESSMENT, W): DISTRICT_ADMINS,
    (Kind.ASSESSMENT, A): DISTRICT_ADMINS,
    (Kind.DASHBOARD, R): ADMINISTRATORS,
}

# Kinds bound to named people on the object as well as to a role over its area: the object's
# attribute holding them. Superusers get no exception here.
BOUND: dict[Kind, str] = {Kind.COUNTER: "shopkeepers", Kind.SERVICE_WORK: "team_members"}

# What the table does not say by itself, for the matrix page (docs/permissions.md).
NOTES: dict[tuple[Kind, Action], str] = {
    (Kind.HOUSEHOLD_LIST, R): "inspectors see the head's name masked (张*明)",
    (Kind.COUNTER, R): "only at a store the shopkeeper is bound to; the household masked",
    (Kind.COUNTER, W): "only at a store the shopkeeper is bound to",
    (Kind.REDEMPTION, R): "and the store's own shopkeepers (counter)",
    (Kind.REDEMPTION, W): "and the shopkeeper who made it, on the same day",
    (Kind.SCORING, A): "never one's own entries",
    (Kind.OBJECTION, W): "only in the villager's own village, during publicity",
    (Kind.PAGE, W): "editors submit; only reviewers publish",
    (Kind.STORE, W): "the district's item list: district administrators only",
    (Kind.AREA, R): "the list of areas; households are another row",
    (Kind.WORK_ORDER, A): "accept, send back, close, reopen; never an order one reported done",
    (Kind.RECTIFICATION, W): "only orders whose village must act; a team's members and a named "
    "person act on theirs too",
    (Kind.TALLY, A): "town review of village reports",
    (Kind.TOILET, R): "villagers: their own household's toilet; inspectors: with the name masked",
    (Kind.SERVICE_ORDER, W): "villagers ask for their own household; committees file for several",
    (Kind.SERVICE_ORDER, A): "dispatch to a team, close; the town's service desk enters calls",
    (Kind.SERVICE_WORK, R): "only orders of a team the contractor belongs to",
    (Kind.SERVICE_WORK, W): "only orders of a team the contractor belongs to",
    (Kind.FIGURE, W): "the village submits its own figures",
    (Kind.FIGURE, A): "level by level: the town approves or sends back, then the district",
    (Kind.ASSESSMENT, W): "schemes and their weights; drafting the monthly 红黑榜",
    (Kind.ASSESSMENT, A): "approving the 红黑榜, which publishes it on the campaign site",
    (Kind.DASHBOARD, R): "figures of the areas below; exports are recorded",
}


# One line per kind for the matrix page.
DESCRIPTIONS: dict[Kind, str] = {
    Kind.AREA: "areas (district, town, village, group) in the work desk",
    Kind.HOUSEHOLD: "a household: register entry, members, balance, points history, its rules "
    "(pages, work desk, API)",
    Kind.HOUSEHOLD_LIST: "the register's list of households (户号, head, village, status)",
    Kind.REGISTER_FILE: "register import and export (.xlsx with ID and phone numbers)",
    Kind.HOUSEHOLD_CODE: "a household's live QR code (我的兑换码)",
    Kind.CARD: "printed household cards, reporting a card lost",
    Kind.RULE: "earning rules (积分细则) in the work desk",
    Kind.EXPIRY_POLICY: "the district's points expiry policy",
    Kind.SCORING: "sorting checks, appraisals, points waiting for approval",
    Kind.COMMENDATION: "commendations (评比表彰): nominate, approve",
    Kind.OBJECTION: "objections during publicity: raise, answer",
    Kind.STORE: "stores, catalogue, district items, stock in the work desk",
    Kind.COUNTER: "a store's counter: preview, redeem, stock, the store's statement",
    Kind.REDEMPTION: "receipts; voiding a redemption",
    Kind.SETTLEMENT: "monthly statements of the stores; settling a month",
    Kind.PAGE: "campaign site pages: write and submit, review and publish",
    Kind.CLASS_SESSION: "class sessions: check people in at the door",
    Kind.SIGNUP: "a household's seat at a class session: sign up, cancel",
    Kind.NOTICE: "a message to every household of an area (inbox and SMS), from the work desk",
    Kind.WORK_ORDER: "work orders (工单): lists and pages; file and assign; check, close, reopen",
    Kind.RECTIFICATION: "a village's own orders (我的整改): fix, after-photos, report done",
    Kind.INSPECTION: "inspection rounds (督查): plan, walk a round, village scores",
    Kind.CHECKLIST: "the inspection checklist with weights, work order categories and their "
    "service levels",
    Kind.TALLY: "campaign tallies (五清一改): village reports; town review; district totals",
    Kind.TOILET: "the toilet register (改厕台账): household and public toilets, QR stickers",
    Kind.TOILET_FILE: "toilet register import and export (.xlsx)",
    Kind.CONTRACTOR_TEAM: "contractors' teams and the villages they serve, due lists, statements",
    Kind.SERVICE_ORDER: "after-care orders (抽渣, 维修): ask, follow and rate; dispatch and close",
    Kind.SERVICE_WORK: "a contractor's orders on the phone: accept, on the way, done",
    Kind.CHECK_ROUND: "province and city toilet check rounds (排查): plan, record checks",
    Kind.UPKEEP_FIGURES: "after-care figures: response time, within deadline, satisfaction",
    Kind.INDICATOR: "assessment indicators: name, unit, target, direction, colour thresholds",
    Kind.FIGURE: "yearly figures a village enters with evidence (饮用水合格率 …): submit, approve",
    Kind.ASSESSMENT: "assessment schemes, scores and rankings; the monthly 红黑榜",
    Kind.DASHBOARD: "the area's dashboard, its .xlsx exports and monthly PDF report",
}

MATRIX_START = "<!-- matrix:start (generated from registry/permissions.py) -->"
MATRIX_END = "<!-- matrix:end -->"


def matrix_markdown() -> str:
    """The table as a Markdown table: one row per kind, one column per role, cells R, W, A."""
    letters = {Action.READ: "R", Action.WRITE: "W", Action.APPROVE: "A", Action.DELETE: "D"}
    lines = [
        "| kind of object | " + " | ".join(f"`{role}`" for role in Role.values) + " | notes |",
        "| --- | " + " | ".join("---" for _role in Role.values) + " | --- |",
    ]
    for kind in Kind:
        cells = [
            " ".join(letters[action] for action in Action if role in roles_for(kind, action)) or "—"
            for role in Role.values
        ]
        notes = "; ".join(
            f"{letters[action]}: {NOTES[kind, action]}"
            for action in Action
            if (kind, action) in NOTES
        )
        label = f"`{kind}`: {DESCRIPTIONS[kind]}"
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {notes} |")
    return "\n".join(lines) + "\n"


def roles_for(kind: Kind | str, action: Action | str) -> frozenset[str]:
    """The roles the table gives for ``action`` on ``kind`` (empty: superusers only)."""
    return TABLE.get((Kind(kind), Action(action)), NOBODY)


def role_assignments(user) -> list[RoleAssignment]:
    """The user's roles, loaded once per user object (that is, once per request)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_meijia_roles", None)
    if cached is None:
        cached = list(RoleAssignment.objects.filter(user=user).select_related("area"))
        user._meijia_roles = cached
    return cached


def forget_roles(user) -> None:
    user.__dict__.pop("_meijia_roles", None)


def area_paths(user, kind: Kind | str, action: Action | str = Action.READ) -> list[str]:
    """The paths of the areas over which ``user`` holds a role for ``action`` on ``kind``."""
    wanted = roles_for(kind, action)
    return [
        assignment.area.path
        for assignment in role_assignments(user)
        if assignment.role in wanted and assignment.area is not None
    ]


def household_ids(user, kind: Kind | str, action: Action | str = Action.READ) -> list[int]:
    """The households ``user`` is a villager of, when villagers may ``action`` on ``kind``."""
    wanted = roles_for(kind, action)
    return [
        assignment.household_id
        for assignment in role_assignments(user)
        if assignment.role in wanted and assignment.household_id is not None
    ]


def _is_bound(user, kind: Kind, where) -> bool:
    people = getattr(where, BOUND[kind], None)
    return people is not None and people.filter(pk=user.pk).exists()


def may(user, kind: Kind | str, action: Action | str, where: Area | Model | None = None) -> bool:
    """Whether ``user`` may ``action`` on an object of ``kind`` in ``where`` (see the module).

    ``where`` an ``Area``: answered from the user's roles, no query. ``where`` another model
    instance: one query through ``visible_to``, except for a bound kind (a store at the counter),
    where it is the object's area plus one query for the binding.
    """
    kind, action = Kind(kind), Action(action)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    wanted = roles_for(kind, action)
    if kind in BOUND:
        if where is None:
            return any(a.role in wanted for a in role_assignments(user))
        area = where.area
        return area is not None and _holds_over(user, wanted, area) and _is_bound(user, kind, where)
    if user.is_superuser:
        return True
    if where is None:
        return any(a.role in wanted for a in role_assignments(user))
    if isinstance(where, Area):
        return _holds_over(user, wanted, where)
    from registry.scoping import visible_to

    manager = type(where)._default_manager
    return visible_to(user, manager.filter(pk=where.pk), kind=kind, action=action).exists()


def _holds_over(user, wanted: frozenset[str], area: Area) -> bool:
    return any(
        assignment.role in wanted
        and assignment.area is not None
        and area.path.startswith(assignment.area.path)
        for assignment in role_assignments(user)
    )


# --- Django model permissions each role's group holds in Wagtail's admin -----------------------
# The work desk's menus and generic views ask Django's ``has_perm``; rows are still scoped by
# area through ``visible_to``. ``registry.services.register.role_groups_sync`` writes these to the groups.

_REGISTER = [
    "wagtailadmin.access_admin",
    "registry.view_area",
    "registry.add_household",
    "registry.change_household",
    "registry.view_household",
    "registry.add_householdimport",
    "registry.view_householdimport",
]
_STORES = [
    "shops.add_store",
    "shops.change_store",
    "shops.view_store",
    "shops.add_catalogueitem",
    "shops.change_catalogueitem",
    "shops.view_catalogueitem",
    "shops.view_districtitem",
]
MODEL_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.DISTRICT_ADMIN: (
        *_REGISTER,
        "registry.add_area",
        "registry.change_area",
        "points.add_expirypolicy",
        "points.change_expirypolicy",
        "points.view_expirypolicy",
        *_STORES,
        "shops.add_districtitem",
        "shops.change_districtitem",
        *(
            f"supervision.{verb}_{model}"
            for model in ("checklistitem", "category", "liaison", "team")
            for verb in ("add", "change", "view")
        ),
        # assessment: indicators and their targets, schemes and weights, places on the map
        "assessment.view_indicator",
        "assessment.change_indicator",
        "assessment.add_indicator",
        "assessment.view_scheme",
        "assessment.change_scheme",
        "assessment.add_scheme",
        "assessment.view_areaplace",
        "assessment.change_areaplace",
        "assessment.add_areaplace",
    ),
    Role.TOWN_ADMIN: (*_REGISTER, *_STORES),
    Role.COMMITTEE: tuple(_REGISTER),
    Role.INSPECTOR: ("wagtailadmin.access_admin", "registry.view_area", "registry.view_household"),
    Role.EDITOR: ("wagtailadmin.access_admin",),
    Role.SHOPKEEPER: (),
    Role.VILLAGER: (),
    Role.CONTRACTOR: (),
}
