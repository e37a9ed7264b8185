"""The site's image model: alt text is required, so every picture a villager's phone reads aloud
has words for it."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.images.models import AbstractImage, AbstractRendition, Image


class CampaignImage(AbstractImage):
    # Wagtail's own ``description`` doubles as alt text; here it may not be left empty.
    description = models.CharField(
        _("alt text"),
        max_length=255,
        help_text=_(
            "Say in a few words what the picture shows, for people who cannot see it "
            "(for example: 村民在村口分拣垃圾)."
        ),
    )

    admin_form_fields = Image.admin_form_fields

    class Meta(AbstractImage.Meta):
        verbose_name = _("image")
        verbose_name_plural = _("images")

    @property
    def alt(self) -> str:
        return self.description or self.title

    @property
    def default_alt_text(self) -> str:
        return self.description or self.title


class CampaignRendition(AbstractRendition):
    image = models.ForeignKey(CampaignImage, on_delete=models.CASCADE, related_name="renditions")

    class Meta:
        unique_together = (("image", "filter_spec", "focal_point_key"),)
