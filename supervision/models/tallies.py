"""Campaign tallies (五清一改 and the like): a district's campaign with its measures (三大堆 cleared,
in places; garbage, in tonnes …), a target per town per measure, and the villages' weekly reports
(one quantity per measure, with photos) that the town approves or sends back.

A report carries its village's town (``town``) so that totals by town are one GROUP BY, and the
client's ``key`` (unique) so that a double tap or a replayed submission never counts twice.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TallyCampaign(models.Model):
    """A push of the district (a winter clean-up to 清明): its weeks run from ``starts_on`` to
    ``ends_on``."""

    district = models.ForeignKey(
        "registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    name = models.CharField(_("name"), max_length=80)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    is_active = models.BooleanField(_("in use"), default=True)

    scope_area_field = "district__path"
    scope_kind = "tally"

    class Meta:
        verbose_name = _("tally campaign")
        verbose_name_plural = _("tally campaigns")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="tally_campaign_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Measure(models.Model):
    """One thing a campaign counts, in one unit (处, 吨, m², 户 …)."""

    campaign = models.ForeignKey(
        TallyCampaign, on_delete=models.CASCADE, related_name="measures", verbose_name=_("campaign")
    )
    name = models.CharField(_("measure"), max_length=60)
    unit = models.CharField(_("unit"), max_length=10)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    scope_area_field = "campaign__district__path"
    scope_kind = "tally"

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.name}（{self.unit}）"


class TallyTarget(models.Model):
    """What a town is to reach on one measure by the campaign's end."""

    measure = models.ForeignKey(
        Measure, on_delete=models.CASCADE, related_name="targets", verbose_name=_("measure")
    )
    town = models.ForeignKey(
        "registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("town")
    )
    quantity = models.DecimalField(_("target"), max_digits=12, decimal_places=2)

    scope_area_field = "town__path"
    scope_kind = "tally"

    class Meta:
        verbose_name = _("tally target")
        verbose_name_plural = _("tally targets")
        constraints = [
            models.UniqueConstraint(fields=["measure", "town"], name="tally_target_once"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="tally_target_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.town} · {self.measure}: {self.quantity}"


class TallyReport(models.Model):
    """A village's quantities for one week of a campaign (the week starts on ``week_on``, a
    Monday). Submitted, then approved or sent back by the town; a sent-back report is corrected
    and submitted again."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("waiting for review")
        APPROVED = "approved", _("approved")
        SENT_BACK = "sent_back", _("sent back")

    campaign = models.ForeignKey(
        TallyCampaign, on_delete=models.PROTECT, related_name="reports", verbose_name=_("campaign")
    )
    village = models.ForeignKey(
        "registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    town = models.ForeignKey(
        "registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("town")
    )
    week_on = models.DateField(_("week of"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    key = models.CharField(max_length=64, unique=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    photos = models.ManyToManyField("points.Photo", blank=True, related_name="+")

    scope_area_field = "village__path"
    scope_kind = "tally"

    class Meta:
        verbose_name = _("tally report")
        verbose_name_plural = _("tally reports")
        ordering = ["-week_on", "-pk"]
        indexes = [models.Index(fields=["campaign", "town", "status"])]

    def __str__(self) -> str:
        return f"{self.village} · {self.week_on:%Y-%m-%d}"


class TallyLine(models.Model):
    """One measure's quantity in a report."""

    report = models.ForeignKey(TallyReport, on_delete=models.CASCADE, related_name="lines")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "measure"], name="tally_line_once"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=Decimal(0)), name="tally_line_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure_id}: {self.quantity}"
