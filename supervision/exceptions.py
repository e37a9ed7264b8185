from registry.exceptions import Refusal


class WorkOrderError(Refusal):
    """A refused change of a work order: ``code`` for machines, ``message`` (Chinese via gettext)
    for people. Codes: ``not_allowed`` (the role or the person may not), ``bad_transition`` (not
    from this status), ``reason_required``, ``photo_required``, ``same_person`` (the one who did
    the work checks it), ``no_assignee``, ``key_reused`` (an idempotency key sent with other
    content)."""


class InspectionError(Refusal):
    """A refused inspection record: ``code`` for machines, ``message`` for people."""


class TallyError(Refusal):
    """A refused tally report or review: ``code`` for machines, ``message`` for people. Codes:
    ``bad_key``, ``not_allowed``, ``not_a_village``, ``outside_campaign`` (another district, or a
    week outside the campaign's dates), ``bad_quantity``, ``nothing_reported``, ``key_reused``,
    ``already_reviewed``, ``same_person`` (the reporter reviews), ``reason_required``."""
