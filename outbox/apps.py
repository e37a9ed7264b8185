from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    """Every message to a person: written with its event, sent once by Celery, read in the inbox."""

    name = "outbox"
    verbose_name = _("Messages")
