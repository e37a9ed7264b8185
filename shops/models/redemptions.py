"""Redemptions at the counter, their lines, and the months a town has settled with a store."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Redemption(models.Model):
    """Goods handed over for points: one ledger transaction household → store, one receipt."""

    store = models.ForeignKey(
        "shops.Store", on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("store")
    )
    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.PROTECT,
        related_name="redemptions",
        verbose_name=_("household"),
    )
    receipt_number = models.CharField(_("receipt number"), max_length=20, unique=True)
    idempotency_key = models.CharField(max_length=64, unique=True)
    # What the key was first used for (points.services.keys.request_fingerprint of the store, the
    # code's household and the basket): a retry must match it, another request is key_reused.
    request_fingerprint = models.CharField(max_length=64, blank=True, default="")
    points = models.PositiveIntegerField(_("points"))
    code_kind = models.CharField(_("code"), max_length=10)
    ledger_transaction = models.OneToOneField(
        "points.LedgerTransaction",
        on_delete=models.PROTECT,
        related_name="redemption",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("shopkeeper"),
    )
    created_at = models.DateTimeField(_("redeemed at"), auto_now_add=True, db_index=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("voided by"),
    )
    void_reason = models.CharField(_("reason for the void"), max_length=200, blank=True)
    void_transaction = models.OneToOneField(
        "points.LedgerTransaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="voided_redemption",
    )

    scope_area_field = "store__area__path"
    scope_household_field = "household_id"

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["household", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(voided_at__isnull=True, void_transaction__isnull=True)
                    | Q(voided_at__isnull=False, void_transaction__isnull=False)
                ),
                name="void_has_its_transaction",
            ),
        ]

    def __str__(self) -> str:
        return self.receipt_number

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class RedemptionLine(models.Model):
    """One item of a redemption, with the name, price and cost as they were at the counter."""

    redemption = models.ForeignKey(Redemption, on_delete=models.PROTECT, related_name="lines")
    item = models.ForeignKey(
        "shops.CatalogueItem", on_delete=models.PROTECT, related_name="+", verbose_name=_("item")
    )
    name = models.CharField(_("name"), max_length=60)
    unit = models.CharField(_("unit"), max_length=10)
    quantity = models.PositiveIntegerField(_("quantity"))
    points_price = models.PositiveIntegerField(_("points price"))
    cost_yuan = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("redemption line")
        verbose_name_plural = _("redemption lines")
        ordering = ["redemption_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"

    @property
    def points(self) -> int:
        return self.quantity * self.points_price


class StoreMonth(models.Model):
    """A month the town has settled with a store: its redemptions can no longer be voided."""

    store = models.ForeignKey(
        "shops.Store", on_delete=models.PROTECT, related_name="settled_months"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    settled_at = models.DateTimeField(_("settled at"), auto_now_add=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    points = models.BigIntegerField(_("points"))
    cost_yuan = models.DecimalField(_("cost (yuan)"), max_digits=12, decimal_places=2)

    scope_area_field = "store__area__path"

    class Meta:
        verbose_name = _("settled month")
        verbose_name_plural = _("settled months")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["store", "month"], name="store_month_settled_once"),
        ]

    def __str__(self) -> str:
        return f"{self.store} {self.month:%Y-%m}"
