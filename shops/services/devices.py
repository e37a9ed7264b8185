"""Counter devices: bearer tokens for the JSON API, stored as SHA-256 only."""

import hashlib
import secrets

from django.utils.translation import gettext as _

from registry.models import User
from shops.exceptions import ShopError
from shops.models import CounterDevice, Store


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def counter_device_create(*, store: Store, user: User, name: str) -> tuple[CounterDevice, str]:
    """A new device acting as ``user`` at ``store``; the token is returned once, never stored."""
    if not store.shopkeepers.filter(pk=user.pk).exists():
        raise ShopError("not_shopkeeper", _("Only this store's shopkeepers can redeem here."))
    token = "mjc_" + secrets.token_urlsafe(32)
    device = CounterDevice.objects.create(
        store=store, user=user, name=name[:60], token_hash=_digest(token)
    )
    return device, token


def counter_device_authenticate(*, token: str) -> CounterDevice | None:
    if not token or len(token) > 100:
        return None
    return (
        CounterDevice.objects.select_related("store__area", "user")
        .filter(token_hash=_digest(token), is_active=True, user__is_active=True)
        .first()
    )
