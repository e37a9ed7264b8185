from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.fields import PhoneNumberField
from registry.identity import mask_phone


class User(AbstractUser):
    """Everyone who signs in: staff with a password, villagers with their phone and a code."""

    name = models.CharField(_("full name"), max_length=40, blank=True)
    phone = PhoneNumberField(_("mobile phone"), unique=True, null=True, blank=True)
    phone_verified = models.BooleanField(_("phone verified"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or self.username

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    def get_full_name(self) -> str:
        return self.name or super().get_full_name() or self.username


class RoleAssignment(models.Model):
    """A role that a user holds over an area (or, for a villager, over a household)."""

    class Role(models.TextChoices):
        DISTRICT_ADMIN = "district_admin", _("District administrator")
        TOWN_ADMIN = "town_admin", _("Town administrator")
        COMMITTEE = "committee", _("Village committee member")
        SHOPKEEPER = "shopkeeper", _("Shopkeeper")
        EDITOR = "editor", _("Propaganda editor")
        INSPECTOR = "inspector", _("Inspector")
        VILLAGER = "villager", _("Villager")
        CONTRACTOR = "contractor", _("Contractor")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="roles",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    area = models.ForeignKey(
        "registry.Area",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("area"),
    )
    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("household"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(role="villager", household__isnull=False, area__isnull=True)
                    | (
                        ~models.Q(role="villager")
                        & models.Q(area__isnull=False, household__isnull=True)
                    )
                ),
                name="role_bound_to_area_or_household",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "area"],
                condition=models.Q(area__isnull=False),
                name="unique_area_role",
            ),
            models.UniqueConstraint(
                fields=["user", "household"],
                condition=models.Q(household__isnull=False),
                name="unique_household_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.area or self.household}"
