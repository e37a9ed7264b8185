from allauth.mfa.models import Authenticator
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from registry.scoping import has_role


class RequireStaffTwoFactorMiddleware:
    """Roles in ``MEIJIA_TWO_FACTOR_REQUIRED_ROLES`` must set up TOTP before anything else."""

    allowed_prefixes = ("/accounts/", "/static/", "/media/", "/i18n/", "/prefs/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.allowed_prefixes)
            and has_role(user, settings.MEIJIA_TWO_FACTOR_REQUIRED_ROLES)
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            return redirect(reverse("mfa_activate_totp") + f"?next={request.path}")
        return self.get_response(request)
