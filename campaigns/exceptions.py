class ClassError(Exception):
    """A refused sign-up, cancellation, check-in or lesson completion: ``code`` for machines,
    ``message`` for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
