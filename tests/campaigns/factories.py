"""Builders for the campaign site in tests: a site rooted at a district home with a town and a
village section, images made with Pillow, and pages of every type."""

import datetime
import io

from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.images.models import Image
from wagtail.models import Page, Site

from campaigns.models import (
    ArticlePage,
    ClassSession,
    DistrictHomePage,
    OfflineClassPage,
    TownSectionPage,
    VillageSectionPage,
)


def make_image(title: str = "村口", color=(200, 30, 40), size=(800, 600)) -> Image:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, color).save(buffer, "JPEG")
    return Image.objects.create(
        title=title,
        description=f"{title}的照片",
        file=ImageFile(buffer, name=f"{title}.jpg"),
    )


def make_site(tree: dict) -> dict:
    """District home as the default site's root, with sections for the tree's town and first
    village (all published)."""
    root = Page.get_first_root_node() or _rebuild_wagtail_roots()
    home = root.add_child(
        instance=DistrictHomePage(title="美在家庭", slug="district", area=tree["district"])
    )
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "美家"},
    )
    town = home.add_child(
        instance=TownSectionPage(title=tree["town"].name, slug="town", area=tree["town"])
    )
    village = town.add_child(
        instance=VillageSectionPage(
            title=tree["villages"][0].name, slug="village", area=tree["villages"][0]
        )
    )
    return {"home": home, "town": town, "village": village}


def _rebuild_wagtail_roots() -> Page:
    """Transactional tests flush the rows Wagtail's migrations made: the locale, the root page,
    the root collection and the role groups' permissions."""
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Collection, Locale

    from registry.services.register import role_groups_sync

    Locale.objects.get_or_create(
        language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
    )
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    role_groups_sync()
    return Page.add_root(title="Root", slug="root")


def add_article(parent: Page, title: str, text: str = "", **kwargs) -> ArticlePage:
    body = [("paragraph", f"<p>{text or title}</p>")]
    page = parent.add_child(instance=ArticlePage(title=title, body=body, **kwargs))
    page.save_revision().publish()  # as an editor's publish does (sends page_published)
    return page


def add_class(parent: Page, *, title: str = "垃圾分类课", capacity: int = 2, **kwargs):
    page = parent.add_child(instance=OfflineClassPage(title=title, **kwargs))
    session = ClassSession.objects.create(
        page=page,
        starts_at=timezone.now() + datetime.timedelta(days=2),
        place="村委会议室",
        capacity=capacity,
    )
    return page, session
