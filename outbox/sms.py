"""The SMS channel: a pluggable backend chosen by ``settings.SMS_BACKEND``.

``console`` prints the message with the number masked (development), ``locmem`` keeps it in
``outbox`` (tests), ``http`` posts it to an SMS gateway (production; docs/deployment.md). Numbers
are never logged in full. Only the outbox's sender (``outbox.services``) calls ``sms_deliver``:
every other code writes a message row.
"""

import json
import logging
import sys
import urllib.request
from dataclasses import dataclass

from django.conf import settings

from registry.identity import mask_phone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextMessage:
    phone: str
    text: str


outbox: list[TextMessage] = []


class SmsGatewayError(Exception):
    """The gateway refused or could not be reached; the outbox tries again later."""


class ConsoleBackend:
    def send(self, message: TextMessage) -> None:
        sys.stdout.write(f"\n[SMS → {mask_phone(message.phone)}] {message.text}\n\n")
        sys.stdout.flush()


class LocmemBackend:
    def send(self, message: TextMessage) -> None:
        outbox.append(message)


class HttpGatewayBackend:
    """POSTs ``{"phone", "text", "sign"}`` as JSON with a bearer key to ``SMS_GATEWAY_URL``.

    Most Chinese SMS providers are reached through a small relay of this shape; the relay holds
    the provider's template ids and credentials.
    """

    timeout = 10

    def send(self, message: TextMessage) -> None:
        if not settings.SMS_GATEWAY_URL:
            raise SmsGatewayError("SMS_GATEWAY_URL is not set")
        body = json.dumps(
            {"phone": message.phone, "text": message.text, "sign": settings.SMS_SIGN_NAME}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL comes from settings
            settings.SMS_GATEWAY_URL,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {settings.SMS_GATEWAY_KEY or ''}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                if response.status >= 300:
                    raise SmsGatewayError(f"gateway answered {response.status}")
        except OSError as error:
            logger.warning("SMS gateway failed for %s: %s", mask_phone(message.phone), error)
            raise SmsGatewayError(str(error)) from error


BACKENDS = {"console": ConsoleBackend, "locmem": LocmemBackend, "http": HttpGatewayBackend}


def get_backend():
    return BACKENDS[settings.SMS_BACKEND]()


def sms_deliver(*, phone: str, text: str) -> None:
    get_backend().send(TextMessage(phone=phone, text=text))
