"""Figures a village enters once a year with evidence, approved level by level (like DHIS2's data
approval): the village submits, the town approves or sends back, the district approves."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EnteredFigure(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Waiting for the town")
        TOWN_APPROVED = "town_approved", _("Waiting for the district")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Sent back")

    indicator = models.ForeignKey(
        "assessment.Indicator",
        on_delete=models.PROTECT,
        related_name="entries",
        limit_choices_to={"source": "entered"},
        verbose_name=_("indicator"),
    )
    village = models.ForeignKey(
        "registry.Area",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "village"},
        verbose_name=_("village"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.DecimalField(_("figure"), max_digits=12, decimal_places=2)
    evidence = models.ImageField(_("evidence"), upload_to="assessment/evidence/%Y/")
    note = models.CharField(_("note"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=14, choices=Status.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_area_field = "village__path"

    class Meta:
        verbose_name = _("entered figure")
        verbose_name_plural = _("entered figures")
        ordering = ["-year", "village__path", "indicator__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "village", "year"], name="one_entry_per_village_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.year}: {self.value}"


class EntryEvent(models.Model):
    """Each step of an entered figure: who, what, why (the approval trail)."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submitted")
        TOWN_APPROVE = "town_approve", _("Approved by the town")
        APPROVE = "approve", _("Approved by the district")
        RETURN = "return", _("Sent back")

    entry = models.ForeignKey(EnteredFigure, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=14, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("figure"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("entry event")
        verbose_name_plural = _("entry events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.action}"
