class RegisterError(Exception):
    """A refused change to the register, with a machine-readable code and a message for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
