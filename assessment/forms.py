import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessment.models import Indicator
from registry.models import Area, User
from registry.permissions import Action, Kind
from registry.scoping import areas_visible_to


class EntryForm(forms.Form):
    """A village's yearly figure with a photo of its evidence (a test report, a ledger page)."""

    indicator = forms.ModelChoiceField(
        label=_("Indicator"),
        queryset=Indicator.objects.filter(source=Indicator.Source.ENTERED, is_active=True),
    )
    village = forms.ModelChoiceField(label=_("Village"), queryset=Area.objects.none())
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    value = forms.DecimalField(label=_("Figure"), max_digits=12, decimal_places=2, min_value=0)
    evidence = forms.ImageField(
        label=_("Evidence photo"),
        help_text=_("A photo of the report or record the figure comes from."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = areas_visible_to(
            user, kind=Kind.FIGURE, action=Action.WRITE
        ).filter(level=Area.Level.VILLAGE)
        today: datetime.date = timezone.localdate()
        self.fields["year"].initial = today.year - 1


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("Why it is sent back"), max_length=200)
