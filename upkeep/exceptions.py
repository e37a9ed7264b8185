from registry.exceptions import Refusal


class UpkeepError(Refusal):
    """A refused upkeep action: ``code`` for machines, ``message`` (translated) for people."""
