"""A problem at one household (its 三大堆) may cost it points: through points' own maker-checker
path, never around it. The order names the household; a village staff member records a claim
under the district's earning rule (``inspection-household`` unless another code is given),
another member or a town administrator approves it in 待审核积分, and the ledger pays it; the
household is told why by points' own message (the claim's reason names the problem)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from points.models import PointsClaim
from points.selectors_rules import rule_for
from points.services.claims import claim_record
from points.services.ledger import Source
from registry.models import User
from supervision.exceptions import WorkOrderError
from supervision.models import WorkOrder, WorkOrderEvent

DEDUCTION_RULE = "inspection-household"


def work_order_household_deduct(
    *,
    order: WorkOrder,
    actor: User,
    rule_code: str = DEDUCTION_RULE,
    on: dt.date | None = None,
) -> PointsClaim:
    """Record the household's deduction for ``order`` as a points claim waiting for a second
    person (or paid at once where the rule allows). Once per order: a retry returns the first
    claim. Locks the order row, then points takes its own locks when the claim is paid.
    Raises WorkOrderError (no_household, no_rule) or points' LedgerError (not_in_scope …)."""
    if order.household_id is None:
        raise WorkOrderError("no_household", _("This work order names no household."))
    on = on or timezone.localdate()
    version = rule_for(area=order.household.village, code=rule_code, on=on)
    if version is None:
        raise WorkOrderError(
            "no_rule", _("No earning rule for inspection deductions holds in this village.")
        )
    with transaction.atomic():
        order = WorkOrder.objects.select_for_update(of=("self",)).get(pk=order.pk)
        claim = claim_record(
            household=order.household,
            version=version,
            actor=actor,
            idempotency_key=f"workorder-deduct:{order.pk}",
            occurred_on=on,
            reason=_("Inspection found: %(problem)s") % {"problem": order.title},
            source=Source(type="work_order", id=order.pk),
        )
        if not order.events.filter(action="deduct").exists():
            WorkOrderEvent.objects.create(
                order=order,
                action="deduct",
                from_status=order.status,
                to_status=order.status,
                actor=actor,
                note=claim.reason,
                data={"claim": claim.pk, "points": claim.requested_points},
            )
    return claim
