from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopsConfig(AppConfig):
    """美家超市 stores, catalogue, stock, redemptions and settlement."""

    name = "shops"
    verbose_name = _("Points supermarkets")
