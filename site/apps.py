from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeijiaConfig(AppConfig):
    name = "meijia"
    verbose_name = _("Meijia site")

    def ready(self) -> None:
        from . import signals  # noqa: F401
        from .hardening import apply_form_limits

        apply_form_limits()
