"""Indicators (what is measured, DHIS2-style: data, not code) and their figures (the roll-ups)."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Period(models.TextChoices):
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class Indicator(models.Model):
    """What is measured: a name, a unit, how the figure is made, a target and colour thresholds.

    A computed indicator's ``code`` names a function in ``assessment.indicators.COMPUTED`` (set-
    based: every village of the district for one period at once). An entered indicator's figure
    is typed in by the village once a year, with evidence, and approved level by level.

    Every figure is ``numerator`` over ``denominator`` so it rolls up the area tree by summing
    both: a rate is ``100 × n / d`` (households checked ÷ households), a mean ``n / d`` (stars
    ÷ results; an entered figure is its value over 1, so a town's is the mean of its villages),
    a total ``n``. An entered rate is a percentage already, so it rolls up as a mean.
    """

    class Source(models.TextChoices):
        COMPUTED = "computed", _("Computed from the platform's records")
        ENTERED = "entered", _("Entered by the village with evidence")

    class Aggregation(models.TextChoices):
        RATE = "rate", _("Rate (%)")
        MEAN = "mean", _("Mean")
        TOTAL = "total", _("Total")

    class Direction(models.TextChoices):
        HIGHER = "higher", _("Higher is better")
        LOWER = "lower", _("Lower is better")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    unit = models.CharField(_("unit"), max_length=12, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    aggregation = models.CharField(_("aggregation"), max_length=6, choices=Aggregation.choices)
    direction = models.CharField(
        _("direction"), max_length=6, choices=Direction.choices, default=Direction.HIGHER
    )
    target = models.DecimalField(
        _("target"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    warning = models.DecimalField(
        _("warning threshold"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Between this and the target the figure shows amber; beyond it, red."),
    )
    description = models.CharField(_("how it is made"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def value_of(self, numerator: Decimal, denominator: Decimal | None) -> Decimal | None:
        """The figure from its two sums (None when there is nothing to divide by)."""
        if self.aggregation == self.Aggregation.TOTAL:
            return Decimal(numerator)
        if not denominator:
            return None
        # an entered rate is already a percentage: its roll-up is the villages' mean
        computed_rate = (
            self.aggregation == self.Aggregation.RATE and self.source == self.Source.COMPUTED
        )
        scale = 100 if computed_rate else 1
        return (Decimal(numerator) * scale / Decimal(denominator)).quantize(Decimal("0.01"))

    def colour(self, value: Decimal | None) -> str:
        """green (target met), amber (within the warning threshold), red, or grey (no figure or
        no target)."""
        if value is None or self.target is None:
            return "grey"
        higher = self.direction == self.Direction.HIGHER
        if (value >= self.target) if higher else (value <= self.target):
            return "green"
        if self.warning is not None and (
            (value >= self.warning) if higher else (value <= self.warning)
        ):
            return "amber"
        return "red"

    def attainment(self, value: Decimal | None) -> Decimal | None:
        """How much of the target ``value`` reaches, 0 to 1 (for scores)."""
        if value is None or self.target is None:
            return None
        if self.direction == self.Direction.HIGHER:
            if self.target <= 0:
                return Decimal(1)
            return min(Decimal(value) / self.target, Decimal(1)).max(Decimal(0))
        if value <= self.target:
            return Decimal(1)
        return (self.target / Decimal(value)) if value else Decimal(1)


class Figure(models.Model):
    """One indicator's figure for one area and one period: the aggregate table dashboards read.

    Written only by ``assessment.services.figures_roll_up`` (the daily beat task and the demo),
    never by hand; ``computed_at`` is what a dashboard shows as "last computed".
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="figures")
    area = models.ForeignKey("registry.Area", on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    starts_on = models.DateField(_("period from"))
    numerator = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    denominator = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    value = models.DecimalField(_("figure"), max_digits=14, decimal_places=2, null=True)
    computed_at = models.DateTimeField(_("computed at"))

    scope_area_field = "area__path"

    class Meta:
        verbose_name = _("figure")
        verbose_name_plural = _("figures")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "period", "starts_on", "indicator"], name="one_figure_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.area_id} {self.period} {self.starts_on}: {self.value}"


class RollupRun(models.Model):
    """One run of the roll-up: when, which periods, how many figures (the dashboard's "last
    computed")."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    periods = models.JSONField(default=list)
    figure_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("roll-up run")
        verbose_name_plural = _("roll-up runs")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=models.F("started_at")),
                name="rollup_finishes_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}"


class AreaPlace(models.Model):
    """Where an area is drawn on the dashboard's map (a plain projection, no online tiles)."""

    area = models.OneToOneField(
        "registry.Area", on_delete=models.CASCADE, related_name="+", verbose_name=_("area")
    )
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)

    scope_area_field = "area__path"

    class Meta:
        verbose_name = _("place on the map")
        verbose_name_plural = _("places on the map")

    def __str__(self) -> str:
        return f"{self.area_id} ({self.latitude}, {self.longitude})"
