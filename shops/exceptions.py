from registry.exceptions import Refusal


class ShopError(Refusal):
    """A refused shop action: ``code`` for machines (and the API), ``message`` for people."""
