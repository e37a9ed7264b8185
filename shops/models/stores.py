"""Stores, their catalogue and the stock moves whose sum is each item's stock on hand."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Store(models.Model):
    """A 美家超市. It sits in one area (a village or a town) and serves one or more villages.

    Its shopkeepers are users holding the register's shopkeeper role over the store's area and
    bound to this store (``shopkeepers``); only they redeem here.
    """

    name = models.CharField(_("name"), max_length=60)
    area = models.ForeignKey(
        "registry.Area",
        on_delete=models.PROTECT,
        related_name="stores",
        verbose_name=_("area"),
        help_text=_("The village or town the store belongs to."),
    )
    villages = models.ManyToManyField(
        "registry.Area",
        related_name="served_by_stores",
        limit_choices_to={"level": "village"},
        verbose_name=_("villages served"),
    )
    shopkeepers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="stores",
        verbose_name=_("shopkeepers"),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    opening_hours = models.CharField(
        _("opening hours"), max_length=120, blank=True, help_text=_("For example 8:00–18:00 daily")
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    is_active = models.BooleanField(_("open"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope_area_field = "area__path"

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["area__path", "name"]

    def __str__(self) -> str:
        return self.name


class Item(models.Model):
    """What an item of the district list and of a store's catalogue both are: a name, a unit,
    a price in points (positive: each model's own CheckConstraint), a cost and a photo."""

    name = models.CharField(_("name"), max_length=60)
    unit = models.CharField(_("unit"), max_length=10, default="件")
    points_price = models.PositiveIntegerField(_("points price"))
    cost_yuan = models.DecimalField(
        _("cost price (yuan)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    photo = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("photo"),
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name


class DistrictItem(Item):
    """An item on the district-wide list that stores may adopt into their catalogue."""

    district = models.ForeignKey(
        "registry.Area",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "district"},
        verbose_name=_("district"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    scope_area_field = "district__path"

    class Meta:
        verbose_name = _("district item")
        verbose_name_plural = _("district items")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(points_price__gt=0), name="district_item_price_positive"
            ),
        ]


class CatalogueItem(Item):
    """What one store offers. ``stock_on_hand`` caches the sum of the item's stock moves and is
    written only by ``shops.services.stock`` in the same transaction as the move."""

    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="items", verbose_name=_("store")
    )
    source = models.ForeignKey(
        DistrictItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adopted_as",
        verbose_name=_("from the district list"),
    )
    stock_on_hand = models.IntegerField(_("stock on hand"), default=0, editable=False)
    monthly_limit = models.PositiveIntegerField(
        _("limit per household per month"), null=True, blank=True
    )
    low_stock_level = models.PositiveIntegerField(
        _("low-stock alert at"), default=5, help_text=_("Alert when stock falls to this level.")
    )
    low_stock_alerted = models.BooleanField(default=False, editable=False)
    is_active = models.BooleanField(_("on sale"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope_area_field = "store__area__path"

    class Meta:
        verbose_name = _("catalogue item")
        verbose_name_plural = _("catalogue items")
        ordering = ["store_id", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(stock_on_hand__gte=0), name="stock_never_negative"),
            models.CheckConstraint(condition=Q(points_price__gt=0), name="item_price_positive"),
            models.UniqueConstraint(
                fields=["store", "source"],
                condition=Q(source__isnull=False),
                name="district_item_adopted_once",
            ),
        ]


class StockMove(models.Model):
    """One change of an item's stock. Stock on hand is the sum of these; they are never edited."""

    class Kind(models.TextChoices):
        DELIVERY = "delivery", _("Delivery")
        ADJUSTMENT = "adjustment", _("Adjustment")
        REDEMPTION = "redemption", _("Redemption")
        VOID = "void", _("Void")

    item = models.ForeignKey(
        CatalogueItem, on_delete=models.PROTECT, related_name="moves", verbose_name=_("item")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    quantity = models.IntegerField(_("quantity"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    redemption = models.ForeignKey(
        "shops.Redemption",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_moves",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    scope_area_field = "item__store__area__path"

    class Meta:
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="stock_move_not_zero"),
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | ~Q(reason=""),
                name="stock_adjustment_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["redemption", "void"]) | Q(redemption__isnull=False),
                name="stock_move_names_its_redemption",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity:+d}"


class CounterDevice(models.Model):
    """A phone or tablet at a store's counter using the JSON API with a bearer token.

    The token is shown once when created; only its SHA-256 is stored. Requests act as ``user``
    (a shopkeeper of ``store``), so every rule of the counter page applies to the device too.
    """

    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, related_name="devices", verbose_name=_("store")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("acts as"),
    )
    name = models.CharField(_("name"), max_length=60)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope_area_field = "store__area__path"

    class Meta:
        verbose_name = _("counter device")
        verbose_name_plural = _("counter devices")

    def __str__(self) -> str:
        return self.name
