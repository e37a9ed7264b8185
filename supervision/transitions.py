"""The work order's state machine: one small table, read by the services, the pages (which
buttons to show) and ``docs/workorders.md``.

A plain table rather than django-fsm-2 or viewflow.fsm: six statuses and six moves fit on one
screen, the "who" of each move is our permission table's question (not a model method's), and
the services already take the row lock and write the event; a library would add a protected
field and decorators around exactly the code we would still write.

``who`` is one of:
- ``ACTOR``: whoever must act on the order (the village's committee, a member of the team, the
  person named), see ``supervision.services.workorders.may_act``;
- ``CHECKER``: whoever may ``approve`` work orders over the order's area (inspectors, town and
  district administrators), never the person who reported it done;
- ``FILER``: whoever may ``write`` work orders over the order's area.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from supervision.models import WorkOrder

S = WorkOrder.Status
ACTOR, CHECKER, FILER = "actor", "checker", "filer"


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    who: str
    label: Promise
    needs_reason: bool = False
    needs_photo: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("assign", frozenset({S.OPEN, S.ASSIGNED, S.REOPENED}), S.ASSIGNED, FILER,
                   _("Assign")),
        Transition("done", frozenset({S.ASSIGNED, S.REOPENED}), S.DONE, ACTOR,
                   _("Report fixed"), needs_photo=True),
        Transition("accept", frozenset({S.DONE}), S.CHECKED, CHECKER, _("Accept")),
        Transition("send_back", frozenset({S.DONE}), S.ASSIGNED, CHECKER, _("Send back"),
                   needs_reason=True),
        Transition("close", frozenset({S.CHECKED}), S.CLOSED, CHECKER, _("Close")),
        Transition("reopen", frozenset({S.CHECKED, S.CLOSED}), S.REOPENED, CHECKER, _("Reopen"),
                   needs_reason=True),
    )
}  # fmt: skip

# Events that do not move the status (the timeline shows them too).
EVENT_LABELS: dict[str, Promise] = {
    "create": _("Filed"),
    "remind": _("Reminded: due tomorrow"),
    "escalate": _("Late: reported to the area above"),
    "deduct": _("Household points deduction recorded"),
    **{name: t.label for name, t in TRANSITIONS.items()},
}


def transitions_from(status: str) -> list[Transition]:
    """The moves allowed from ``status``, in the table's order."""
    return [t for t in TRANSITIONS.values() if status in t.sources]
