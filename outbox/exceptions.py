class NoticeError(Exception):
    """A notice to an area's households was refused; ``code`` for machines, ``message`` for
    people (Chinese first)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
