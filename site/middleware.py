"""The second factor of the roles that need one (``settings.MEIJIA_TWO_FACTOR_REQUIRED_ROLES``).

What counts is that the second factor was used in this session, not that the account has one:
allauth records each way a person proved who they are in the session (password, code, ``mfa``),
and a session whose records hold no ``mfa`` reaches nothing of the site:

- an account with an authenticator is signed out and sent to the sign-in, which asks for the
  code (whatever way the session was made: allauth's own forms cannot skip the code, and no
  other form checks passwords, meijia/accounts.py);
- an account without one may only set it up (allauth may first ask for the password again) or
  sign out; setting it up is using it (a valid code from the new authenticator), so the session
  counts from then on (``record_enrolment``).
"""

from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from registry.scoping import has_role

SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
ENROLMENT_VIEWS = {"mfa_activate_totp", "account_reauthenticate", "account_logout"}
EXEMPT_PREFIXES = ("/static/", "/media/", "/i18n/")


def used_second_factor(request) -> bool:
    """Whether this session's sign-in used a second factor (a TOTP or recovery code)."""
    return any(
        record.get("method") == "mfa"
        for record in get_authentication_records(request, request.user)
    )


def record_enrolment(request, authenticator: Authenticator) -> None:
    """The person just typed a valid code of their new authenticator: a second factor used."""
    if request is not None and request.user.is_authenticated:
        record_authentication(
            request,
            request.user,
            "mfa",
            id=authenticator.pk,
            type=authenticator.type,
            enrolled=True,
        )


def _view_name(request) -> str | None:
    try:
        return resolve(request.path_info).url_name
    except Resolver404:
        return None


class RequireStaffTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or request.path.startswith(EXEMPT_PREFIXES)
            or not has_role(user, settings.MEIJIA_TWO_FACTOR_REQUIRED_ROLES)
            or used_second_factor(request)
        ):
            return self.get_response(request)
        next_query = urlencode({"next": request.get_full_path()})
        if Authenticator.objects.filter(user=user, type__in=SECOND_FACTORS).exists():
            logout(request)
            messages.info(request, _("Sign in again with the code of your authenticator app."))
            return redirect(f"{reverse('account_login')}?{next_query}")
        if _view_name(request) in ENROLMENT_VIEWS:
            return self.get_response(request)
        return redirect(f"{reverse('mfa_activate_totp')}?{next_query}")
