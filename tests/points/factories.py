"""Helpers for the scoring tests (sorting checks, appraisals, commendations)."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from points.services.rules import rule_create

SORTING_RULES = [
    # code, kind, name, points, terms
    ("sorting-excellent", "earn", "垃圾分类 优", 3, {"cap_per_month": 30}),
    ("sorting-good", "earn", "垃圾分类 良", 2, {}),
    ("sorting-pass", "earn", "垃圾分类 合格", 1, {"auto_approve_up_to": 1}),
    ("sorting-fail", "deduct", "垃圾分类 不合格", 2, {}),
]


def make_sorting_rules(area, *, valid_from=datetime.date(2020, 1, 1), **overrides):
    """The four grade rules at ``area``; ``overrides`` maps a code to extra terms."""
    made = {}
    for code, kind, name, points, terms in SORTING_RULES:
        made[code] = rule_create(
            actor=None,
            area=area,
            code=code,
            category="sorting",
            kind=kind,
            is_published=True,
            name=name,
            points=points,
            valid_from=valid_from,
            **{**terms, **overrides.get(code, {})},
        )
    return made


def jpeg_bytes(size=(40, 20), color="red", exif=None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, color)
    if exif is not None:
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def photo_upload(name="photo.jpg", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(**kwargs), content_type="image/jpeg")
