from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceCoverage(models.Model):
    """Which villages a contractor's team (a ``supervision.Team``) serves for toilet after-care.

    A new service order of a village goes to the team covering it (the town may dispatch another
    by hand), and the team's due list is its villages' toilets. The team itself, its members and
    its duty phone are supervision's: one kind of team acts on every work order.
    """

    team = models.OneToOneField(
        "supervision.Team",
        on_delete=models.CASCADE,
        related_name="upkeep_coverage",
        verbose_name=_("team"),
    )
    company = models.CharField(_("company"), max_length=100)
    villages = models.ManyToManyField(
        "registry.Area",
        related_name="upkeep_coverages",
        blank=True,
        limit_choices_to={"level": "village"},
        verbose_name=_("villages served"),
    )

    scope_area_field = "team__area__path"
    scope_kind = "contractor_team"

    class Meta:
        verbose_name = _("service coverage")
        verbose_name_plural = _("service coverages")

    def __str__(self) -> str:
        return f"{self.company} · {self.team.name}"


class ServiceOrder(models.Model):
    """What upkeep knows of one after-care work order (抽渣 or 维修) beyond the work order itself."""

    class Kind(models.TextChoices):
        EMPTYING = "emptying", _("Tank emptying (抽渣)")
        REPAIR = "repair", _("Repair (维修)")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Asked on the phone")
        STICKER = "sticker", _("Scanned the toilet's sticker")
        COMMITTEE = "committee", _("Filed by the village committee")
        DESK = "desk", _("Phone call to the town's service desk")
        CHECK = "check", _("Found on a check round")

    class Rating(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied (满意)")
        FAIR = "fair", _("Mostly satisfied (基本满意)")
        DISSATISFIED = "dissatisfied", _("Not satisfied (不满意)")

    order = models.OneToOneField(
        "supervision.WorkOrder",
        on_delete=models.PROTECT,
        related_name="service",
        verbose_name=_("work order"),
    )
    toilet = models.ForeignKey(
        "upkeep.Toilet",
        on_delete=models.PROTECT,
        related_name="service_orders",
        verbose_name=_("toilet"),
    )
    kind = models.CharField(_("service"), max_length=10, choices=Kind.choices)
    channel = models.CharField(_("asked by"), max_length=10, choices=Channel.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    on_way_at = models.DateTimeField(_("on the way at"), null=True, blank=True)
    volume = models.DecimalField(
        _("volume emptied (m³)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    rating = models.CharField(_("rating"), max_length=12, choices=Rating.choices, blank=True)
    rating_reason = models.CharField(_("reason"), max_length=200, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    # Dissatisfied ratings, counted: the figures read the last rating and how often it was sent back.
    times_dissatisfied = models.PositiveSmallIntegerField(default=0)

    scope_area_field = "toilet__village__path"
    scope_household_field = "toilet__household_id"
    scope_kind = "service_order"

    class Meta:
        verbose_name = _("service order")
        verbose_name_plural = _("service orders")
        ordering = ["-order__created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(volume__isnull=True) | models.Q(volume__gt=0),
                name="service_volume_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.toilet}"

    @property
    def area(self):
        """The order's village (``registry.permissions.may`` reads it for a bound kind)."""
        return self.toilet.village

    @property
    def team_members(self):
        """The people of the team that must act (the binding of ``Kind.SERVICE_WORK``)."""
        from registry.models import User

        team_id = self.order.assignee_team_id
        if team_id is None:
            return User.objects.none()
        return User.objects.filter(work_teams=team_id)
