from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node


class Area(MP_Node):
    """A node of the administrative tree: district → town / sub-district → village → group.

    The materialised path (``path``) is what scoping filters on: everything under an area has a
    path that starts with the area's path.
    """

    class Level(models.TextChoices):
        DISTRICT = "district", _("District")
        TOWN = "town", _("Town or sub-district")
        VILLAGE = "village", _("Village or community")
        GROUP = "group", _("Village group")

    class Kind(models.TextChoices):
        DISTRICT = "district", _("District (区)")
        TOWN = "town", _("Town (镇)")
        SUBDISTRICT = "subdistrict", _("Sub-district (街道)")
        VILLAGE = "village", _("Administrative village (村)")
        COMMUNITY = "community", _("Community (社区)")
        GROUP = "group", _("Village group (组)")

    name = models.CharField(_("name"), max_length=60)
    code = models.CharField(
        _("statistical area code"),
        max_length=12,
        unique=True,
        null=True,
        blank=True,
        validators=[RegexValidator(r"^\d{12}$", _("The area code has 12 digits."))],
        help_text=_("The 12-digit code of the statistics bureau; village groups may have none."),
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)

    scope_area_field = "path"
    scope_kind = "area"

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level="group") | models.Q(code__isnull=False),
                name="area_code_required_above_group",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def path_and_ancestors(self) -> list[str]:
        """The paths of this area and of every area above it (no query: read off ``path``)."""
        step = self.steplen
        return [self.path[:end] for end in range(step, len(self.path) + 1, step)]

    @property
    def full_name(self) -> str:
        """Town and village names, the way a villager says where they live."""
        names = [a.name for a in self.get_ancestors() if a.level != self.Level.DISTRICT]
        return "".join([*names, self.name])
