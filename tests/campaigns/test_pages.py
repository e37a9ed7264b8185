"""The page tree: which page goes where, and every page type renders on a phone."""

import datetime

import pytest
from django.utils import timezone
from wagtail.documents.models import Document
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from campaigns.models import (
    ArticlePage,
    CampaignPage,
    DistrictHomePage,
    EventPage,
    GalleryImage,
    GalleryPage,
    HonourBoardPage,
    LessonPage,
    OfflineClassPage,
    RulesPage,
    SongPage,
    StoreDirectoryPage,
    TownSectionPage,
    VillageSectionPage,
)
from tests.campaigns.factories import add_article, add_class, make_image, make_site
from tests.factories import make_tree

CONTENT = [
    ArticlePage,
    CampaignPage,
    LessonPage,
    OfflineClassPage,
    SongPage,
    EventPage,
    GalleryPage,
    HonourBoardPage,
    RulesPage,
    StoreDirectoryPage,
]


class TestPageTree(WagtailPageTestCase):
    def test_sections_nest_district_town_village(self):
        self.assertAllowedParentPageTypes(DistrictHomePage, {Page})
        self.assertAllowedParentPageTypes(TownSectionPage, {DistrictHomePage})
        self.assertAllowedParentPageTypes(VillageSectionPage, {TownSectionPage})
        self.assertCanNotCreateAt(DistrictHomePage, VillageSectionPage)
        self.assertCanNotCreateAt(VillageSectionPage, TownSectionPage)

    def test_content_lives_under_any_section_and_has_no_children(self):
        for model in CONTENT:
            self.assertAllowedParentPageTypes(
                model, {DistrictHomePage, TownSectionPage, VillageSectionPage}
            )
            self.assertAllowedSubpageTypes(model, set())

    def test_every_page_type_renders(self):
        tree = make_tree()
        site = make_site(tree)
        village = site["village"]
        image = make_image()
        doc = Document.objects.create(title="录音", file=_file("song.mp3"))
        pages = [
            site["home"],
            site["town"],
            village,
            add_article(village, "村里开展垃圾分类", kind="notice", listing_image=image),
            village.add_child(
                instance=CampaignPage(
                    title="美在家庭",
                    body=[
                        ("paragraph", "<p>家家户户讲卫生</p>"),
                        ("image", {"image": image, "decorative": False, "alt_text": "院子"}),
                        ("quote", {"text": "家美村才美", "attribution": "老支书"}),
                        (
                            "call_to_action",
                            {"text": "报名学堂", "button": "去报名", "page": None, "url": "/"},
                        ),
                        (
                            "media",
                            {"kind": "audio", "file": doc, "title": "广播", "transcript": "大家好"},
                        ),
                        (
                            "gallery",
                            {"title": "美学小巷", "images": [{"image": image, "caption": "小巷"}]},
                        ),
                    ],
                )
            ),
            village.add_child(instance=LessonPage(title="厕所革命小知识", kind="text")),
            add_class(village)[0],
            village.add_child(
                instance=SongPage(title="美之歌", lyrics="美在家庭\n美在心", audio=doc)
            ),
            village.add_child(
                instance=EventPage(
                    title="美家歌谣会",
                    starts_at=timezone.now() + datetime.timedelta(days=3),
                    place="文化广场",
                )
            ),
            village.add_child(instance=HonourBoardPage(title="红榜")),
            village.add_child(instance=RulesPage(title="积分细则")),
            village.add_child(instance=StoreDirectoryPage(title="美家超市")),
        ]
        gallery = village.add_child(instance=GalleryPage(title="美学小巷"))
        GalleryImage.objects.create(page=gallery, image=image, caption="村东小巷")
        pages.append(gallery)
        for page in pages:
            response = self.client.get(page.url)
            self.assertEqual(response.status_code, 200, page)
            html = response.content.decode()
            self.assertIn('property="og:title"', html)
            self.assertIn(f"<title>{page.title}", html)
        article = pages[3]
        html = self.client.get(article.url).content.decode()
        self.assertIn('property="og:image"', html)
        gallery_html = self.client.get(gallery.url).content.decode()
        self.assertIn('type="image/webp"', gallery_html)
        self.assertIn('loading="lazy"', gallery_html)
        self.assertIn('alt="村口的照片"', gallery_html)


def _file(name):
    from django.core.files.base import ContentFile

    return ContentFile(b"ID3fake", name=name)


@pytest.mark.django_db
def test_home_at_root_lists_the_district_news(client, site):
    add_article(site["home"], "区里召开美在家庭推进会")
    response = client.get("/")
    assert response.status_code == 200
    assert "区里召开美在家庭推进会" in response.content.decode()
