"""StreamField blocks of campaign pages: text, pictures, galleries, local video and audio,
quotes and calls to action. Every picture carries alt text (``ImageBlock`` asks for it)."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageBlock, ImageChooserBlock


class CaptionedImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("image"))
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=120)

    class Meta:
        icon = "image"
        template = "campaigns/blocks/captioned_image.html"


class GalleryBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("title"), required=False, max_length=60)
    images = blocks.ListBlock(CaptionedImageBlock(), label=_("images"))

    class Meta:
        icon = "image"
        label = _("Gallery")
        template = "campaigns/blocks/gallery.html"


class MediaBlock(blocks.StructBlock):
    """Video or audio uploaded as a document and played from our own server."""

    kind = blocks.ChoiceBlock(
        label=_("kind"),
        choices=[("video", _("Video")), ("audio", _("Audio"))],
        default="video",
    )
    file = DocumentChooserBlock(
        label=_("file"), help_text=_("An MP4 video or an MP3/M4A audio file.")
    )
    title = blocks.CharBlock(label=_("title"), max_length=80)
    transcript = blocks.TextBlock(
        label=_("words spoken"), required=False, help_text=_("For people who cannot listen.")
    )

    class Meta:
        icon = "media"
        label = _("Video or audio")
        template = "campaigns/blocks/media.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("quote"))
    attribution = blocks.CharBlock(label=_("who said it"), required=False, max_length=60)

    class Meta:
        icon = "openquote"
        label = _("Quote")
        template = "campaigns/blocks/quote.html"


class CallToActionBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("text"), max_length=120)
    button = blocks.CharBlock(label=_("button label"), max_length=20)
    page = blocks.PageChooserBlock(label=_("page"), required=False)
    url = blocks.CharBlock(
        label=_("or a link on this site"), required=False, max_length=200, help_text="/…"
    )

    class Meta:
        icon = "pick"
        label = _("Call to action")
        template = "campaigns/blocks/call_to_action.html"


class BodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(
        label=_("Text"),
        features=["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link"],
    )
    image = ImageBlock(label=_("Image"), template="campaigns/blocks/image.html")
    gallery = GalleryBlock()
    media = MediaBlock()
    quote = QuoteBlock()
    call_to_action = CallToActionBlock()
