"""How django-allauth meets the register: phone numbers, SMS codes, villager accounts, WeChat;
and the one sign-in.

Every way in goes through allauth's sign-in, with its rate limits (settings.ACCOUNT_RATE_LIMITS)
and its login stages (the second factor among them). ``SignInBackend`` is the project's only
authentication backend, and it checks a password only while ``AccountAdapter.authenticate`` (that
is: allauth's sign-in and reauthentication, after their rate limit) is asking. Wagtail's and
Django's own login forms, HTTP basic auth, or any future caller of
``django.contrib.auth.authenticate()`` get no user. Which roles must have used their second factor
in the session is meijia/middleware.py's.
"""

import contextvars
import re
import secrets

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.auth_backends import AuthenticationBackend
from allauth.account.forms import RequestLoginCodeForm as AllauthRequestLoginCodeForm
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy

from meijia.network import client_address
from outbox.models import Channel
from outbox.services import message_send
from registry.fields import PhoneFormField
from registry.identity import mask_phone
from registry.models import User
from registry.services.register import villager_account_for_phone, villager_link

_checking_password = contextvars.ContextVar("meijia_checking_password", default=False)
# A mainland mobile number anywhere in a text (with an optional +86), to be masked.
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[ -]?)?(1[3-9]\d{9})(?!\d)")
# allauth messages our own pages already say, masked (the code page names the number).
_MESSAGES_SAID_BY_OUR_PAGES = {"account/messages/login_code_sent.txt"}


def mask_phones_in(text: str) -> str:
    return _PHONE_IN_TEXT.sub(lambda match: mask_phone(match.group(1)), text)


class SignInBackend(AuthenticationBackend):
    """allauth's backend (user name or phone with a password; Django's permissions), answering only
    inside ``AccountAdapter.authenticate``."""

    def authenticate(self, request, **credentials):
        if not _checking_password.get():
            return None
        return super().authenticate(request, **credentials)


def user_display(user) -> str:
    """How messages name a person: their name, never a generated user name or a number."""
    return user.get_full_name()


class ChinaPhoneField(PhoneFormField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", gettext_lazy("Mobile number"))
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "type": "tel",
                    "inputmode": "numeric",
                    "autocomplete": "tel",
                    "placeholder": gettext_lazy("11-digit mobile number"),
                }
            ),
        )
        super().__init__(**kwargs)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def authenticate(self, request, **credentials):
        """allauth's password check (rate limit first); the only one ``SignInBackend`` answers."""
        token = _checking_password.set(True)
        try:
            return super().authenticate(request, **credentials)
        finally:
            _checking_password.reset(token)

    def get_client_ip(self, request) -> str:
        return client_address(request) or super().get_client_ip(request)

    def add_message(
        self,
        request,
        level,
        message_template=None,
        message_context=None,
        extra_tags="",
        message=None,
    ) -> None:
        """allauth's messages, never with a full phone number (PIPL); none that our own page
        already says."""
        if message_template in _MESSAGES_SAID_BY_OUR_PAGES:
            return
        if message_context:
            message_context = {
                key: mask_phones_in(value) if isinstance(value, str) else value
                for key, value in message_context.items()
            }
        if message is not None:
            message = mask_phones_in(str(message))
        super().add_message(
            request,
            level,
            message_template=message_template,
            message_context=message_context,
            extra_tags=extra_tags,
            message=message,
        )

    def phone_form_field(self, **kwargs):
        return ChinaPhoneField(**kwargs)

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        """Recorded in the outbox like every message, and sent at once (on commit, in this
        process: a sign-in does not wait for beat or depend on the broker)."""
        message_send(
            template="account.login_code",
            data={"code": code, "minutes": settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT // 60},
            phones=[phone],
            channels=[Channel.SMS],
            send_now=True,
        )

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        message_send(
            template="account.unknown_number", phones=[phone], channels=[Channel.SMS], send_now=True
        )

    def set_phone(self, user, phone: str, verified: bool) -> None:
        user.phone = phone
        user.phone_verified = verified
        user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user):
        return (user.phone, user.phone_verified) if user.phone else None

    def set_phone_verified(self, user, phone: str) -> None:
        user.phone_verified = True
        user.save(update_fields=["phone_verified"])
        villager_link(user=user)

    def get_user_by_phone(self, phone: str):
        return User.objects.filter(phone=phone, is_active=True).first()


class RequestLoginCodeForm(AllauthRequestLoginCodeForm):
    """A villager whose number is on the register gets an account the first time they ask."""

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"]
        if phone:
            villager_account_for_phone(phone=phone)
        return super().clean_phone()


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """A WeChat sign-in creates an account at once; it sees no household until its phone number
    is verified against the register."""

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return True

    def is_auto_signup_allowed(self, request, sociallogin) -> bool:
        return True

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        user.username = f"wx-{secrets.token_hex(6)}"
        user.name = (sociallogin.account.extra_data or {}).get("nickname", "")[:40]
        return user
