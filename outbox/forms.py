from django import forms
from django.utils.translation import gettext_lazy as _

from outbox.services import NOTICE_MAX_CHARS


class NoticeForm(forms.Form):
    area = forms.ModelChoiceField(
        queryset=None, label=_("Send to the households of"), empty_label=_("Choose an area")
    )
    text = forms.CharField(
        label=_("Notice"),
        max_length=NOTICE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("At most 56 characters: it goes as one text message."),
    )

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
