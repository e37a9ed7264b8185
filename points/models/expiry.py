"""When points expire (积分有效期): a policy per district, and the notices sent before expiry.

Points are spent oldest first. Each award (any positive posting) is a lot dated by the local day it
was recorded; the policy gives every lot its expiry date. ``points/services/expiry.py`` works out
what is unspent and runs the daily expiry and the 30-day notices.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

NOTICE_DAYS = 30


def _notice_period_from_today() -> dt.date:
    """By default no point expires before households could be told (30 days from today)."""
    return timezone.localdate() + dt.timedelta(days=NOTICE_DAYS)


class ExpiryPolicy(models.Model):
    """How a district's points expire: never, once a year on a date, or N months after earning."""

    class Mode(models.TextChoices):
        NONE = "none", _("Points do not expire")
        YEARLY = "yearly", _("Once a year, on a chosen date")
        ROLLING = "rolling", _("A number of months after they were earned")

    district = models.OneToOneField(
        "registry.Area",
        on_delete=models.PROTECT,
        related_name="expiry_policy",
        limit_choices_to={"level": "district"},
        verbose_name=_("district"),
    )
    mode = models.CharField(_("expiry"), max_length=8, choices=Mode.choices, default=Mode.NONE)
    month = models.PositiveSmallIntegerField(
        _("month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("Once a year: points earned in one year expire on this date of the next year."),
    )
    day = models.PositiveSmallIntegerField(
        _("day"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    months = models.PositiveSmallIntegerField(
        _("months"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_(
            "After earning: points expire this many months after the day they were earned."
        ),
    )
    starts_on = models.DateField(
        _("no points expire before"),
        default=_notice_period_from_today,
        help_text=_("Households are told 30 days before their points expire."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_area_field = "district__path"

    class Meta:
        verbose_name = _("points expiry policy")
        verbose_name_plural = _("points expiry policies")
        constraints = [
            models.CheckConstraint(
                condition=~Q(mode="yearly")
                | Q(month__gte=1, month__lte=12, day__gte=1, day__lte=31),
                name="yearly_expiry_has_a_date",
            ),
            models.CheckConstraint(
                condition=~Q(mode="rolling") | Q(months__gte=1),
                name="rolling_expiry_has_months",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.district} · {self.get_mode_display()}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.district_id and self.district.level != "district":
            errors["district"] = _("An expiry policy belongs to a district.")
        if self.mode == self.Mode.YEARLY:
            if self.month is None or self.day is None:
                errors["day"] = _("Choose the month and day on which points expire.")
            else:
                try:
                    dt.date(2000, self.month, self.day)  # a leap year: 29 February is allowed
                except ValueError:
                    errors["day"] = _("This month has no such day.")
        elif self.mode == self.Mode.ROLLING and (self.months is None or self.months < 1):
            errors["months"] = _("Points expire at least one month after they were earned.")
        if errors:
            raise ValidationError(errors)

    def expires_on(self, earned_on: dt.date) -> dt.date | None:
        """The day on which points earned on ``earned_on`` expire (None: they do not)."""
        if self.mode == self.Mode.YEARLY:
            natural = _clamped(earned_on.year + 1, self.month, self.day)
        elif self.mode == self.Mode.ROLLING:
            month_index = earned_on.month - 1 + self.months
            natural = _clamped(
                earned_on.year + month_index // 12, month_index % 12 + 1, earned_on.day
            )
        else:
            return None
        # Never earlier than ``starts_on``, so a new policy cannot expire points unannounced.
        return max(natural, self.starts_on)


def _clamped(year: int, month: int, day: int) -> dt.date:
    """The date, or the month's last day when it is shorter (31 April → 30 April)."""
    while True:
        try:
            return dt.date(year, month, day)
        except ValueError:
            day -= 1


class ExpiryNotice(models.Model):
    """A household was told (by text message) that points expire on ``expires_on``. Sent once."""

    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.PROTECT,
        related_name="expiry_notices",
        verbose_name=_("household"),
    )
    expires_on = models.DateField(_("expires on"))
    points = models.PositiveIntegerField(_("points"))
    recipients = models.PositiveSmallIntegerField(_("phones texted"), default=0)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    scope_area_field = "household__village__path"
    scope_household_field = "household_id"

    class Meta:
        verbose_name = _("expiry notice")
        verbose_name_plural = _("expiry notices")
        ordering = ["-expires_on", "household_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "expires_on"], name="one_expiry_notice_per_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} · {self.expires_on} · {self.points}"
