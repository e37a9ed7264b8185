"""Household codes: the one mechanism behind every scanner (door, counter, class check-in).

Two kinds of code name a household:

* a **card** code, printed on door plates and household cards: static, signed, carrying the
  household's ``card_version``; reporting a card lost raises the version and the old card is
  refused at once;
* a **phone** code, shown on the villager's phone: signed, valid about a minute, usable once,
  with an 8-digit number under the QR for typing when a camera fails.

Tokens are opaque (no name, number or phone in them) and use QR's alphanumeric alphabet so the
printed squares stay small. Scanners call :func:`code_read` to look a code up (it spends
nothing), :func:`code_preview_record` when a counter has shown the household to the shopkeeper, and
:func:`code_consume` inside their own ``transaction.atomic`` when the code is spent, so a
rolled-back redemption leaves the code usable.

A phone code is **valid** while it is live (``PHONE_CODE_TTL`` after it was issued) or, once a
counter has previewed it, for ``PHONE_CODE_CONFIRM_WINDOW`` after that (first) preview, so the
basket may take a while. The one rule holds for the scanned token and the typed number alike, in
every read and in the spending ``UPDATE``: a code never previewed is spent only while live.
"""

from __future__ import annotations

import base64
import datetime
import hmac
import secrets
import struct
from dataclasses import dataclass

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from registry.exceptions import RegisterError
from registry.models import Area, Household, HouseholdEvent, Member, PhoneCode, User
from registry.sql import area_columns, area_from_row, from_row, prepared_cursor

PHONE_CODE_TTL = datetime.timedelta(seconds=60)
# A phone code previewed while live may still be confirmed this long after that preview (the
# basket takes time); the grace starts at the code's own first preview, never at its issue.
PHONE_CODE_CONFIRM_WINDOW = datetime.timedelta(minutes=5)
GUESS_LIMIT = 10
GUESS_WINDOW_SECONDS = 600

_CARD = "MJC"
_PHONE = "MJP"
_STICKER = "MJS"
_MAC_BYTES = 10
_SALT = "meijia.registry.codes"


class CodeRefused(RegisterError):
    """A code that cannot be used; ``code`` is the machine-readable reason."""


@dataclass(frozen=True)
class ScannedCode:
    household: Household
    kind: str  # "card" or "phone"
    issued_at: datetime.datetime | None = None
    phone_code_id: int | None = None
    card_version: int | None = None


@dataclass(frozen=True)
class IssuedPhoneCode:
    token: str
    digits: str
    expires_at: datetime.datetime


def _mac(prefix: str, payload: bytes) -> bytes:
    return salted_hmac(_SALT, prefix.encode() + payload, algorithm="sha256").digest()[:_MAC_BYTES]


def _encode(prefix: str, payload: bytes) -> str:
    body = base64.b32encode(payload + _mac(prefix, payload)).decode().rstrip("=")
    return prefix + body


def _decode(token: str) -> tuple[str, bytes]:
    prefix, body = token[:3], token[3:]
    if (
        prefix not in (_CARD, _PHONE, _STICKER)
        or not body
        or not body.isalnum()
        or body != body.upper()
    ):
        raise CodeRefused("malformed", _("This is not a 美家 household code."))
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except (ValueError, TypeError):
        raise CodeRefused("malformed", _("This is not a 美家 household code.")) from None
    # Re-encoding must give back exactly what was scanned: no alternative spellings.
    if base64.b32encode(raw).decode().rstrip("=") != body or len(raw) <= _MAC_BYTES:
        raise CodeRefused("malformed", _("This is not a 美家 household code."))
    payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(prefix, payload)):
        raise CodeRefused("bad_signature", _("This code was not issued by this system."))
    return prefix, payload


def card_token(household: Household) -> str:
    """The static code printed on the household's card and door plate (current version)."""
    return _encode(_CARD, struct.pack(">IH", household.pk, household.card_version))


def sticker_token(purpose: str, object_id: int) -> str:
    """The static signed code of a sticker on a thing (a toilet, a bin) rather than a household.

    ``purpose`` (a short word such as ``"toilet"``) is signed with the id, so a sticker of one
    kind of thing never reads as another. No personal data is in the token.
    """
    tag = purpose.encode()[:8].ljust(8, b"\0")
    return _encode(_STICKER, tag + struct.pack(">I", object_id))


def sticker_read(purpose: str, text: str) -> int:
    """The object id a sticker code names; raises CodeRefused for a malformed or foreign code."""
    prefix, payload = _decode(text.strip().upper())
    tag = purpose.encode()[:8].ljust(8, b"\0")
    if prefix != _STICKER or len(payload) != 12 or payload[:8] != tag:
        raise CodeRefused("wrong_kind", _("This code is not a sticker of this kind."))
    return struct.unpack(">I", payload[8:])[0]


def phone_code_issue(
    household: Household, *, now: datetime.datetime | None = None
) -> IssuedPhoneCode:
    """A fresh dynamic code for the villager's phone page."""
    now = now or timezone.now()
    expires_at = now + PHONE_CODE_TTL
    for _attempt in range(20):
        nonce = secrets.token_bytes(8)
        digits = f"{secrets.randbelow(10**8):08d}"
        try:
            with transaction.atomic():
                PhoneCode.objects.create(
                    household=household,
                    nonce=nonce.hex(),
                    digits=digits,
                    issued_at=now,
                    expires_at=expires_at,
                )
        except IntegrityError:
            continue  # the 8 digits are taken by a live code: draw again
        payload = nonce + struct.pack(">I", int(now.timestamp()))
        return IssuedPhoneCode(_encode(_PHONE, payload), digits, expires_at)
    raise CodeRefused("busy", _("Could not make a code just now. Please try again."))


def _count_guess(actor: User | None) -> None:
    key = f"codes:guess:{actor.pk if actor else 'anon'}"
    cache.add(key, 0, GUESS_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, GUESS_WINDOW_SECONDS)


def _guessed_too_often(actor: User | None) -> bool:
    return (cache.get(f"codes:guess:{actor.pk if actor else 'anon'}") or 0) >= GUESS_LIMIT


# Every counter scan reads the household this way, in plain SQL: the ORM took longer to build
# the statement (a join and the head of household) than PostgreSQL took to answer it.
_HOUSEHOLD_FIELDS = ("id", "village_id", "group_id", "number", "card_version", "status")
_SQL_HOUSEHOLD = (
    f"SELECT {', '.join('h.' + name for name in _HOUSEHOLD_FIELDS)}, "  # noqa: S608 - our names
    f"{area_columns('v')}, "
    f"(SELECT m.name FROM {Member._meta.db_table} m WHERE m.household_id = h.id "
    "AND m.relation = %s ORDER BY m.id LIMIT 1) "
    f"FROM {Household._meta.db_table} h JOIN {Area._meta.db_table} v ON v.id = h.village_id "
    "WHERE h.id = %s"
)
_SQL_CARD_VERSION = f"SELECT card_version FROM {Household._meta.db_table} WHERE id = %s"  # noqa: S608


def _household(household_id: int) -> Household | None:
    """The household with its village and head of household (for ``masked_name``), one query."""
    with prepared_cursor() as cursor:
        cursor.execute(_SQL_HOUSEHOLD, [Member.Relation.HEAD, household_id])
        row = cursor.fetchone()
    if row is None:
        return None
    size = len(_HOUSEHOLD_FIELDS)
    household = from_row(Household, _HOUSEHOLD_FIELDS, row[:size])
    household.village = area_from_row(row[size:-1])
    head_name = row[-1]
    household.head_cached = (
        None
        if head_name is None
        else Member(household_id=household.pk, name=head_name, relation=Member.Relation.HEAD)
    )
    return household


def _check_household(household: Household) -> Household:
    if household.status != Household.Status.ACTIVE:
        raise CodeRefused("inactive", _("This household is no longer active in the register."))
    return household


def _valid(now: datetime.datetime) -> Q:
    """Phone codes that may be read or spent at ``now``: live, or within their preview's grace."""
    return Q(issued_at__gte=now - PHONE_CODE_TTL) | Q(
        previewed_at__gte=now - PHONE_CODE_CONFIRM_WINDOW
    )


def _expired() -> CodeRefused:
    return CodeRefused("expired", _("This code has expired. Ask the villager to refresh it."))


def _used() -> CodeRefused:
    return CodeRefused("used", _("This code has already been used. Ask for a new one."))


def code_read(
    text: str,
    *,
    actor: User | None = None,
    now: datetime.datetime | None = None,
) -> ScannedCode:
    """Check a scanned token or a typed 8-digit number and name its household. No side effects
    except counting wrong typed numbers, which are limited per person to stop guessing. A phone
    code must be valid (see the module's docstring): live, or within its preview's grace."""
    now = now or timezone.now()
    text = (text or "").strip()
    if text.isdigit():
        return _read_digits(text, actor=actor, now=now)
    prefix, payload = _decode(text)
    if prefix == _CARD:
        if len(payload) != 6:
            raise CodeRefused("malformed", _("This is not a 美家 household code."))
        household_id, version = struct.unpack(">IH", payload)
        household = _household(household_id)
        if household is None:
            raise CodeRefused("unknown", _("This household is not in the register."))
        if version != household.card_version:
            raise CodeRefused(
                "revoked",
                _("This card was reported lost. Please use the new card or the phone code."),
            )
        return ScannedCode(_check_household(household), "card", card_version=version)
    if prefix != _PHONE or len(payload) != 12:
        raise CodeRefused("malformed", _("This is not a 美家 household code."))
    nonce, (issued,) = payload[:8], struct.unpack(">I", payload[8:])
    issued_at = datetime.datetime.fromtimestamp(issued, tz=datetime.UTC)
    if now - issued_at > PHONE_CODE_TTL + PHONE_CODE_CONFIRM_WINDOW:
        raise _expired()  # could not be valid even after a preview: no query
    row = PhoneCode.objects.select_related("household__village").filter(nonce=nonce.hex()).first()
    if row is None:
        raise _expired()
    if row.used_at is not None:
        raise _used()
    live = now - row.issued_at <= PHONE_CODE_TTL
    if not live and (
        row.previewed_at is None or now - row.previewed_at > PHONE_CODE_CONFIRM_WINDOW
    ):
        raise _expired()
    return ScannedCode(_check_household(row.household), "phone", row.issued_at, row.pk)


def _read_digits(text: str, *, actor: User | None, now: datetime.datetime) -> ScannedCode:
    if _guessed_too_often(actor):
        raise CodeRefused(
            "too_many_attempts", _("Too many wrong numbers. Please scan the code instead.")
        )
    row = None
    if len(text) == 8:
        # Only valid codes match a typed number (live, or previewed within the grace), so the
        # numbers a guesser can hit are those of the last minute and of open baskets.
        row = (
            PhoneCode.objects.select_related("household__village")
            .filter(_valid(now), digits=text)
            .first()
        )
    if row is None:
        _count_guess(actor)
        raise CodeRefused("unknown_number", _("No current code has this number. Check and retry."))
    if row.used_at is not None:
        raise _used()
    return ScannedCode(_check_household(row.household), "phone", row.issued_at, row.pk)


def code_household_id(text: str) -> int | None:
    """The household a code was issued to, whatever became of the code since (used, expired,
    card reported lost), or None when the text names none. Only for recognising the retry of a
    request that already spent the code; it never lets a code be used."""
    text = (text or "").strip()
    if text.isdigit():
        if len(text) != 8:
            return None
        rows = PhoneCode.objects.filter(digits=text)
    else:
        try:
            prefix, payload = _decode(text)
        except CodeRefused:
            return None
        if prefix == _CARD:
            return struct.unpack(">IH", payload)[0] if len(payload) == 6 else None
        if prefix != _PHONE or len(payload) != 12:
            return None
        rows = PhoneCode.objects.filter(nonce=payload[:8].hex())
    return rows.values_list("household_id", flat=True).first()


def code_preview_record(scanned: ScannedCode, *, now: datetime.datetime | None = None) -> None:
    """A counter has shown the household behind ``scanned``: a phone code's confirmation grace
    starts now (at its first preview only; previewing again does not extend it). Spends
    nothing; a card code has no grace and nothing is recorded."""
    if scanned.kind != "phone" or scanned.phone_code_id is None:
        return
    PhoneCode.objects.filter(pk=scanned.phone_code_id, previewed_at__isnull=True).update(
        previewed_at=now or timezone.now()
    )


def code_consume(
    scanned: ScannedCode, *, purpose: str, now: datetime.datetime | None = None
) -> None:
    """Spend a scanned code inside the caller's transaction. A phone code is used once; a card
    code is checked against the current card version (it may have been reported lost since)."""
    now = now or timezone.now()
    if scanned.kind == "card":
        with prepared_cursor() as cursor:
            cursor.execute(_SQL_CARD_VERSION, [scanned.household.pk])
            row = cursor.fetchone()
        if row is None or row[0] != scanned.card_version:
            raise CodeRefused(
                "revoked",
                _("This card was reported lost. Please use the new card or the phone code."),
            )
        return
    assert scanned.phone_code_id is not None  # a phone code's scan names its row
    # The conditional UPDATE is the single-use guard: of two concurrent confirmations of one
    # code, the database lets exactly one row change; the other sees zero rows and is refused.
    # It also re-checks validity at the moment of spending: live, or within its preview's grace.
    changed = PhoneCode.objects.filter(
        _valid(now), pk=scanned.phone_code_id, used_at__isnull=True
    ).update(used_at=now, used_for=purpose[:40])
    if changed != 1:
        row = PhoneCode.objects.filter(pk=scanned.phone_code_id).first()
        if row is None or row.used_at is None:
            raise _expired()
        raise _used()


def card_reissue(*, actor: User | None, household: Household, note: str = "") -> int:
    """Reissue the household's card: the version goes up and every older card is refused."""
    with transaction.atomic():
        locked = Household.objects.select_for_update().get(pk=household.pk)
        locked.card_version += 1
        locked.save(update_fields=["card_version", "updated_at"])
        HouseholdEvent.objects.create(
            household=locked,
            kind=HouseholdEvent.Kind.CARD_REISSUED,
            effective_on=timezone.localdate(),
            note=note[:200] or _("Card version %(version)s") % {"version": locked.card_version},
            actor=actor,
        )
    household.card_version = locked.card_version
    return locked.card_version


def phone_codes_purge(*, older_than: datetime.timedelta = datetime.timedelta(hours=1)) -> int:
    """Delete phone codes that expired long enough ago that nobody can confirm them."""
    deleted, _counts = PhoneCode.objects.filter(expires_at__lt=timezone.now() - older_than).delete()
    return deleted
