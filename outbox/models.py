"""Messages to people, and their delivery on each channel.

A ``Message`` is written in the transaction of the event that causes it (``message_send``): what
(a template key from ``outbox.catalogue`` and its data), to whom (a user and/or a phone). Shown in
the user's inbox when ``is_in_inbox``. Each outside channel (SMS, WeChat) gets one ``Delivery`` row
with its own state, attempts and next attempt time: the sender marks a delivery sent only after
its channel accepted it (``outbox.services.deliveries_send_due``).
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.fields import PhoneNumberField
from registry.identity import mask_phone


class Channel(models.TextChoices):
    INBOX = "inbox", _("Inbox")
    SMS = "sms", _("Text message")
    WECHAT = "wechat", _("WeChat")


class Message(models.Model):
    template = models.CharField(_("template"), max_length=60)
    data = models.JSONField(_("data"), default=dict, blank=True)
    # Set by events that may be announced again (a beat run, a retry): once per recipient.
    event_key = models.CharField(_("event key"), max_length=120, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("user"),
    )
    phone = PhoneNumberField(_("mobile phone"), blank=True)
    # Wanted in the inbox: shown to ``user``, or, while the phone has no account yet, claimed by
    # the account that signs in with this phone (``inbox_claim``).
    is_in_inbox = models.BooleanField(_("in the inbox"), default=False)
    # The channels chosen when it was written (the person's preferences applied).
    channels = ArrayField(
        models.CharField(max_length=10, choices=Channel.choices),
        verbose_name=_("channels"),
        default=list,
        blank=True,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            # Sent-today counts per phone (the daily cap) and claiming a phone's messages.
            models.Index(fields=["phone"], condition=~Q(phone=""), name="message_phone"),
            models.Index(
                fields=["user", "-created_at"],
                condition=Q(is_in_inbox=True),
                name="message_inbox",
            ),
            # The bell's count: a signed-in user's unread messages, from this index alone.
            models.Index(
                fields=["user"],
                condition=Q(is_in_inbox=True, read_at__isnull=True),
                name="message_unread",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "user", "phone"],
                condition=~Q(event_key=""),
                nulls_distinct=False,
                name="message_once",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(phone=""), name="message_has_recipient"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.user_id or mask_phone(self.phone)}"


class Delivery(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    # No index of its own: one_delivery_per_channel (message, channel) serves the look-ups.
    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("message"),
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["message", "channel"], name="one_delivery_per_channel"),
            models.CheckConstraint(condition=~Q(channel="inbox"), name="inbox_needs_no_delivery"),
        ]
        indexes = [
            # What the sender claims: pending rows by due time, nothing else.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(state="pending"),
                name="delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.state}"


class Preference(models.Model):
    """A person's choice of a channel for a topic of messages (``outbox.catalogue.TOPICS``);
    without a row the topic's default holds. Sign-in codes have no topic: always sent."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="message_preferences",
        verbose_name=_("user"),
    )
    topic = models.CharField(_("topic"), max_length=30)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    is_wanted = models.BooleanField(_("wanted"))

    class Meta:
        verbose_name = _("message preference")
        verbose_name_plural = _("message preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "topic", "channel"], name="one_preference"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.channel} {self.is_wanted}"
