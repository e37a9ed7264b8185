from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from registry.services import villager_link


@receiver(user_logged_in, dispatch_uid="meijia_villager_link")
def link_villager_on_login(sender, request, user, **kwargs) -> None:
    # The register may have changed since the last sign-in (moved out, new number).
    villager_link(user=user)
