"""Who signed up for which class session, who checked in, and who finished which online lesson."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SessionSignup(models.Model):
    """A household's place at a session: a seat, or a place on the waiting list.

    One active sign-up per household and session (cancelled ones stay as history). Seats are
    given in order of sign-up; cancelling a seat gives it to the first on the waiting list.
    """

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Seat confirmed")
        WAITING = "waiting", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")

    session = models.ForeignKey(
        "campaigns.ClassSession",
        on_delete=models.CASCADE,
        related_name="signups",
        verbose_name=_("session"),
    )
    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.PROTECT,
        related_name="class_signups",
        verbose_name=_("household"),
    )
    signed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    created_at = models.DateTimeField(_("signed up at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    scope_area_field = "household__village__path"
    scope_household_field = "household_id"

    class Meta:
        verbose_name = _("class sign-up")
        verbose_name_plural = _("class sign-ups")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "household"],
                condition=~Q(status="cancelled"),
                name="one_active_signup_per_household",
            ),
        ]
        indexes = [models.Index(fields=["session", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.session} · {self.household} · {self.get_status_display()}"


class LessonCompletion(models.Model):
    """A household finished an online lesson (once; the points follow from it)."""

    lesson = models.ForeignKey(
        "campaigns.LessonPage", on_delete=models.CASCADE, related_name="completions"
    )
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="lesson_completions"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(auto_now_add=True)

    scope_area_field = "household__village__path"
    scope_household_field = "household_id"

    class Meta:
        verbose_name = _("finished lesson")
        verbose_name_plural = _("finished lessons")
        constraints = [
            models.UniqueConstraint(
                fields=["lesson", "household"], name="lesson_completed_once_per_household"
            )
        ]

    def __str__(self) -> str:
        return f"{self.lesson_id} · {self.household_id}"
