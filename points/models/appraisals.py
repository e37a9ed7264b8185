"""Courtyard appraisals (美家美院评比), commendations (评比表彰) and objections (异议).

Both end the same way: verified (appraisal) or approved by the town (commendation), then a
publicity period (公示) in which villagers may object; an open objection holds that household's
points; when the period ends, points go to every household without an open objection.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

DEFAULT_PUBLICITY_DAYS = 7


class AppraisalCampaign(models.Model):
    """An appraisal of a village's households for a period (a month or a quarter) with a rubric:
    criteria with maximum scores and star levels by total, each worth some points."""

    class Status(models.TextChoices):
        SCORING = "scoring", _("Scoring")
        PUBLICITY = "publicity", _("In publicity")
        CLOSED = "closed", _("Closed")

    village = models.ForeignKey(
        "registry.Area",
        on_delete=models.PROTECT,
        related_name="appraisal_campaigns",
        limit_choices_to={"level": "village"},
        verbose_name=_("village"),
    )
    title = models.CharField(_("title"), max_length=80)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCORING, db_index=True
    )
    publicity_days = models.PositiveSmallIntegerField(
        _("publicity days"), default=DEFAULT_PUBLICITY_DAYS, validators=[MinValueValidator(1)]
    )
    publicity_starts_on = models.DateField(_("publicity from"), null=True, blank=True)
    publicity_ends_on = models.DateField(_("publicity until"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_area_field = "village__path"

    class Meta:
        verbose_name = _("appraisal")
        verbose_name_plural = _("appraisals")
        ordering = ["-period_start", "village_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="appraisal_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AppraisalCriterion(models.Model):
    campaign = models.ForeignKey(
        AppraisalCampaign, on_delete=models.CASCADE, related_name="criteria"
    )
    name = models.CharField(_("criterion"), max_length=40)
    max_score = models.PositiveSmallIntegerField(
        _("maximum score"), validators=[MinValueValidator(1)]
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["campaign_id", "position", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.max_score})"


class AppraisalLevel(models.Model):
    """A star level: a household whose mean total reaches ``min_total`` earns ``points``."""

    campaign = models.ForeignKey(AppraisalCampaign, on_delete=models.CASCADE, related_name="levels")
    name = models.CharField(_("level"), max_length=20)
    stars = models.PositiveSmallIntegerField(_("stars"))
    min_total = models.PositiveSmallIntegerField(_("minimum total"))
    points = models.PositiveIntegerField(_("points"))

    class Meta:
        verbose_name = _("star level")
        verbose_name_plural = _("star levels")
        ordering = ["campaign_id", "-min_total"]

    def __str__(self) -> str:
        return self.name


class AppraisalResult(models.Model):
    """A household's result in a campaign: the mean of its scorers' totals for the current
    ``revision`` (an upheld objection starts a new revision: the household is scored again)."""

    campaign = models.ForeignKey(
        AppraisalCampaign, on_delete=models.PROTECT, related_name="results"
    )
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="appraisal_results"
    )
    revision = models.PositiveSmallIntegerField(default=1)
    total = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True, blank=True)
    level = models.ForeignKey(
        AppraisalLevel, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    points = models.PositiveIntegerField(_("points"), default=0)
    transaction = models.OneToOneField(
        "points.LedgerTransaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appraisal_result",
    )
    awarded_at = models.DateTimeField(null=True, blank=True)

    scope_area_field = "household__village__path"
    scope_household_field = "household_id"

    class Meta:
        verbose_name = _("appraisal result")
        verbose_name_plural = _("appraisal results")
        ordering = ["campaign_id", "-total"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "household"], name="one_result_per_household"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.total}"


class AppraisalScore(models.Model):
    """One scorer's sheet for one household: a score per criterion (``scores``: criterion id →
    score) and photos."""

    result = models.ForeignKey(AppraisalResult, on_delete=models.CASCADE, related_name="scores")
    revision = models.PositiveSmallIntegerField(default=1)
    scorer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scores = models.JSONField(default=dict)
    total = models.PositiveIntegerField(_("total"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    photos = models.ManyToManyField("points.Photo", blank=True, related_name="+")
    idempotency_key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("appraisal score")
        verbose_name_plural = _("appraisal scores")
        ordering = ["result_id", "revision", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["result", "scorer", "revision"], name="one_sheet_per_scorer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.result_id} {self.total}"


class Commendation(models.Model):
    """A title given to a person or a household: nominated by a committee member, approved by
    the town, published for objections, then points and a place on the honour board."""

    class Title(models.TextChoices):
        GOOD_DAUGHTER_IN_LAW = "good_daughter_in_law", _("Good daughter-in-law")
        GOOD_MOTHER_IN_LAW = "good_mother_in_law", _("Good mother-in-law")
        VIRTUOUS_YOUTH = "virtuous_youth", _("Virtuous youth")
        MORAL_MODEL = "moral_model", _("Moral model")
        BEAUTIFUL_HOME = "beautiful_home", _("Beautiful home and courtyard")

    class Status(models.TextChoices):
        NOMINATED = "nominated", _("Waiting for the town")
        REJECTED = "rejected", _("Not approved")
        PUBLICITY = "publicity", _("In publicity")
        AWARDED = "awarded", _("Commended")
        WITHDRAWN = "withdrawn", _("Withdrawn after an objection")

    village = models.ForeignKey(
        "registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    title = models.CharField(_("title"), max_length=24, choices=Title.choices)
    period_start = models.DateField(_("period"))
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="commendations"
    )
    member = models.ForeignKey(
        "registry.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    citation = models.TextField(_("citation"), max_length=1000)
    photo = models.ForeignKey(
        "points.Photo", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    points = models.PositiveIntegerField(_("points"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NOMINATED, db_index=True
    )
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    nominated_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=200, blank=True)
    publicity_days = models.PositiveSmallIntegerField(default=DEFAULT_PUBLICITY_DAYS)
    publicity_starts_on = models.DateField(_("publicity from"), null=True, blank=True)
    publicity_ends_on = models.DateField(_("publicity until"), null=True, blank=True)
    transaction = models.OneToOneField(
        "points.LedgerTransaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commendation",
    )
    awarded_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)

    scope_area_field = "village__path"
    scope_household_field = "household_id"

    class Meta:
        verbose_name = _("commendation")
        verbose_name_plural = _("commendations")
        ordering = ["-period_start", "-nominated_at"]

    def __str__(self) -> str:
        return f"{self.get_title_display()} {self.household_id}"


class Objection(models.Model):
    """An objection (异议) raised in a publicity period against one appraisal result or one
    commendation. While open, it holds that household's points."""

    class Status(models.TextChoices):
        OPEN = "open", _("Being looked at")
        UPHELD = "upheld", _("Upheld")
        REJECTED = "rejected", _("Not upheld")

    village = models.ForeignKey("registry.Area", on_delete=models.PROTECT, related_name="+")
    result = models.ForeignKey(
        AppraisalResult,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="objections",
    )
    commendation = models.ForeignKey(
        Commendation, on_delete=models.PROTECT, null=True, blank=True, related_name="objections"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"), max_length=500)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    resolution = models.CharField(_("answer"), max_length=300, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)

    scope_area_field = "village__path"

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(result__isnull=False) & Q(commendation__isnull=True))
                | (Q(result__isnull=True) & Q(commendation__isnull=False)),
                name="objection_has_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.reason[:20]}"
