"""The work desk's image form: alt text (Wagtail's ``description``) is required, and the file
is cleaned like a scoring photo before Wagtail stores it.

Wagtail builds every image form from this base (``WAGTAILIMAGES_IMAGE_FORM_BASE``): the add
and edit pages, the multiple uploader and the chooser's upload tab. The original Wagtail keeps
in the public ``original_images/`` folder is therefore the cleaned picture: upright, without
EXIF (no GPS position), at most ``points.images.MAX_SIDE`` pixels a side. A file that is not a
picture, is truncated, too large or has too many pixels is a form error, never a 500.
"""

from pathlib import Path

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext_lazy as _
from wagtail.images.fields import WagtailImageField
from wagtail.images.forms import BaseImageForm

from points.images import ImageRefused, image_clean_for_site


class CleanImageField(WagtailImageField):
    """Wagtail's image field, fed the cleaned picture: Wagtail's own checks (extension, size,
    pixels) then run on what will be stored, and Willow never decodes the raw upload."""

    def to_python(self, data):
        if data in self.empty_values or not hasattr(data, "read"):
            return super().to_python(data)
        try:
            content, extension = image_clean_for_site(data)
        except ImageRefused as refused:
            raise forms.ValidationError(refused.message, code=refused.code) from None
        stem = Path(getattr(data, "name", "") or "image").stem[:80] or "image"
        content_type = "image/png" if extension == "png" else "image/jpeg"
        return super().to_python(
            SimpleUploadedFile(f"{stem}.{extension}", content, content_type=content_type)
        )


class AltTextImageForm(BaseImageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        upload = self.fields.get("file")
        if type(upload) is WagtailImageField:
            # Every image form Wagtail builds (add, edit, multiple upload, chooser upload) gets
            # its file field from the model; this form's copy cleans what it is given.
            upload.__class__ = CleanImageField
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
