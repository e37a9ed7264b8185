"""The photo pipeline: upright, no EXIF, at most 1,600 px; non-images and bombs refused."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from points.images import ImageRefused, image_clean, photo_save, photo_thumbnail_make
from tests.points.factories import jpeg_bytes

ORIENTATION = 0x0112
GPS_INFO = 0x8825


def _phone_photo() -> bytes:
    """A 'portrait' photo as phones store it: landscape pixels, EXIF says rotate 90° (6), GPS."""
    image = Image.new("RGB", (2400, 1200), "white")
    # A red block on the left of the stored pixels: upright, it must be at the top.
    image.paste(Image.new("RGB", (400, 1200), "red"), (0, 0))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_INFO)[2] = (36.0, 48.0, 12.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def _upload(data: bytes, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def test_a_rotated_phone_photo_comes_out_upright_small_and_without_exif():
    source = _phone_photo()
    assert Image.open(io.BytesIO(source)).getexif()[ORIENTATION] == 6
    cleaned = Image.open(io.BytesIO(image_clean(_upload(source))))
    assert cleaned.format == "JPEG"
    # Upright: portrait now, at most 1,600 px on the long side.
    assert cleaned.size == (800, 1600)
    assert not cleaned.getexif()
    assert "exif" not in cleaned.info
    # The red block stored on the left is on top once turned 90° clockwise.
    top = cleaned.getpixel((400, 50))
    bottom = cleaned.getpixel((400, 1550))
    assert top[0] > 200 and top[1] < 80
    assert bottom[0] > 200 and bottom[1] > 200


def test_a_png_with_transparency_becomes_a_jpeg():
    out = io.BytesIO()
    Image.new("RGBA", (30, 30), (0, 0, 0, 0)).save(out, format="PNG")
    cleaned = Image.open(io.BytesIO(image_clean(_upload(out.getvalue(), "a.png"))))
    assert cleaned.format == "JPEG" and cleaned.getpixel((5, 5))[0] > 240


def test_a_text_file_renamed_jpg_is_refused():
    with pytest.raises(ImageRefused) as refused:
        image_clean(_upload("这不是照片，是一段文字。".encode() * 50, "photo.jpg"))
    assert refused.value.code == "not_an_image"
    assert refused.value.message == "这个文件不是照片，请拍一张或选一张照片。"


def test_a_truncated_jpeg_is_refused():
    data = jpeg_bytes(size=(400, 400))
    with pytest.raises(ImageRefused) as refused:
        image_clean(_upload(data[: len(data) // 3]))
    assert refused.value.code == "not_an_image"


def test_a_20000_by_20000_png_is_refused_from_its_header():
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, format="PNG", optimize=True)
    data = out.getvalue()
    assert len(data) < 1024 * 1024  # small on disk, 400 million pixels once decoded
    with pytest.raises(ImageRefused) as refused:
        image_clean(_upload(data, "bomb.png", "image/png"))
    assert refused.value.code == "too_many_pixels"
    assert "像素太多" in refused.value.message


def test_a_40_mb_file_is_refused():
    data = jpeg_bytes() + b"\0" * (40 * 1024 * 1024)
    with pytest.raises(ImageRefused) as refused:
        image_clean(_upload(data))
    assert refused.value.code == "too_big"
    assert refused.value.message == "照片超过 15 MB，请换一张小一点的。"


@pytest.mark.django_db
def test_photo_save_stores_the_clean_photo_and_the_task_makes_a_thumbnail(
    tree, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        photo = photo_save(upload=_upload(_phone_photo()), village=tree["villages"][0], actor=None)
    photo.refresh_from_db()
    assert (photo.width, photo.height) == (800, 1600)
    with photo.thumbnail.open("rb") as stored:
        assert max(Image.open(stored).size) == 360
    # Running the task again changes nothing.
    name = photo.thumbnail.name
    assert photo_thumbnail_make(photo=photo).thumbnail.name == name
