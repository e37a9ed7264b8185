class ShopError(Exception):
    """A refused shop action: ``code`` for machines (and the API), ``message`` for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
