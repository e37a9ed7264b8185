"""Counter devices: bearer tokens for the JSON API, stored as SHA-256 only."""

import hashlib
import itertools
import secrets

from django.utils.translation import gettext as _

from registry.models import Area, User
from registry.sql import AREA_FIELDS, area_columns, area_from_row, from_row, prepared_cursor
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


# Every counter request authenticates this way, in plain SQL: building the three-table join in
# the ORM took longer than PostgreSQL took to answer it.
_DEVICE_FIELDS = ("id", "name", "store_id", "user_id")
_STORE_FIELDS = ("id", "name", "is_active", "area_id")
_USER_FIELDS = ("id", "username", "name", "is_active", "is_staff", "is_superuser")
_SQL_DEVICE = (
    f"SELECT {', '.join('d.' + name for name in _DEVICE_FIELDS)}, "  # noqa: S608 - our tables
    f"{', '.join('s.' + name for name in _STORE_FIELDS)}, {area_columns('a')}, "
    f"{', '.join('u.' + name for name in _USER_FIELDS)} "
    f"FROM {CounterDevice._meta.db_table} d "
    f"JOIN {Store._meta.db_table} s ON s.id = d.store_id "
    f"JOIN {Area._meta.db_table} a ON a.id = s.area_id "
    f"JOIN {User._meta.db_table} u ON u.id = d.user_id "
    "WHERE d.token_hash = %s AND d.is_active = %s AND u.is_active = %s"
)


def counter_device_authenticate(*, token: str) -> CounterDevice | None:
    """The active device holding ``token``, with its store (and the store's area) and user.

    Fields not read here load on first use, as with ``QuerySet.only``.
    """
    if not token or len(token) > 100:
        return None
    with prepared_cursor() as cursor:
        cursor.execute(_SQL_DEVICE, [_digest(token), True, True])
        row = cursor.fetchone()
    if row is None:
        return None
    ends = itertools.accumulate(
        len(fields) for fields in (_DEVICE_FIELDS, _STORE_FIELDS, AREA_FIELDS, _USER_FIELDS)
    )
    device_end, store_end, area_end, _user_end = ends
    device = from_row(CounterDevice, _DEVICE_FIELDS, row[:device_end])
    device.store = from_row(Store, _STORE_FIELDS, row[device_end:store_end])
    device.store.area = area_from_row(row[store_end:area_end])
    device.user = from_row(User, _USER_FIELDS, row[area_end:])
    return device
