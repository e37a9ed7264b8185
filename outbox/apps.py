from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    """Every message to a person: written with its event, sent once by Celery, read in the inbox."""

    name = "outbox"
    verbose_name = _("Messages")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from outbox.receivers import claim_on_sign_in

        user_logged_in.connect(claim_on_sign_in, dispatch_uid="outbox.claim_on_sign_in")
