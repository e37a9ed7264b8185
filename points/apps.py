from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    """Earning rules, the points ledger, sorting checks, appraisals and commendations."""

    name = "points"
    verbose_name = _("Points")

    def ready(self):
        from points import receivers, signals

        signals.activity_completed.connect(
            receivers.award_activity, dispatch_uid="points.award_activity"
        )
