from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.models.imports import private_storage


class Toilet(models.Model):
    """A toilet of the register (改厕台账): a household's renovated toilet or a public one.

    A household toilet names its household (one per household); a public toilet (公厕) names its
    keeper instead. Both belong to a village, which is what scoping reads.
    """

    class Type(models.TextChoices):
        THREE_COMPARTMENT = "three_compartment", _("Three-compartment septic tank (三格式)")
        DOUBLE_URN = "double_urn", _("Double-urn (双瓮式)")
        SEWER = "sewer", _("Flush to a full sewer (完整下水道水冲式)")
        URINE_DIVERSION = "urine_diversion", _("Urine-diverting (粪尿分集式)")
        BIOGAS = "biogas", _("Biogas digester (三联通沼气池式)")
        OTHER = "other", _("Other")

    class Acceptance(models.TextChoices):
        PENDING = "pending", _("Not yet accepted")
        PASSED = "passed", _("Passed acceptance")
        FAILED = "failed", _("Failed acceptance")

    class Status(models.TextChoices):
        IN_USE = "in_use", _("In use")
        BROKEN = "broken", _("Broken")
        DISUSED = "disused", _("Not used")
        REMOVED = "removed", _("Removed")

    village = models.ForeignKey(
        "registry.Area",
        on_delete=models.PROTECT,
        related_name="toilets",
        limit_choices_to={"level": "village"},
        verbose_name=_("village"),
    )
    household = models.OneToOneField(
        "registry.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="toilet",
        verbose_name=_("household"),
    )
    name = models.CharField(
        _("name"), max_length=60, blank=True, help_text=_("Public toilets: where it is.")
    )
    keeper_name = models.CharField(_("keeper"), max_length=40, blank=True)
    keeper_phone = models.CharField(_("keeper's phone"), max_length=20, blank=True)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    built_year = models.PositiveSmallIntegerField(_("year built"), null=True, blank=True)
    builder = models.CharField(_("builder"), max_length=100, blank=True)
    accepted_on = models.DateField(_("acceptance date"), null=True, blank=True)
    acceptance = models.CharField(
        _("acceptance result"),
        max_length=10,
        choices=Acceptance.choices,
        default=Acceptance.PENDING,
    )
    tank_volume = models.DecimalField(
        _("tank volume (m³)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    last_emptied_on = models.DateField(_("last emptied on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.IN_USE, db_index=True
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_area_field = "village__path"
    scope_kind = "toilet"
    scope_household_field = "household_id"

    class Meta:
        verbose_name = _("toilet")
        verbose_name_plural = _("toilets")
        ordering = ["village_id", "household__number", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(household__isnull=False) | ~models.Q(name=""),
                name="toilet_household_or_public_name",
            ),
            models.UniqueConstraint(
                fields=["village", "name"],
                condition=models.Q(household__isnull=True),
                name="public_toilet_name_per_village",
            ),
            models.CheckConstraint(
                condition=models.Q(tank_volume__isnull=True) | models.Q(tank_volume__gt=0),
                name="toilet_tank_volume_positive",
            ),
        ]

    def __str__(self) -> str:
        if self.household_id is None:
            return self.name
        return str(self.household)

    @property
    def is_public(self) -> bool:
        return self.household_id is None


class ToiletImport(models.Model):
    """One upload of a village's toilet register: checked (dry run), then imported on confirm.

    Toilet files are a village's households, a few hundred rows: the check and the import run
    in the request. The file is kept (private storage) between the two and deleted after.
    """

    class Status(models.TextChoices):
        INVALID = "invalid", _("Has errors")
        REFUSED = "refused", _("Refused")
        READY = "ready", _("Ready to import")
        DONE = "done", _("Imported")

    village = models.ForeignKey(
        "registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    file = models.FileField(_("file"), upload_to="toilet-imports/%Y/%m/", storage=private_storage)
    original_name = models.CharField(_("file name"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    refusal = models.CharField(_("reason for refusal"), max_length=200, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    scope_area_field = "village__path"
    scope_kind = "toilet_file"

    class Meta:
        verbose_name = _("toilet register import")
        verbose_name_plural = _("toilet register imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name
