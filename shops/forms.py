from django import forms
from django.utils.translation import gettext_lazy as _

from shops.models import CatalogueItem, StockMove


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Household code"),
        max_length=80,
        widget=forms.TextInput(
            attrs={
                "data-scanner": "",
                "autocomplete": "off",
                "inputmode": "text",
                "placeholder": _("Scan, or type the 8-digit number"),
            }
        ),
    )


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class StockMoveForm(forms.Form):
    item = forms.ModelChoiceField(
        label=_("Item"), queryset=CatalogueItem.objects.none(), empty_label=_("Choose an item")
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (StockMove.Kind.DELIVERY, _("Delivery")),
            (StockMove.Kind.ADJUSTMENT, _("Adjustment")),
        ],
    )
    quantity = forms.IntegerField(
        label=_("Quantity"), help_text=_("An adjustment may be negative (broken, lost).")
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = store.items.order_by("name")
