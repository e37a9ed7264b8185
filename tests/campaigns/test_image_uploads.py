"""Pictures uploaded to the campaign site are cleaned like scoring photos, by every way in
(the add page, the multiple uploader, the chooser); broken files are form errors, never a 500.
Documents with broken or hostile content are no 500 either."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.documents.models import Document
from wagtail.images.models import Image

from tests.points.test_images import _phone_photo

pytestmark = pytest.mark.django_db


def _stored(image: Image) -> PILImage.Image:
    with image.file.open("rb") as stored:
        picture = PILImage.open(io.BytesIO(stored.read()))
        picture.load()
    return picture


def _assert_clean(image: Image) -> None:
    picture = _stored(image)
    assert picture.size == (800, 1600)  # upright (portrait) and shrunk
    assert (image.width, image.height) == (800, 1600)
    assert not picture.getexif()
    assert "exif" not in picture.info
    top = picture.getpixel((400, 50))
    assert top[0] > 200 and top[1] < 80  # the red block stored on the left is now on top


def _truncated() -> bytes:
    return _phone_photo()[:4000]


@pytest.fixture
def editor(client, people):
    client.force_login(people["editor"])
    return people["editor"]


def test_the_add_page_stores_a_clean_original(client, site, editor):
    response = client.post(
        reverse("wagtailimages:add"),
        {
            "title": "村口",
            "description": "村口的白墙",
            "file": SimpleUploadedFile("phone.jpg", _phone_photo(), "image/jpeg"),
        },
    )
    assert response.status_code == 302
    image = Image.objects.get()
    assert image.file.name.startswith("original_images/")
    _assert_clean(image)


def test_the_multiple_uploader_stores_a_clean_original(client, site, editor):
    response = client.post(
        reverse("wagtailimages:add_multiple"),
        {"title": "村口", "files[]": SimpleUploadedFile("phone.jpg", _phone_photo())},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert response.status_code == 200
    assert response.json()["success"] is True
    _assert_clean(Image.objects.get())


def test_the_chooser_upload_stores_a_clean_original(client, site, editor):
    response = client.post(
        reverse("wagtailimages_chooser:create"),
        {
            "image-chooser-upload-title": "村口",
            "image-chooser-upload-description": "村口的白墙",
            "image-chooser-upload-file": SimpleUploadedFile("phone.jpg", _phone_photo()),
        },
    )
    assert response.status_code == 200
    _assert_clean(Image.objects.get())


def test_a_png_with_transparency_stays_a_png(client, site, editor):
    out = io.BytesIO()
    PILImage.new("RGBA", (40, 30), (0, 0, 0, 0)).save(out, format="PNG")
    response = client.post(
        reverse("wagtailimages:add"),
        {
            "title": "标志",
            "description": "美家标志",
            "file": SimpleUploadedFile("logo.png", out.getvalue()),
        },
    )
    assert response.status_code == 302
    picture = _stored(Image.objects.get())
    assert picture.format == "PNG" and picture.mode == "RGBA"


@pytest.mark.parametrize(
    "data",
    [_truncated(), b"\xff\xd8\xff\xe0" + b"\x00" * 50, "不是图片".encode() * 100],
    ids=["truncated-jpeg", "jpeg-header-only", "text"],
)
def test_a_broken_picture_is_a_form_error_in_chinese_by_every_way_in(client, site, editor, data):
    added = client.post(
        reverse("wagtailimages:add"),
        {"title": "坏图", "description": "坏图", "file": SimpleUploadedFile("bad.jpg", data)},
    )
    assert added.status_code == 200
    assert "照片" in added.content.decode() or "图片" in added.content.decode()

    multiple = client.post(
        reverse("wagtailimages:add_multiple"),
        {"title": "坏图", "files[]": SimpleUploadedFile("bad.jpg", data)},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert multiple.status_code == 200
    assert multiple.json()["success"] is False

    chooser = client.post(
        reverse("wagtailimages_chooser:create"),
        {
            "image-chooser-upload-title": "坏图",
            "image-chooser-upload-description": "坏图",
            "image-chooser-upload-file": SimpleUploadedFile("bad.jpg", data),
        },
    )
    assert chooser.status_code == 200
    assert not Image.objects.exists()


@pytest.mark.parametrize(
    "name,data",
    [
        ("empty.pdf", b""),
        ("broken.pdf", b"%PDF-1.4\n" + b"\x00" * 100),
        ("song.mp3", b"ID3" + b"\xff" * 500),
        ("名字很长" * 60 + ".pdf", b"%PDF-1.4"),
    ],
)
def test_hostile_documents_are_never_a_500(client, site, editor, name, data):
    response = client.post(
        reverse("wagtaildocs:add"),
        {"title": "文件", "file": SimpleUploadedFile(name, data)},
    )
    assert response.status_code in (200, 302)
    multiple = client.post(
        reverse("wagtaildocs:add_multiple"),
        {"title": "文件", "files[]": SimpleUploadedFile(name, data)},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert multiple.status_code == 200
    for document in Document.objects.all():
        served = client.get(document.url)
        assert served.status_code in (200, 404)
        if served.streaming:
            b"".join(served.streaming_content)  # the test client closes the file after
