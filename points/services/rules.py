"""Writes of earning rules, and the amount a rule gives a household.

A rule's terms are never updated: every change adds a version (N+1), so a ledger transaction's
``rule_version`` always names the terms it was made under.
"""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from points.models import EarningRule, EarningRuleVersion
from points.selectors.rules import cap_remaining
from points.services.ledger import household_account
from registry.models import Area, Household, User

# The terms a version carries; anything not given to rule_version_create is kept from the last one.
TERMS = (
    "name",
    "description",
    "points",
    "cap_per_day",
    "cap_per_month",
    "cap_per_year",
    "valid_from",
    "valid_to",
    "auto_approve_up_to",
)


def _check_terms(terms: dict[str, Any]) -> None:
    unknown = set(terms) - set(TERMS)
    if unknown:
        raise TypeError(f"not terms of a rule version: {sorted(unknown)}")


def _version_add(
    *, rule: EarningRule, actor: User | None, terms: dict[str, Any]
) -> EarningRuleVersion:
    _check_terms(terms)
    with transaction.atomic():
        EarningRule.objects.select_for_update().filter(pk=rule.pk).first()
        latest = rule.versions.order_by("-version").first()
        kept = {field: getattr(latest, field) for field in TERMS} if latest else {}
        version = EarningRuleVersion(
            rule=rule,
            version=(latest.version + 1) if latest else 1,
            created_by=actor,
            **{**kept, **terms},
        )
        version.full_clean()
        version.save()
    return version


def rule_version_create(
    *, rule: EarningRule, actor: User | None, **terms: Any
) -> EarningRuleVersion:
    """Add version N+1 of ``rule`` with ``terms`` (the rest kept from version N).

    Locks the rule row so two editors get distinct numbers. Raises ValidationError for bad terms.
    """
    with transaction.atomic():
        version = _version_add(rule=rule, actor=actor, terms=terms)
        log(instance=rule, action="wagtail.edit", user=actor)
    return version


def rule_create(
    *,
    actor: User | None,
    area: Area,
    code: str,
    category: str,
    kind: str = EarningRule.Kind.EARN,
    is_published: bool = False,
    **terms: Any,
) -> EarningRule:
    """Create a rule with its version 1. Raises ValidationError (for instance, a code already
    used at this area)."""
    _check_terms(terms)
    if area.level == Area.Level.GROUP:
        raise ValidationError({"area": _("Rules belong to a district, town or village.")})
    with transaction.atomic():
        rule = EarningRule(
            area=area, code=code, category=category, kind=kind, is_published=is_published
        )
        rule.full_clean()
        rule.save()
        _version_add(rule=rule, actor=actor, terms=terms)
        log(instance=rule, action="wagtail.create", user=actor)
    return rule


def _terms_changed(rule: EarningRule, terms: dict[str, Any]) -> bool:
    latest = rule.versions.order_by("-version").first()
    return latest is None or any(getattr(latest, field) != value for field, value in terms.items())


def rule_edit(
    *,
    rule: EarningRule,
    actor: User | None,
    category: str,
    is_published: bool,
    **terms: Any,
) -> EarningRuleVersion | None:
    """Save an edit from the admin: the category and publication change in place; changed terms
    add a version. Returns the new version, or None when the terms did not change."""
    _check_terms(terms)
    with transaction.atomic():
        changed = (rule.category, rule.is_published) != (category, is_published)
        if changed:
            rule.category, rule.is_published = category, is_published
            rule.save(update_fields=["category", "is_published"])
        version = (
            _version_add(rule=rule, actor=actor, terms=terms)
            if _terms_changed(rule, terms)
            else None
        )
        if changed or version is not None:
            log(instance=rule, action="wagtail.edit", user=actor)
    return version


def rule_award_amount(*, household: Household, version: EarningRuleVersion, on: dt.date) -> int:
    """The points to record for one event under ``version``: the rule's points cut to what the
    caps leave (0 once a cap is reached). For a deduction the result is negative and never more
    than the household's balance. Callers record a positive amount with ``points_award``, passing
    ``rule_code=version.rule.code`` and ``rule_version=version.version`` (the ledger has no
    deduction with a rule code yet). Two events of one household racing for the last points of a
    cap can both pass: callers that care lock the household account first."""
    if not version.is_in_force(on):
        return 0
    amount = version.points
    remaining = cap_remaining(household=household, version=version, on=on)
    if remaining is not None:
        amount = min(amount, remaining)
    if version.rule.kind == EarningRule.Kind.DEDUCT:
        return -min(amount, household_account(household).balance)
    return amount
