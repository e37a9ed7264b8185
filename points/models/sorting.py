"""Garbage-sorting checks (垃圾分类检查) and the photos scorers attach to their entries."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Photo(models.Model):
    """A photo taken as evidence (sorting check, appraisal, nomination).

    Stored only after ``points.images.photo_clean`` has fixed its orientation, removed every EXIF
    tag (location) and resized it to at most 1,600 px; the thumbnail is made by a Celery task.
    """

    village = models.ForeignKey(
        "registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    image = models.ImageField(_("photo"), upload_to="scoring/photos/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    thumbnail = models.ImageField(_("thumbnail"), upload_to="scoring/thumbs/%Y/%m/", blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    scope_area_field = "village__path"

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.image.name

    @property
    def thumbnail_url(self) -> str:
        return (self.thumbnail or self.image).url


class SortingRound(models.Model):
    """A check round: one village on one date. A standing daily round is the same thing,
    opened by the first scorer of the day."""

    village = models.ForeignKey(
        "registry.Area",
        on_delete=models.PROTECT,
        related_name="sorting_rounds",
        limit_choices_to={"level": "village"},
        verbose_name=_("village"),
    )
    held_on = models.DateField(_("date"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_area_field = "village__path"

    class Meta:
        verbose_name = _("sorting round")
        verbose_name_plural = _("sorting rounds")
        ordering = ["-held_on", "village_id"]
        constraints = [
            models.UniqueConstraint(fields=["village", "held_on"], name="one_round_per_village_day")
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.held_on:%Y-%m-%d}"


class SortingCheck(models.Model):
    """One grade given to one household in a round, with the rule it maps to.

    Never merged: a second grade of the same household in a round is kept as its own row with
    ``is_conflict`` set (on both rows), and its claim waits for a person whatever the rule says.
    """

    class Grade(models.TextChoices):
        EXCELLENT = "excellent", _("Excellent")
        GOOD = "good", _("Good")
        PASS = "pass", _("Pass")
        FAIL = "fail", _("Fail")

    round = models.ForeignKey(
        SortingRound, on_delete=models.PROTECT, related_name="checks", verbose_name=_("round")
    )
    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.PROTECT,
        related_name="sorting_checks",
        verbose_name=_("household"),
    )
    grade = models.CharField(_("grade"), max_length=10, choices=Grade.choices)
    rule_version = models.ForeignKey(
        "points.EarningRuleVersion", on_delete=models.PROTECT, related_name="+"
    )
    points = models.IntegerField(_("points"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    photo = models.ForeignKey(
        Photo, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    # Made by the phone for each tap, so a re-sent entry is recognised.
    idempotency_key = models.CharField(max_length=120, unique=True)
    is_conflict = models.BooleanField(_("graded twice in this round"), default=False)
    claim = models.OneToOneField(
        "points.PointsClaim",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sorting_check",
    )
    # Undone or replaced by its own scorer within a few minutes (points.services.sorting): kept
    # for the record, left out of the round sheet, its claim withdrawn (its points reversed).
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    replaced_by = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaces"
    )

    scope_area_field = "household__village__path"
    scope_household_field = "household_id"

    class Meta:
        verbose_name = _("sorting check")
        verbose_name_plural = _("sorting checks")
        ordering = ["round_id", "recorded_at", "id"]
        indexes = [models.Index(fields=["round", "household"], name="sorting_check_round_house")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.get_grade_display()}"
