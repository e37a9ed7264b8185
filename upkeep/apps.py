from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UpkeepConfig(AppConfig):
    """长效管护: the toilet register, contractors, after-care service orders, satisfaction."""

    name = "upkeep"
    verbose_name = _("Toilet after-care")
