"""Earning rules (积分细则): what a household earns or loses for what, as data.

A rule (``EarningRule``) is an identity: a ``code`` at an ``area``. Its terms live in numbered
``EarningRuleVersion`` rows that are never changed once written; editing a rule adds a version.
Ledger transactions name the rule's code and the version number they used.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class EarningRule(models.Model):
    """A rule of an area, identified by its ``code``.

    Overrides: a published rule with the same ``code`` at a deeper area replaces the shallower one
    inside that area's subtree. For a household, the deepest area on its village's ancestor path
    (district → town → village) that has a published rule with a version in force on the date
    wins; if that version has expired, the shallower rule applies again. So a district's rule holds
    everywhere until a town or village writes its own rule with the same code.
    """

    class Category(models.TextChoices):
        SORTING = "sorting", _("Garbage sorting")
        COURTYARD = "courtyard", _("Courtyard appraisal")
        CLASS = "class", _("Class")
        COMMENDATION = "commendation", _("Commendation")
        VOLUNTEERING = "volunteering", _("Volunteering")
        OTHER = "other", _("Other")

    class Kind(models.TextChoices):
        EARN = "earn", _("Earn points")
        DEDUCT = "deduct", _("Deduct points")

    code = models.SlugField(
        _("code"),
        max_length=40,
        help_text=_(
            "A short name for machines, such as sorting-excellent. A town or village rule with "
            "the same code replaces the district's rule in its area."
        ),
    )
    area = models.ForeignKey(
        "registry.Area",
        on_delete=models.PROTECT,
        related_name="earning_rules",
        verbose_name=_("area"),
    )
    category = models.CharField(_("category"), max_length=15, choices=Category.choices)
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices, default=Kind.EARN)
    is_published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope_area_field = "area__path"

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        ordering = ["area__path", "code"]
        constraints = [
            models.UniqueConstraint(fields=["area", "code"], name="earning_rule_code_per_area"),
        ]

    def __str__(self) -> str:
        latest = self.latest_version
        return f"{latest.name if latest else self.code} · {self.area}"

    @property
    def latest_version(self) -> "EarningRuleVersion | None":
        # Uses the prefetch cache when the caller prefetched versions.
        versions = list(self.versions.all())
        return max(versions, key=lambda v: v.version) if versions else None


class EarningRuleVersion(models.Model):
    """The terms of a rule from ``valid_from`` to ``valid_to``. Written once, never changed.

    Caps and ``auto_approve_up_to`` are points per household; empty means no limit.
    """

    rule = models.ForeignKey(
        EarningRule, on_delete=models.PROTECT, related_name="versions", verbose_name=_("rule")
    )
    version = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=60)
    description = models.TextField(
        _("description"), blank=True, help_text=_("In plain words, for villagers.")
    )
    points = models.PositiveIntegerField(_("points"), validators=[MinValueValidator(1)])
    cap_per_day = models.PositiveIntegerField(
        _("cap per day"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    cap_per_month = models.PositiveIntegerField(
        _("cap per month"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    cap_per_year = models.PositiveIntegerField(
        _("cap per year"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    auto_approve_up_to = models.PositiveIntegerField(
        _("approve automatically up to"),
        null=True,
        blank=True,
        help_text=_("Awards of at most this many points need no second person's approval."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope_area_field = "rule__area__path"

    class Meta:
        verbose_name = _("earning rule version")
        verbose_name_plural = _("earning rule versions")
        ordering = ["rule_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "version"], name="earning_rule_version_unique"),
            models.CheckConstraint(condition=Q(points__gt=0), name="earning_rule_points_positive"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="earning_rule_valid_to_after_from",
            ),
            models.CheckConstraint(
                condition=(
                    (Q(cap_per_day__isnull=True) | Q(cap_per_day__gt=0))
                    & (Q(cap_per_month__isnull=True) | Q(cap_per_month__gt=0))
                    & (Q(cap_per_year__isnull=True) | Q(cap_per_year__gt=0))
                ),
                name="earning_rule_caps_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def is_in_force(self, on) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    @property
    def signed_points(self) -> int:
        return -self.points if self.rule.kind == EarningRule.Kind.DEDUCT else self.points
