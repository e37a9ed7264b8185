class UpkeepError(Exception):
    """A refused upkeep action: ``code`` for machines, ``message`` (translated) for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
