"""Form and model fields for phone and ID-card numbers that accept what people really type."""

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.identity import InvalidNumber, normalize_id_number, normalize_phone


class MaskedInput(forms.TextInput):
    """Shows a stored number masked (139****0001); typing a new one replaces it.

    A masked value sent back unchanged is resolved to the stored number by ``Member.clean``.
    """

    def __init__(self, mask, attrs=None):
        self.mask = mask
        super().__init__(attrs)

    def format_value(self, value):
        value = super().format_value(value)
        if value and "*" not in value:
            return self.mask(value)
        return value


def is_masked(value: str | None) -> bool:
    return bool(value) and "*" in value


class _NormalisedFormField(forms.CharField):
    """Accepts loose input, stores the normalised number; a masked value passes through."""

    normalise = staticmethod(lambda value: value)
    typed_max_length = 30

    def __init__(self, **kwargs):
        kwargs["max_length"] = self.typed_max_length
        kwargs.pop("validators", None)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value or is_masked(value):
            return value
        try:
            return self.normalise(value)
        except InvalidNumber as error:
            raise forms.ValidationError(self.error_messages[error.code], code=error.code) from error


class PhoneFormField(_NormalisedFormField):
    """A mainland mobile number; full-width digits, spaces, hyphens and +86 are normalised."""

    default_error_messages = {"bad_phone": _("Enter an 11-digit mobile number.")}
    normalise = staticmethod(normalize_phone)
    typed_max_length = 20

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel"}),
        )
        super().__init__(**kwargs)


class IdNumberFormField(_NormalisedFormField):
    default_error_messages = {
        "bad_id_number": _("This is not a valid 18-character ID card number.")
    }
    normalise = staticmethod(normalize_id_number)


class PhoneNumberField(models.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 11)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PhoneFormField, **kwargs})


class IdNumberField(models.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 18)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": IdNumberFormField, **kwargs})
