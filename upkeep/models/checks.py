from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CheckRound(models.Model):
    """A province, city or district check round (排查) of an area's toilets."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        DISTRICT = "district", _("District")

    area = models.ForeignKey(
        "registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    level = models.CharField(_("ordered by"), max_length=10, choices=Level.choices)
    title = models.CharField(_("title"), max_length=100)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope_area_field = "area__path"
    scope_kind = "check_round"

    class Meta:
        verbose_name = _("check round")
        verbose_name_plural = _("check rounds")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="check_round_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ToiletCheck(models.Model):
    """One toilet on a round: waiting, fine, or a problem (which becomes a service order)."""

    class Result(models.TextChoices):
        WAITING = "waiting", _("Not checked yet")
        FINE = "fine", _("Fine, in use")
        PROBLEM = "problem", _("Problem found")

    round = models.ForeignKey(
        CheckRound, on_delete=models.CASCADE, related_name="checks", verbose_name=_("round")
    )
    toilet = models.ForeignKey(
        "upkeep.Toilet", on_delete=models.PROTECT, related_name="checks", verbose_name=_("toilet")
    )
    result = models.CharField(
        _("result"), max_length=10, choices=Result.choices, default=Result.WAITING
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    photo = models.ForeignKey(
        "points.Photo", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    work_order = models.ForeignKey(
        "supervision.WorkOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("work order"),
        help_text=_("The repair order a problem found on the round became."),
    )

    scope_area_field = "toilet__village__path"
    scope_kind = "check_round"

    class Meta:
        verbose_name = _("toilet check")
        verbose_name_plural = _("toilet checks")
        ordering = ["round_id", "toilet__village_id", "toilet__household__number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "toilet"], name="one_check_per_toilet"),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.toilet}"
