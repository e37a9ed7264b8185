"""How django-allauth meets the register: phone numbers, SMS codes, villager accounts, WeChat."""

import secrets

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import RequestLoginCodeForm as AllauthRequestLoginCodeForm
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django import forms
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from meijia.tasks import send_sms
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
        minutes = settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT // 60
        text = _(
            "[%(sign)s] Your sign-in code is %(code)s. It is valid for %(minutes)s minutes. "
            "Never tell it to anyone."
        ) % {"sign": settings.SMS_SIGN_NAME, "code": code, "minutes": minutes}
        transaction.on_commit(lambda: send_sms.delay(phone, text))

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        text = _(
            "[%(sign)s] This number is not in any household register. Ask your village committee "
            "to add it."
        ) % {"sign": settings.SMS_SIGN_NAME}
        transaction.on_commit(lambda: send_sms.delay(phone, text))

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
