"""Writes of upkeep's register side: contractor teams, public toilets, emptyings, check rounds.

Services are keyword-only, authorise through ``registry.permissions`` and raise UpkeepError with
a machine-readable code and a message for people.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.exceptions import Refusal
from registry.models import Area, RoleAssignment, User
from registry.permissions import Action, Kind, may
from registry.services.register import role_assign
from supervision.models import Team
from upkeep.exceptions import UpkeepError
from upkeep.models import CheckRound, ServiceCoverage, ServiceOrder, Toilet, ToiletCheck


def _require(user: User | None, kind: Kind, action: Action, where: Area) -> None:
    if user is not None and not may(user, kind, action, where):
        raise UpkeepError("not_in_scope", _("You may not do this here."))


def contractor_team_create(
    *,
    actor: User | None,
    area: Area,
    name: str,
    company: str,
    phone: str = "",
    villages: Iterable[Area] = (),
) -> ServiceCoverage:
    """A town's contractor team (a ``supervision.Team``) and the villages it serves."""
    _require(actor, Kind.CONTRACTOR_TEAM, Action.WRITE, area)
    villages = list(villages)
    if any(not village.path.startswith(area.path) for village in villages):
        raise UpkeepError("village_outside", _("A team serves only villages of its town."))
    with transaction.atomic():
        team = Team.objects.create(name=name, kind=Team.Kind.CONTRACTOR, area=area, phone=phone)
        coverage = ServiceCoverage.objects.create(team=team, company=company)
        coverage.villages.set(villages)
    return coverage


def contractor_team_member_add(
    *, actor: User | None, team: ServiceCoverage | Team, user: User
) -> Team:
    """Put ``user`` in the team with the contractor role over the team's town."""
    team = team.team if isinstance(team, ServiceCoverage) else team
    _require(actor, Kind.CONTRACTOR_TEAM, Action.WRITE, team.area)
    with transaction.atomic():
        role_assign(user=user, role=RoleAssignment.Role.CONTRACTOR, area=team.area)
        team.members.add(user)
    return team


def public_toilet_create(
    *,
    actor: User | None,
    village: Area,
    name: str,
    type: str,
    keeper_name: str = "",
    keeper_phone: str = "",
    tank_volume: Decimal | None = None,
) -> Toilet:
    """A public toilet (公厕) of ``village`` with its keeper."""
    _require(actor, Kind.TOILET, Action.WRITE, village)
    if Toilet.objects.filter(village=village, household__isnull=True, name=name).exists():
        raise UpkeepError("duplicate", _("This village already has a public toilet of this name."))
    return Toilet.objects.create(
        village=village,
        name=name,
        type=type,
        keeper_name=keeper_name,
        keeper_phone=keeper_phone,
        tank_volume=tank_volume,
        acceptance=Toilet.Acceptance.PASSED,
    )


def toilet_emptied(*, toilet: Toilet, on: datetime.date) -> Toilet:
    """Record that the tank was emptied on ``on`` (a finished emptying order calls this).

    A later date never goes back: an old order closed late leaves the newer date.
    """
    Toilet.objects.filter(pk=toilet.pk).filter(
        Q(last_emptied_on__isnull=True) | Q(last_emptied_on__lt=on)
    ).update(last_emptied_on=on, updated_at=timezone.now())
    toilet.refresh_from_db(fields=["last_emptied_on", "updated_at"])
    return toilet


def check_round_create(
    *,
    actor: User,
    area: Area,
    level: str,
    title: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
) -> CheckRound:
    """A check round (排查) listing every household and public toilet in use under ``area``."""
    _require(actor, Kind.CHECK_ROUND, Action.WRITE, area)
    if ends_on < starts_on:
        raise UpkeepError("bad_dates", _("The round cannot end before it starts."))
    with transaction.atomic():
        check_round = CheckRound.objects.create(
            area=area,
            level=level,
            title=title,
            starts_on=starts_on,
            ends_on=ends_on,
            created_by=actor,
        )
        toilets = Toilet.objects.filter(village__path__startswith=area.path).exclude(
            status=Toilet.Status.REMOVED
        )
        ToiletCheck.objects.bulk_create(
            [
                ToiletCheck(round=check_round, toilet_id=pk)
                for pk in toilets.values_list("pk", flat=True)
            ],
            batch_size=1000,
        )
    return check_round


IN_USE_RULE = (
    "toilet-in-use"  # the earning rule a district publishes to reward a toilet kept in use
)


def toilet_check_record(
    *,
    actor: User,
    check: ToiletCheck,
    result: str,
    note: str = "",
    photo=None,
) -> ToiletCheck:
    """Record one toilet's check on a round: fine, or a problem, which becomes a repair order
    (a work order to the team serving the village, else the town's to dispatch).

    A fine household toilet earns points where the district publishes the ``toilet-in-use``
    earning rule, by the maker-checker path: the checker records the claim (when they may score
    the household) and a committee member approves it in 待审核积分. Recording the same check
    again changes the result but never claims twice (the claim's key is the check).
    """
    toilet = check.toilet
    _require(actor, Kind.CHECK_ROUND, Action.WRITE, toilet.village)
    if result not in {ToiletCheck.Result.FINE, ToiletCheck.Result.PROBLEM}:
        raise UpkeepError("bad_result", _("Choose fine or problem."))
    if result == ToiletCheck.Result.PROBLEM and not note.strip() and photo is None:
        raise UpkeepError("no_evidence", _("Say what is wrong or add a photo."))
    with transaction.atomic():
        check = ToiletCheck.objects.select_for_update().get(pk=check.pk)
        check.result = result
        check.note = note.strip()[:200]
        check.photo = photo
        check.checked_by = actor
        check.checked_at = timezone.now()
        check.save()
        if result == ToiletCheck.Result.FINE and toilet.household_id is not None:
            _claim_in_use_points(actor=actor, check=check)
        elif result == ToiletCheck.Result.PROBLEM and check.work_order_id is None:
            from upkeep.services.orders import service_order_file

            service = service_order_file(
                toilet=toilet,
                kind=ServiceOrder.Kind.REPAIR,
                channel=ServiceOrder.Channel.CHECK,
                requested_by=actor,
                key=f"toilet-check:{check.pk}",
                note=check.note,
                photos=[photo] if photo is not None else [],
            )
            check.work_order_id = service.order_id
            check.save(update_fields=["work_order"])
    return check


def _claim_in_use_points(*, actor: User, check: ToiletCheck) -> None:
    from points.selectors.rules import rule_for
    from points.services.claims import claim_record
    from points.services.ledger import Source

    household = check.toilet.household
    if household is None:  # a public toilet earns no household points
        return
    on = timezone.localdate()
    version = rule_for(area=household.village, code=IN_USE_RULE, on=on)
    if version is None or not may(actor, Kind.SCORING, Action.WRITE, household):
        return
    try:
        claim_record(
            household=household,
            version=version,
            actor=actor,
            idempotency_key=f"toilet-check:{check.pk}",
            occurred_on=on,
            reason=_("Toilet kept in use (check round %(round)s)") % {"round": check.round.title},
            source=Source(type="toilet_check", id=check.pk),
        )
    except Refusal:
        # A cap reached or a rule out of force: the check stands without points.
        return
