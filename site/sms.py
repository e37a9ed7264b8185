"""Kept for imports from before the outbox: the SMS backends live in ``outbox.sms``."""

from outbox.sms import (  # noqa: F401 - re-exported
    BACKENDS,
    ConsoleBackend,
    HttpGatewayBackend,
    LocmemBackend,
    SmsGatewayError,
    TextMessage,
    get_backend,
    outbox,
    sms_deliver,
)
