from registry.exceptions import Refusal


class NoticeError(Refusal):
    """A notice to an area's households was refused."""
