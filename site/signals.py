from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from meijia.middleware import record_enrolment
from registry.services.register import villager_link


@receiver(user_logged_in, dispatch_uid="meijia_villager_link")
def link_villager_on_login(sender, request, user, **kwargs) -> None:
    # The register may have changed since the last sign-in (moved out, new number).
    villager_link(user=user)


@receiver(authenticator_added, dispatch_uid="meijia_second_factor_enrolled")
def second_factor_enrolled(sender, request, user, authenticator, **kwargs) -> None:
    if authenticator.type == Authenticator.Type.TOTP:
        record_enrolment(request, authenticator)
