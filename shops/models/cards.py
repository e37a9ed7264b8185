from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.models.imports import private_storage


class CardPrintJob(models.Model):
    """A PDF of household cards (8 per A4 page), made by a Celery task with a progress bar."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Printing")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    village = models.ForeignKey(
        "registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    # Empty: every active household of the village.
    household_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="cards/%Y/%m/", storage=private_storage, blank=True)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    scope_area_field = "village__path"

    class Meta:
        verbose_name = _("card printing")
        verbose_name_plural = _("card printings")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.village} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.total)) if self.total else 0

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
