"""Assessment schemes (weighted indicators, kept by the district), the scores and rankings they
give, and the monthly red and black lists (红黑榜)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel

from .indicators import Period


class Scheme(ClusterableModel):
    """The weighted indicators a period's scores are made of; the newest scheme whose
    ``valid_from`` is on or before a period's start is the one in force."""

    district = models.ForeignKey(
        "registry.Area",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "district"},
        verbose_name=_("district"),
    )
    name = models.CharField(_("name"), max_length=60)
    valid_from = models.DateField(_("in force from"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_area_field = "district__path"

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        ordering = ["-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["district", "valid_from"], name="one_scheme_per_start")
        ]

    def __str__(self) -> str:
        return self.name


class SchemeItem(models.Model):
    scheme = ParentalKey(Scheme, on_delete=models.CASCADE, related_name="items")
    indicator = models.ForeignKey(
        "assessment.Indicator", on_delete=models.PROTECT, related_name="+"
    )
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2)

    panels = [FieldRowPanel([FieldPanel("indicator"), FieldPanel("weight")])]

    class Meta:
        verbose_name = _("weighted indicator")
        verbose_name_plural = _("weighted indicators")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "indicator"], name="indicator_once_a_scheme"),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} × {self.weight}"


class Score(models.Model):
    """An area's score for a period under the scheme in force, its rank among its siblings
    (villages within their town, towns within the district) and the previous period's score."""

    area = models.ForeignKey("registry.Area", on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    starts_on = models.DateField(_("period from"))
    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="scores")
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    rank = models.PositiveIntegerField(_("rank"))
    rank_of = models.PositiveIntegerField(_("ranked among"))
    district_rank = models.PositiveIntegerField(_("rank in the district"))
    previous_score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    scope_area_field = "area__path"

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "period", "starts_on"], name="one_score_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area_id} {self.starts_on}: {self.score}"

    @property
    def change(self):
        return None if self.previous_score is None else self.score - self.previous_score


class RankingList(models.Model):
    """A month's red and black lists of a district's villages (红黑榜); published on the campaign
    site once the district approves it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Waiting for the district")
        APPROVED = "approved", _("Approved and published")

    district = models.ForeignKey(
        "registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    month = models.DateField(_("month"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    drafted_at = models.DateTimeField(_("drafted at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    scope_area_field = "district__path"

    class Meta:
        verbose_name = _("red and black list")
        verbose_name_plural = _("red and black lists")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["district", "month"], name="one_list_per_month"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="list_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.district_id} {self.month:%Y-%m}"


class RankingEntry(models.Model):
    class Colour(models.TextChoices):
        RED = "red", _("Red list")
        BLACK = "black", _("Black list")

    ranking_list = models.ForeignKey(RankingList, on_delete=models.CASCADE, related_name="entries")
    village = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    colour = models.CharField(_("list"), max_length=5, choices=Colour.choices)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    fault = models.CharField(_("fault"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")
        ordering = ["colour", "-score"]
        constraints = [
            models.UniqueConstraint(fields=["ranking_list", "village"], name="village_once_a_list"),
            models.CheckConstraint(
                condition=~models.Q(colour="black", fault=""), name="black_entry_names_fault"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.colour} {self.village_id}"
