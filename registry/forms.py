from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from registry.models import Area, Household
from registry.params import validate_form_date
from registry.permissions import Action, Kind
from registry.scoping import areas_visible_to, visible_to

WRITE = {"kind": Kind.HOUSEHOLD, "action": Action.WRITE}


class HouseholdAdminForm(WagtailAdminModelForm):
    """Village and group choices are limited to the editor's own areas."""

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        if for_user is None:
            return
        if "village" in self.fields:
            self.fields["village"].queryset = areas_visible_to(
                for_user, level=Area.Level.VILLAGE, **WRITE
            )
            if self.instance.pk:
                # Changing village is a move, with its own screen and history.
                self.fields["village"].disabled = True
        if "group" in self.fields:
            self.fields["group"].queryset = areas_visible_to(
                for_user, level=Area.Level.GROUP, **WRITE
            )
        if "status" in self.fields:
            self.fields["status"].choices = [
                choice
                for choice in self.fields["status"].choices
                if choice[0] != Household.Status.MERGED or self.instance.status == choice[0]
            ]

    def clean(self):
        cleaned = super().clean()
        village, group = cleaned.get("village"), cleaned.get("group")
        if village and group and not group.is_child_of(village):
            self.add_error("group", _("The village group does not belong to this village."))
        return cleaned


class AreaAdminForm(WagtailAdminModelForm):
    """A new area is created under a parent within the editor's scope."""

    parent = forms.ModelChoiceField(
        queryset=Area.objects.none(), label=_("Parent area"), empty_label=_("Choose an area")
    )

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        if self.instance.pk:
            del self.fields["parent"]
        elif for_user is not None:
            self.fields["parent"].queryset = areas_visible_to(
                for_user, kind=Kind.AREA, action=Action.WRITE
            ).exclude(level=Area.Level.GROUP)

    def clean(self):
        cleaned = super().clean()
        parent = cleaned.get("parent")
        kind = cleaned.get("kind")
        if parent and kind:
            level = _CHILD_LEVEL[parent.level]
            if kind not in _KINDS_BY_LEVEL[level]:
                self.add_error("kind", _("This kind of area cannot be placed there."))
        if kind and kind != Area.Kind.GROUP and not cleaned.get("code"):
            self.add_error("code", _("The area code has 12 digits."))
        return cleaned


_CHILD_LEVEL = {
    Area.Level.DISTRICT: Area.Level.TOWN,
    Area.Level.TOWN: Area.Level.VILLAGE,
    Area.Level.VILLAGE: Area.Level.GROUP,
}
_KINDS_BY_LEVEL = {
    Area.Level.TOWN: {Area.Kind.TOWN, Area.Kind.SUBDISTRICT},
    Area.Level.VILLAGE: {Area.Kind.VILLAGE, Area.Kind.COMMUNITY},
    Area.Level.GROUP: {Area.Kind.GROUP},
}


def child_level(parent: Area) -> str:
    return _CHILD_LEVEL[parent.level]


class HouseholdMoveForm(forms.Form):
    to_village = forms.ModelChoiceField(
        queryset=Area.objects.none(), label=_("New village"), empty_label=_("Choose a village")
    )
    to_group = forms.ModelChoiceField(
        queryset=Area.objects.none(),
        label=_("Village group"),
        required=False,
        empty_label=_("No group"),
    )
    number = forms.CharField(label=_("Household number in the new village"), max_length=20)
    effective_on = forms.DateField(
        label=_("Effective on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_form_date],
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, user, household: Household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_village"].queryset = areas_visible_to(
            user, level=Area.Level.VILLAGE, **WRITE
        ).exclude(pk=household.village_id)
        self.fields["to_group"].queryset = areas_visible_to(user, level=Area.Level.GROUP, **WRITE)
        self.initial.setdefault("number", household.number)
        self.initial.setdefault("effective_on", timezone.localdate())


class HouseholdMergeForm(forms.Form):
    target = forms.ModelChoiceField(
        queryset=Household.objects.none(),
        label=_("Merge into household"),
        empty_label=_("Choose a household"),
    )
    effective_on = forms.DateField(
        label=_("Effective on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_form_date],
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, user, household: Household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = (
            visible_to(user, Household.objects.all(), **WRITE)
            .filter(village_id=household.village_id, status=Household.Status.ACTIVE)
            .exclude(pk=household.pk)
            .prefetch_related("members")
        )
        self.initial.setdefault("effective_on", timezone.localdate())
