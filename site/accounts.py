"""How django-allauth meets the register: phone numbers, SMS codes, villager accounts, WeChat."""

import secrets

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import RequestLoginCodeForm as AllauthRequestLoginCodeForm
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy

from outbox.models import Channel
from outbox.services import message_send
from registry.fields import PhoneFormField
from registry.models import User
from registry.services import villager_account_for_phone, villager_link


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
