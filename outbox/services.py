"""Writing messages with their event, and sending them once.

Writing (``message_send``): call it inside the event's own ``transaction.atomic``; it only inserts
rows, so a rolled-back event leaves no message and a committed one cannot be lost to a broker that
is down. Recipients are users (their inbox and their phone), households (their members' phones,
with the account of each phone's owner for the inbox) and bare phone numbers.

Sending (``deliveries_send_due``, Celery beat's ``outbox.tasks.send_due`` every few seconds, and
on commit in eager mode or for ``send_now`` messages): one delivery at a time, each in its own
transaction that holds the delivery's row lock (``SELECT … FOR UPDATE SKIP LOCKED``) while its
channel is called, and marks it sent only after the channel accepted it. Several workers never send
the same delivery; a worker killed between the gateway's answer and its commit leaves the row
pending, so that one message may go twice (the only duplicate possible: at-least-once, by design).
A failed call is retried with back-off (``MAX_ATTEMPTS``), then marked failed with its reason.
"""

import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from outbox.catalogue import CATALOGUE, SMS_VALUE_CHARS, TOPICS, topic_channels
from outbox.exceptions import NoticeError
from outbox.models import Channel, Delivery, Message, Preference
from outbox.sms import sms_deliver
from outbox.wechat import PROVIDER as WECHAT_PROVIDER
from outbox.wechat import WeChatRefused, wechat_deliver, wechat_enabled
from registry.identity import mask_id_number, mask_phone
from registry.models import Area, Household, Member, User
from registry.permissions import Action, Kind
from registry.scoping import areas_visible_to
from registry.sql import prepared_cursor

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# No SMS from QUIET_FROM to QUIET_UNTIL o'clock, local time (settings.TIME_ZONE, Asia/Shanghai),
# and at most SMS_DAILY_CAP a day to one phone, except sign-in codes; held, never dropped.
QUIET_FROM = 21
QUIET_UNTIL = 8
SMS_DAILY_CAP = 10
BACKOFF_FIRST = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(hours=1)
# A full mainland mobile or resident ID number anywhere in the data: masked (PIPL).
_PERSONAL_NUMBER = re.compile(r"(?<!\d)(1[3-9]\d{9}|\d{17}[\dXx])(?!\d)")


class DeliveryRefused(Exception):
    """The channel cannot take this message at all (no phone, no linked account): not retried."""


def message_send(
    *,
    template: str,
    data: dict | None = None,
    users: Iterable[User] = (),
    households: Iterable[Household] | QuerySet[Household] = (),
    phones: Iterable[str] = (),
    channels: Iterable[str] | None = None,
    heads_only: bool = False,
    send_now: bool = False,
    event_key: str = "",
) -> int:
    """Write one message per recipient (and one delivery per outside channel) in the caller's
    transaction; returns the number of messages written.

    ``households`` resolve to their members' phones (only the head's with ``heads_only``); a phone
    that belongs to an account also reaches that account's inbox. A person reached several ways
    gets one message. ``send_now`` (sign-in codes) sends on commit in this process whatever the
    Celery mode; otherwise beat's ``send_due`` sends it within seconds (in eager mode, on commit).
    ``channels`` default to the template's. With ``event_key`` (a reminder, a beat run), a
    recipient who already has a message of that key gets no second one.
    Costs one query to resolve households or phones and one statement for all the rows.
    A full phone or ID number in the data (a reason someone typed) is masked. Raises ValueError
    for an unknown template.
    """
    if template not in CATALOGUE:
        raise ValueError(f"unknown message template {template!r}")
    data = {key: _masked(value) for key, value in (data or {}).items()}
    spec = CATALOGUE[template]
    channels = set(spec.channels if channels is None else channels)
    if (
        households
        and not isinstance(households, QuerySet)
        and not users
        and not phones
        and not wechat_enabled()
    ):
        return _household_messages_insert(
            template=template,
            data=data,
            topic=spec.topic,
            household_ids=[household.pk for household in households],
            heads_only=heads_only,
            inbox=Channel.INBOX in channels,
            by_sms=Channel.SMS in channels,
            event_key=event_key,
            send_now=send_now,
        )
    recipients = []
    for person in _recipients(
        users=users,
        households=households,
        phones=phones,
        heads_only=heads_only,
        topic=spec.topic,
    ):
        by_sms = person.prefers(Channel.SMS, default=Channel.SMS in channels)
        inbox = person.prefers(Channel.INBOX, default=Channel.INBOX in channels)
        by_sms = by_sms and bool(person.phone)
        if by_sms or inbox:
            recipients.append([person.user_id, person.phone, inbox, by_sms, False])
    if not recipients:
        return 0
    if wechat_enabled():
        # Whoever signed in with WeChat gets the text there instead (SMS if WeChat refuses).
        linked = set(
            SocialAccount.objects.filter(
                provider=WECHAT_PROVIDER,
                user_id__in=[row[0] for row in recipients if row[0] and row[3]],
            ).values_list("user_id", flat=True)
        )
        for row in recipients:
            if row[3] and row[0] in linked:
                row[3], row[4] = False, True
    now = timezone.now()
    with prepared_cursor() as cursor:
        cursor.execute(
            _SQL_INSERT,
            [
                template,
                json.dumps(data, cls=DjangoJSONEncoder),
                event_key[:120],
                now,
                [row[0] for row in recipients],
                [row[1] for row in recipients],
                [row[2] for row in recipients],
                [row[3] for row in recipients],
                [row[4] for row in recipients],
                now,
            ],
        )
        written, ids = cursor.fetchone()
    if ids and (send_now or _is_eager()):
        transaction.on_commit(partial(_send_committed, list(ids)), robust=True)
    return written


# The messages and their SMS deliveries in one statement (the counter pays for one round trip);
# a message whose event key the recipient already has is skipped (ON CONFLICT: message_once).
_SQL_INSERT = (
    f"WITH m AS (INSERT INTO {Message._meta.db_table} "  # noqa: S608 - our own tables
    "(template, data, event_key, is_in_inbox, channels, created_at, user_id, phone) "
    "SELECT %s, %s::jsonb, %s, r.inbox, array_remove(ARRAY[CASE WHEN r.inbox THEN 'inbox' END, "
    "CASE WHEN r.sms THEN 'sms' END, CASE WHEN r.wx THEN 'wechat' END], NULL)::varchar[], "
    "%s, r.user_id, r.phone "
    "FROM unnest(%s::bigint[], %s::varchar[], %s::boolean[], %s::boolean[], %s::boolean[]) "
    "AS r(user_id, phone, inbox, sms, wx) ORDER BY r.phone "
    "ON CONFLICT DO NOTHING RETURNING id, channels), "
    f"d AS (INSERT INTO {Delivery._meta.db_table} "
    "(message_id, channel, state, attempts, next_attempt_at, reason) "
    "SELECT id, c.channel, 'pending', 0, %s, '' FROM m, unnest(m.channels) AS c(channel) "
    "WHERE c.channel <> 'inbox' RETURNING id) "
    "SELECT (SELECT count(*) FROM m), COALESCE((SELECT array_agg(id) FROM d), '{}')"
)


# The common case (an event of one household: a redemption, an award) in one call of the
# function in outbox/sql/household_messages_v1.sql: the members' phones, each phone's account and
# its choices for the topic, the messages and their SMS deliveries. The same rules as
# message_send's general path.
_SQL_HOUSEHOLD_INSERT = (
    "SELECT written, delivery_ids FROM meijia_outbox_household_messages("
    "%s, %s::jsonb, %s, %s, %s::bigint[], %s, %s, %s, %s)"
)


def _household_messages_insert(
    *,
    template: str,
    data: dict,
    topic: str,
    household_ids: list[int],
    heads_only: bool,
    inbox: bool,
    by_sms: bool,
    event_key: str,
    send_now: bool,
) -> int:
    with prepared_cursor() as cursor:
        cursor.execute(
            _SQL_HOUSEHOLD_INSERT,
            [
                template,
                json.dumps(data, cls=DjangoJSONEncoder),
                event_key[:120],
                topic or None,
                household_ids,
                heads_only,
                inbox,
                by_sms,
                timezone.now(),
            ],
        )
        written, ids = cursor.fetchone()
    household_messages_written(delivery_ids=ids, send_now=send_now)
    return written


@dataclass(frozen=True)
class HouseholdNotice:
    """A message to one household that its event's writer puts into the event's own statement
    (``points_award(notice=…)``): message_send's ``template``, ``data``, ``event_key`` and
    ``heads_only`` for the event's household."""

    template: str
    data: dict
    event_key: str = ""
    heads_only: bool = False

    def call(self, household_id: int) -> "HouseholdMessageCall | None":
        """The notice as SQL for the event's statement (see household_message_call)."""
        return household_message_call(
            template=self.template,
            data=self.data,
            sql_data={},
            household_id=household_id,
            heads_only=self.heads_only,
            event_key=self.event_key,
        )

    def send(self, household: Household) -> int:
        """The notice through message_send, for when no call can be made (WeChat is on)."""
        return message_send(
            template=self.template,
            data=self.data,
            households=[household],
            heads_only=self.heads_only,
            event_key=self.event_key,
        )


@dataclass(frozen=True)
class HouseholdMessageCall:
    """``sql``: a call of the household write, to be run in a caller's own statement (FROM
    ``sql`` AS alias: one row of written, delivery_ids), with its ``params`` (``%s`` style)."""

    sql: str
    params: list

    def column(self, *, when: str) -> str:
        """A column for the caller's SELECT list: the deliveries' ids, the call made only when
        ``when`` (SQL over the event's own row: new, not refused) holds. CASE runs it only then;
        a lateral join's condition would not keep PostgreSQL from calling it for a retry."""
        return f"CASE WHEN {when} THEN (SELECT o.delivery_ids FROM {self.sql} AS o) END"  # noqa: S608


def household_message_call(
    *,
    template: str,
    data: dict,
    sql_data: dict[str, str],
    household_id: int,
    heads_only: bool = False,
    event_key: str = "",
) -> HouseholdMessageCall | None:
    """message_send for one household, as SQL for the statement of its event (the counter pays
    for one round trip, not two): the same rules, template check and masking. ``sql_data`` adds
    values the caller's statement computes ({key: SQL expression}, e.g. the points a redemption
    spent). The caller runs it in the event's transaction, only when the event happened, and then
    passes the deliveries' ids to :func:`household_messages_written`. None when message_send's
    general path is needed (WeChat is on): call message_send instead."""
    if template not in CATALOGUE:
        raise ValueError(f"unknown message template {template!r}")
    if wechat_enabled():
        return None
    spec = CATALOGUE[template]
    data = {key: _masked(value) for key, value in data.items()}
    extra = ", ".join(f"'{key}', {expression}" for key, expression in sql_data.items())
    data_sql = "%s::jsonb || jsonb_build_object(" + extra + ")" if extra else "%s::jsonb"
    return HouseholdMessageCall(
        sql=(
            "meijia_outbox_household_messages(%s, "
            + data_sql
            + ", %s, %s, ARRAY[%s]::bigint[], %s, %s, %s, %s)"
        ),
        params=[
            template,
            json.dumps(data, cls=DjangoJSONEncoder),
            event_key[:120],
            spec.topic or None,
            household_id,
            heads_only,
            Channel.INBOX in spec.channels,
            Channel.SMS in spec.channels,
            timezone.now(),
        ],
    )


def household_messages_written(
    *, delivery_ids: Sequence[int] | None, send_now: bool = False
) -> None:
    """After the household write: its deliveries are sent on commit in eager mode (development)
    or for ``send_now`` messages; otherwise Celery beat's ``send_due`` sends them."""
    if delivery_ids and (send_now or _is_eager()):
        transaction.on_commit(partial(_send_committed, list(delivery_ids)), robust=True)


def _masked(value: object) -> object:
    if not isinstance(value, str):
        return value
    return _PERSONAL_NUMBER.sub(
        lambda found: (mask_phone if len(found.group()) == 11 else mask_id_number)(found.group()),
        value,
    )


@dataclass(frozen=True)
class _Recipient:
    user_id: int | None
    phone: str
    # The person's own choices for this topic: {channel: wanted}; empty means the defaults.
    choices: dict[str, bool]

    def prefers(self, channel: str, *, default: bool) -> bool:
        return self.choices.get(channel, default)


def _recipients(
    *,
    users: Iterable[User],
    households: Iterable[Household] | QuerySet[Household],
    phones: Iterable[str],
    heads_only: bool,
    topic: str,
) -> list[_Recipient]:
    """Each distinct person with their choices for ``topic``; one query for households (their
    members' phones, each phone's account and its choices) and one for users' choices."""
    users = list(users)
    choices: dict[int, dict[str, bool]] = {}
    if topic and users:
        for user_id, channel, is_wanted in Preference.objects.filter(
            user__in=users, topic=topic
        ).values_list("user_id", "channel", "is_wanted"):
            choices.setdefault(user_id, {})[channel] = is_wanted
    found: dict[object, _Recipient] = {}
    for user in users:
        found[("user", user.pk)] = _Recipient(user.pk, user.phone or "", choices.get(user.pk, {}))
    reached = {person.phone for person in found.values() if person.phone}
    if not isinstance(households, QuerySet):
        households = [household.pk for household in households]
    bare = {phone for phone in phones if phone} - reached
    owners = User.objects.filter(phone=OuterRef("phone"), is_active=True)
    rows: list[tuple[str, int | None, bool | None, bool | None]] = []
    if isinstance(households, QuerySet) or households:
        members = Member.objects.filter(household__in=households).exclude(phone="")
        if heads_only:
            members = members.filter(relation=Member.Relation.HEAD)

        def choice(channel: str) -> Subquery:
            return Subquery(
                Preference.objects.filter(
                    user__phone=OuterRef("phone"),
                    user__is_active=True,
                    topic=topic,
                    channel=channel,
                ).values("is_wanted")[:1]
            )

        members = members.annotate(owner_id=Subquery(owners.values("pk")[:1]))
        if topic:
            members = members.annotate(sms=choice(Channel.SMS), inbox=choice(Channel.INBOX))
            rows += members.values_list("phone", "owner_id", "sms", "inbox")
        else:
            rows += [(p, o, None, None) for p, o in members.values_list("phone", "owner_id")]
    if bare:
        by_phone = dict(
            User.objects.filter(phone__in=bare, is_active=True).values_list("phone", "pk")
        )
        rows += [(phone, by_phone.get(phone), None, None) for phone in bare]
    for phone, owner_id, sms, inbox in sorted(rows, key=lambda row: row[0]):
        if phone in reached:
            continue
        chosen: dict[str, bool] = {
            channel: wanted
            for channel, wanted in ((Channel.SMS, sms), (Channel.INBOX, inbox))
            if wanted is not None
        }
        key = ("user", owner_id) if owner_id else ("phone", phone)
        if key not in found:
            found[key] = _Recipient(owner_id, phone, chosen)
    return list(found.values())


PREFERENCE_CHANNELS = (Channel.INBOX, Channel.SMS)

# --- Notices to every household of an area ----------------------------------------------------

NOTICE_MAX_CHARS = 56  # with "【美家】青禾镇：" it stays one SMS
# Above this many households a send must repeat the previewed count to go out.
NOTICE_LARGE = 200


@dataclass(frozen=True)
class NoticeReach:
    households: int
    phones: int

    @property
    def is_large(self) -> bool:
        return self.households > NOTICE_LARGE


def notice_areas(*, actor: User) -> QuerySet[Area]:
    """The district, towns and villages an administrator may write to."""
    return areas_visible_to(actor, kind=Kind.NOTICE, action=Action.WRITE).exclude(
        level=Area.Level.GROUP
    )


def _notice_households(area: Area) -> QuerySet[Household]:
    return Household.objects.filter(
        village__path__startswith=area.path, status=Household.Status.ACTIVE
    )


def notice_reach(*, area: Area) -> NoticeReach:
    """How many active households of ``area`` a notice reaches, and by how many phones."""
    households = _notice_households(area)
    phones = (
        Member.objects.filter(household__in=households)
        .exclude(phone="")
        .values("phone")
        .distinct()
        .count()
    )
    return NoticeReach(households=households.count(), phones=phones)


def area_notice_send(
    *, actor: User, area: Area, text: str, key: str, confirmed_households: int | None = None
) -> int:
    """Write a notice (inbox and SMS) to every member with a phone of every active household of
    ``area``, in one transaction; returns the messages written. The same ``key`` (the preview's)
    sends once however often it is posted. A large send (``NOTICE_LARGE``) goes out only when
    ``confirmed_households`` repeats the count the sender was shown.
    Raises NoticeError: not_allowed, text_required, text_too_long, confirm_required."""
    if not notice_areas(actor=actor).filter(pk=area.pk).exists():
        raise NoticeError("not_allowed", _("You cannot send notices to this area."))
    text = " ".join(text.replace("\x00", "").split())
    if not text:
        raise NoticeError("text_required", _("Write the notice."))
    if len(text) > NOTICE_MAX_CHARS:
        raise NoticeError(
            "text_too_long",
            _("A notice is at most %(count)s characters.") % {"count": NOTICE_MAX_CHARS},
        )
    reach = notice_reach(area=area)
    if reach.is_large and confirmed_households != reach.households:
        raise NoticeError(
            "confirm_required",
            _("Confirm that the notice goes to %(count)s households.")
            % {"count": reach.households},
        )
    with transaction.atomic():
        return message_send(
            template="notice.area",
            data={"sender": area.name, "text": text},
            households=_notice_households(area),
            event_key=f"notice:{key[:64]}",
        )


CLAIM_DAYS = 90


def inbox_claim(*, user: User) -> int:
    """Messages written to ``user``'s verified phone before the phone had this account (a
    villager's first sign-in) join the account's inbox; returns how many. Only the last
    CLAIM_DAYS days, and only messages that wanted the inbox."""
    if not user.phone or not user.phone_verified:
        return 0
    return Message.objects.filter(
        user__isnull=True,
        phone=user.phone,
        is_in_inbox=True,
        created_at__gte=timezone.now() - dt.timedelta(days=CLAIM_DAYS),
    ).update(user=user)


def preferences_get(*, user: User) -> dict[tuple[str, str], bool]:
    """{(topic, channel): wanted} for every topic and channel a person may choose."""
    chosen = {
        (topic, channel): is_wanted
        for topic, channel, is_wanted in Preference.objects.filter(user=user).values_list(
            "topic", "channel", "is_wanted"
        )
    }
    return {
        (topic, channel): chosen.get((topic, channel), channel in topic_channels(topic))
        for topic in TOPICS
        for channel in PREFERENCE_CHANNELS
    }


def preferences_save(*, user: User, wanted: set[tuple[str, str]]) -> None:
    """Keep the person's choice for every topic and channel: wanted if in ``wanted``."""
    with transaction.atomic():
        for topic in TOPICS:
            for channel in PREFERENCE_CHANNELS:
                Preference.objects.update_or_create(
                    user=user,
                    topic=topic,
                    channel=channel,
                    defaults={"is_wanted": (topic, channel) in wanted},
                )


def inbox_mark_read(*, user: User, message_id: int | None = None) -> int:
    """Mark one of ``user``'s inbox messages (or all of them) read; returns how many changed.
    Another person's message id changes nothing."""
    unread = Message.objects.filter(user=user, is_in_inbox=True, read_at__isnull=True)
    if message_id is not None:
        unread = unread.filter(pk=message_id)
    return unread.update(read_at=timezone.now())


def _is_eager() -> bool:
    from outbox.tasks import send_due

    return bool(send_due.app.conf.task_always_eager)


def _send_committed(ids: list[int]) -> None:
    deliveries_send_due(ids=ids)


# --- Sending ------------------------------------------------------------------------------------


class _Values(dict):
    """Template data where a missing value (a wiped secret, an old row) reads as an ellipsis."""

    def __missing__(self, key: str) -> str:
        return "…"


def message_text(*, message: Message, clip: bool = False) -> str:
    """The message's text in the active language; ``clip`` shortens long names to fit an SMS."""
    template = CATALOGUE.get(message.template)
    if template is None:
        return ""
    values = _Values(sign=settings.SMS_SIGN_NAME)  # type: ignore[misc]  # env(); unseen by django-stubs
    for key, value in (message.data or {}).items():
        if clip and key in template.clip and len(str(value)) > SMS_VALUE_CHARS:
            value = str(value)[: SMS_VALUE_CHARS - 1] + "…"
        values[key] = value
    return str(template.text) % values


def message_title(*, message: Message) -> str:
    template = CATALOGUE.get(message.template)
    return str(template.title) if template else ""


def _send_sms(*, message: Message, text: str) -> None:
    if not message.phone:
        raise DeliveryRefused("no phone number")
    sms_deliver(phone=message.phone, text=text)


def _send_wechat(*, message: Message, text: str) -> None:
    openid = (
        SocialAccount.objects.filter(user_id=message.user_id, provider=WECHAT_PROVIDER)
        .values_list("uid", flat=True)
        .first()
    )
    if not openid or not wechat_enabled():
        raise DeliveryRefused("no WeChat account")
    try:
        wechat_deliver(openid=openid, title=message_title(message=message), text=text)
    except WeChatRefused as refused:
        raise DeliveryRefused(str(refused)) from refused


SENDERS: dict[str, Callable[..., None]] = {Channel.SMS: _send_sms, Channel.WECHAT: _send_wechat}


def _backoff(attempts: int) -> dt.timedelta:
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def deliveries_send_due(
    *, limit: int = 500, ids: Sequence[int] | None = None, now: dt.datetime | None = None
) -> int:
    """Send up to ``limit`` due deliveries (only ``ids`` when given); returns how many were sent.

    Each delivery is claimed, sent and marked in its own transaction, holding only its own row's
    lock; rows another worker holds are skipped, never waited for.
    """
    now = now or timezone.now()
    sent = 0
    for _index in range(limit):
        with transaction.atomic():
            due = (
                Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("message")
                .filter(state=Delivery.State.PENDING, next_attempt_at__lte=now)
            )
            if ids is not None:
                due = due.filter(pk__in=ids)
            delivery = due.order_by("next_attempt_at", "id").first()
            if delivery is None:
                break
            sent += _deliver(delivery, now=now)
    return sent


def _next_morning(now: dt.datetime) -> dt.datetime:
    """QUIET_UNTIL o'clock local time (Asia/Shanghai), today or tomorrow, whichever is next."""
    local = timezone.localtime(now)
    morning = local.replace(hour=QUIET_UNTIL, minute=0, second=0, microsecond=0)
    if morning <= local:
        morning += dt.timedelta(days=1)
    return morning


def _hold_until(delivery: Delivery, *, now: dt.datetime) -> tuple[dt.datetime, str] | None:
    """When an SMS must wait: quiet hours (QUIET_FROM to QUIET_UNTIL, local time) hold it until
    the morning; a phone that has had SMS_DAILY_CAP texts today gets the rest tomorrow morning.
    Sign-in codes never wait. The phone is locked (an advisory lock for this transaction) so
    that racing workers count its texts exactly."""
    message = delivery.message
    if delivery.channel != Channel.SMS or CATALOGUE[message.template].is_urgent:
        return None
    local = timezone.localtime(now)
    if local.hour >= QUIET_FROM or local.hour < QUIET_UNTIL:
        return _next_morning(now), "quiet hours"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"sms:{message.phone}"])
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    sent_today = Delivery.objects.filter(
        channel=Channel.SMS,
        state=Delivery.State.SENT,
        sent_at__gte=day_start,
        message__phone=message.phone,
    ).count()
    if sent_today >= SMS_DAILY_CAP:
        return _next_morning(now), "daily cap"
    return None


def _deliver(delivery: Delivery, *, now: dt.datetime) -> int:
    message = delivery.message
    if message.template in CATALOGUE:
        held = _hold_until(delivery, now=now)
        if held is not None:
            delivery.next_attempt_at, delivery.reason = held
            delivery.save(update_fields=["next_attempt_at", "reason"])
            return 0
    delivery.attempts += 1
    try:
        with translation.override(settings.LANGUAGE_CODE):
            text = message_text(message=message, clip=True)
        if not text:
            raise DeliveryRefused(f"unknown template {message.template}")
        SENDERS[delivery.channel](message=message, text=text)
    except DeliveryRefused as refused:
        _finish(delivery, state=Delivery.State.FAILED, reason=str(refused))
        return 0
    except Exception as error:  # noqa: BLE001 - any failure of a channel is retried, then kept
        reason = (str(error) or error.__class__.__name__)[:200]
        logger.warning(
            "outbox: %s to %s failed (attempt %s): %s",
            delivery.channel,
            mask_phone(message.phone),
            delivery.attempts,
            reason,
        )
        if delivery.attempts >= MAX_ATTEMPTS:
            _finish(delivery, state=Delivery.State.FAILED, reason=reason)
        else:
            delivery.next_attempt_at = now + _backoff(delivery.attempts)
            delivery.reason = reason
            delivery.save(update_fields=["attempts", "next_attempt_at", "reason"])
        return 0
    delivery.sent_at = now  # the run's clock, which the daily cap counts by
    _finish(delivery, state=Delivery.State.SENT, reason="")
    return 1


def _finish(delivery: Delivery, *, state: str, reason: str) -> None:
    delivery.state = state
    delivery.reason = reason[:200]
    delivery.save(update_fields=["state", "reason", "attempts", "sent_at"])
    message = delivery.message
    if state == Delivery.State.FAILED and delivery.channel == Channel.WECHAT and message.phone:
        # WeChat gave up on this person: the text goes by SMS instead (once: one per channel).
        Delivery.objects.get_or_create(
            message=message,
            channel=Channel.SMS,
            defaults={"next_attempt_at": delivery.next_attempt_at},  # due now, in this run
        )
    secret = (
        CATALOGUE[delivery.message.template].secret
        if delivery.message.template in (CATALOGUE)
        else ()
    )
    if secret:
        data = {k: v for k, v in delivery.message.data.items() if k not in secret}
        Message.objects.filter(pk=delivery.message_id).update(data=data)
