from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    """Wagtail pages that publish the campaign: news, notices, classes, songs, galleries."""

    name = "campaigns"
    verbose_name = _("Campaign site")

    def ready(self):
        from campaigns import receivers

        receivers.connect()
