from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_role_groups(sender, **kwargs) -> None:
    # Run once, after the last app: by then every app's permissions exist.
    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if sender is not with_models[-1]:
        return
    from registry.services.register import role_groups_sync

    role_groups_sync()


class RegistryConfig(AppConfig):
    """Areas, households, members, roles, scoping and household codes."""

    name = "registry"
    verbose_name = _("Household register")

    def ready(self) -> None:
        post_migrate.connect(_sync_role_groups, dispatch_uid="meijia_role_groups")
