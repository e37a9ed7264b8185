"""The photo pipeline for scoring evidence (sorting checks, appraisals, nominations) and for
every picture uploaded to the campaign site (``image_clean_for_site``, used by Wagtail's image
form ``campaigns.forms.AltTextImageForm``, so its originals are clean too).

``image_clean`` refuses what is not a real photo, what is over ``MAX_BYTES`` and what has more
than ``MAX_PIXELS`` pixels (a decompression bomb is refused from its header, before any pixel is
decoded); it turns the photo upright from its EXIF orientation, drops every EXIF tag (a phone's
GPS position among them) and shrinks it to at most ``MAX_SIDE`` pixels. ``photo_save`` stores the
result; the thumbnail is made afterwards by the ``points.tasks.photo_thumbnail`` Celery task.
"""

import io
import uuid
import warnings

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from points.models import Photo
from registry.exceptions import Refusal
from registry.models import Area, User

MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 50-megapixel phone photo is the largest we accept
MAX_SIDE = 1600
THUMB_SIDE = 360
FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}
# The campaign site also takes GIF pictures (posters, drawings); they are stored as PNG.
SITE_FORMATS = FORMATS | {"GIF"}
JPEG_QUALITY = 85


class ImageRefused(Refusal):
    """A refused upload (not a photo, too large, …)."""


def _not_a_photo() -> ImageRefused:
    return ImageRefused(
        "not_an_image", _("This file is not a photo. Please take or choose a photo.")
    )


def _open(data) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(data)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _not_a_photo() from None
    return image


def _too_big() -> ImageRefused:
    return ImageRefused(
        "too_big",
        _("The photo is larger than %(mb)s MB. Please send a smaller one.")
        % {"mb": MAX_BYTES // (1024 * 1024)},
    )


def _too_many_pixels() -> ImageRefused:
    return ImageRefused(
        "too_many_pixels",
        _(
            "The photo has too many pixels (at most %(millions)s million). Please send a smaller one."
        )
        % {"millions": MAX_PIXELS // 1_000_000},
    )


def _upright_pixels(upload, *, formats: set[str]) -> Image.Image:
    """The upload's pixels, upright, shrunk to ``MAX_SIDE`` and nothing else (no EXIF, no
    comments, no XMP): RGBA when the picture has transparency, else RGB. Raises ImageRefused (too_big, not_an_image, too_many_pixels)."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise _too_big()
    upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _too_big()
    image = _open(io.BytesIO(data))
    if image.format not in formats:
        raise _not_a_photo()
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise _too_many_pixels()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (OSError, SyntaxError, ValueError, EOFError):
        # A truncated or corrupt file: its header was readable, its pixels are not.
        raise _not_a_photo() from None
    upright = upright.convert("RGBA" if upright.mode in ("RGBA", "LA", "P", "PA") else "RGB")
    upright.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # A fresh image carries pixels only.
    clean = Image.new(upright.mode, upright.size)
    clean.paste(upright)
    return clean


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode != "RGBA":
        return image
    flat = Image.new("RGB", image.size, "white")
    flat.paste(image, mask=image.getchannel("A"))
    return flat


def image_clean(upload) -> bytes:
    """The upload as a clean JPEG (bytes). Raises ImageRefused (too_big, not_an_image,
    too_many_pixels)."""
    clean = _flatten(_upright_pixels(upload, formats=FORMATS))
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def image_clean_for_site(upload) -> tuple[bytes, str]:
    """A campaign-site picture cleaned like a scoring photo: ``(bytes, extension)``. Graphics
    (PNG, GIF) stay PNG so transparency and sharp edges survive; photos become JPEG. Raises
    ImageRefused like ``image_clean``."""
    clean = _upright_pixels(upload, formats=SITE_FORMATS)
    out = io.BytesIO()
    if clean.mode == "RGBA" or getattr(upload, "name", "").lower().endswith((".png", ".gif")):
        clean.save(out, format="PNG", optimize=True)
        return out.getvalue(), "png"
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue(), "jpg"


def photo_save(*, upload, village: Area, actor: User | None) -> Photo:
    """Clean and store an uploaded photo; the thumbnail follows on commit (Celery)."""
    from points.tasks import photo_thumbnail

    data = image_clean(upload)
    width, height = Image.open(io.BytesIO(data)).size
    photo = Photo(village=village, uploaded_by=actor, width=width, height=height)
    photo.image.save(f"{uuid.uuid4().hex}.jpg", ContentFile(data), save=False)
    photo.save()
    transaction.on_commit(lambda: photo_thumbnail.delay(photo.pk))
    return photo


def photo_thumbnail_make(*, photo: Photo) -> Photo:
    """Make the photo's thumbnail (at most ``THUMB_SIDE`` px); does nothing if it exists."""
    if photo.thumbnail:
        return photo
    with photo.image.open("rb") as stored:
        image = Image.open(stored)
        image.load()
    image.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=80)
    photo.thumbnail.save(f"{uuid.uuid4().hex}.jpg", ContentFile(out.getvalue()), save=False)
    photo.save(update_fields=["thumbnail"])
    return photo
