class AssessmentError(Exception):
    """A refused assessment action, with a machine-readable ``code`` and a message for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
