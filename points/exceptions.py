class LedgerError(Exception):
    """A refused change of points: ``code`` for machines, ``message`` for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
