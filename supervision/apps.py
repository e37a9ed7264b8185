from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    """Work orders (工单), inspections (督查) and rectification (整改), campaign tallies."""

    name = "supervision"
    verbose_name = _("Supervision")
