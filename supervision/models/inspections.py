"""Inspections (督查): the district's checklist, rounds through villages, a village's result with
one record per checklist item, and the official responsible for each village (包村).

A failed item files a work order to the village (``ItemResult.work_order``). An accepted order
waits for a re-check: the same item in a later round of that village closes it when it passes and
reopens it as a relapse (``ItemResult.is_relapse``) when it fails.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChecklistItem(models.Model):
    """One thing inspectors look at in every village (三大堆, 残垣断壁, 沟塘 …), with its weight
    in the village's score and the days a failed item gets to be fixed. The district edits them."""

    district = models.ForeignKey(
        "registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    name = models.CharField(_("item"), max_length=60)
    guidance = models.CharField(_("what to look for"), max_length=200, blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"), default=10)
    days = models.PositiveSmallIntegerField(_("days to fix"), default=7)
    category = models.ForeignKey(
        "supervision.Category",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("work order category"),
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    scope_area_field = "district__path"
    scope_kind = "checklist"

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weight__gt=0), name="checklist_weight_positive"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Liaison(models.Model):
    """The official and department responsible for a village (包村干部, 包村单位)."""

    village = models.OneToOneField(
        "registry.Area", on_delete=models.CASCADE, related_name="+", verbose_name=_("village")
    )
    official = models.CharField(_("responsible official"), max_length=40)
    department = models.CharField(_("department"), max_length=60, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
    )

    scope_area_field = "village__path"

    class Meta:
        verbose_name = _("village liaison (包村)")
        verbose_name_plural = _("village liaisons (包村)")

    def __str__(self) -> str:
        return f"{self.village} · {self.official}"


class Round(models.Model):
    """An inspection round planned by a district or town: which villages, on which day."""

    area = models.ForeignKey(
        "registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("planned by")
    )
    name = models.CharField(_("name"), max_length=80)
    planned_on = models.DateField(_("date"))
    villages = models.ManyToManyField("registry.Area", related_name="+", verbose_name=_("villages"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    scope_area_field = "area__path"
    scope_kind = "inspection"

    class Meta:
        verbose_name = _("inspection round")
        verbose_name_plural = _("inspection rounds")
        ordering = ["-planned_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.planned_on:%Y-%m-%d} {self.name}"


class Inspection(models.Model):
    """One village on one round: its score from the checklist's weights."""

    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("round")
    )
    village = models.ForeignKey(
        "registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("inspector"),
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1, default=Decimal("0.0"))
    passed = models.PositiveSmallIntegerField(default=0)
    failed = models.PositiveSmallIntegerField(default=0)

    scope_area_field = "village__path"
    scope_kind = "inspection"

    class Meta:
        verbose_name = _("village inspection")
        verbose_name_plural = _("village inspections")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["round", "village"], name="inspection_once_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.village}"


class ItemResult(models.Model):
    """One checklist item in one village inspection: pass or fail, photos, the map point of a
    public place (never inside a home), the client's key (an offline replay finds it)."""

    inspection = models.ForeignKey(
        Inspection, on_delete=models.CASCADE, related_name="results", verbose_name=_("inspection")
    )
    item = models.ForeignKey(
        ChecklistItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("item")
    )
    is_pass = models.BooleanField(_("passed"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("household"),
    )
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    photos = models.ManyToManyField("points.Photo", blank=True, related_name="+")
    key = models.CharField(max_length=64, unique=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    # The order this failed item filed.
    work_order = models.OneToOneField(
        "supervision.WorkOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspection_result",
    )
    # The accepted order of an earlier round this record re-checked; failing it is a relapse.
    recheck_of = models.ForeignKey(
        "supervision.WorkOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rechecks",
    )
    is_relapse = models.BooleanField(_("relapse"), default=False)

    scope_area_field = "inspection__village__path"
    scope_kind = "inspection"

    class Meta:
        verbose_name = _("item result")
        verbose_name_plural = _("item results")
        ordering = ["item__position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["inspection", "item"], name="itemresult_once_per_inspection"
            )
        ]

    def __str__(self) -> str:
        return f"{self.inspection} · {self.item} · {'✓' if self.is_pass else '✗'}"
