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


COMMENDATION_POINTS = {
    "good_daughter_in_law": 50,
    "good_mother_in_law": 50,
    "virtuous_youth": 30,
    "moral_model": 80,
    "beautiful_home": 30,
}


def make_commendation_rules(area, *, valid_from=datetime.date(2020, 1, 1)):
    """The published rules that price each commendation title at ``area``."""
    from points.services.commendations import commendation_rule_code

    return {
        title: rule_create(
            actor=None,
            area=area,
            code=commendation_rule_code(title),
            category="commendation",
            kind="earn",
            is_published=True,
            name=f"表彰 {title}",
            points=points,
            valid_from=valid_from,
        )
        for title, points in COMMENDATION_POINTS.items()
    }


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
