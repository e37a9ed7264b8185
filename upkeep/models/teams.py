from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ContractorTeam(models.Model):
    """A team of a third-party service company (抽渣, 维修) contracted by a town.

    Its members hold the ``contractor`` role over the town (``upkeep.services.team_member_add``);
    the villages it serves decide which team a new order goes to when the town does not
    dispatch it by hand, and whose due list a toilet is on.
    """

    area = models.ForeignKey(
        "registry.Area",
        on_delete=models.PROTECT,
        related_name="contractor_teams",
        verbose_name=_("contracting town"),
    )
    name = models.CharField(_("team name"), max_length=60)
    company = models.CharField(_("company"), max_length=100)
    phone = models.CharField(_("service phone"), max_length=20, blank=True)
    villages = models.ManyToManyField(
        "registry.Area",
        related_name="served_by_teams",
        blank=True,
        limit_choices_to={"level": "village"},
        verbose_name=_("villages served"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="contractor_teams",
        blank=True,
        verbose_name=_("members"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope_area_field = "area__path"
    scope_kind = "contractor_team"

    class Meta:
        verbose_name = _("contractor team")
        verbose_name_plural = _("contractor teams")
        ordering = ["area_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["area", "name"], name="contractor_team_name_per_area"),
        ]

    def __str__(self) -> str:
        return f"{self.company} · {self.name}"
