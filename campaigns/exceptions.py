from registry.exceptions import Refusal


class ClassError(Refusal):
    """A refused sign-up, cancellation, check-in or lesson completion."""
