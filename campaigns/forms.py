"""The work desk's image form: alt text (Wagtail's ``description``) is required."""

from django.utils.translation import gettext_lazy as _
from wagtail.images.forms import BaseImageForm


class AltTextImageForm(BaseImageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("description")
        if field is None:
            return
        field.label = _("Alt text")
        field.help_text = _(
            "Say in a few words what the picture shows, for people who cannot see it "
            "(for example: 村民在村口分拣垃圾)."
        )
        # Wagtail's multiple uploader first checks the bare file (its data has no description);
        # it then asks for the alt text in the edit form it shows for each uploaded picture.
        field.required = not self.is_bound or "description" in self.data
