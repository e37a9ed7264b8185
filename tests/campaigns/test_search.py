"""Chinese search: two- and three-character queries find the pages that contain them."""

import pytest

from campaigns.search import cjk_bigrams, query_terms
from campaigns.selectors import page_search
from tests.campaigns.factories import add_article

pytestmark = pytest.mark.django_db


def test_bigrams():
    assert cjk_bigrams("垃圾分类") == "垃圾 圾分 分类"
    assert query_terms("美家 超市") == ["美家", "超市"]
    assert query_terms("厕所改造") == ["厕所", "所改", "改造"]


def _pages(site):
    village = site["village"]
    return {
        "sorting": add_article(
            village, "村里开展分类投放", text="每户门前摆放两个桶，垃圾分类从我做起。"
        ),
        "toilet": add_article(village, "改厕进行时", text="今年全村完成旱厕改造，厕所干净无异味。"),
        "home": add_article(site["home"], "美家超市开张", summary="积分可以换油盐酱醋"),
    }


@pytest.mark.parametrize(
    "query,expected",
    [("垃圾", {"sorting"}), ("厕所", {"toilet"}), ("美家", {"home"}), ("换油盐", {"home"})],
)
def test_two_and_three_character_queries_find_pages(site, query, expected):
    pages = _pages(site)
    found = {page.pk for page in page_search(query=query)}
    assert found == {pages[name].pk for name in expected}


def test_search_page(client, site):
    _pages(site)
    html = client.get("/site/search/", {"q": "厕所"}).content.decode()
    assert "改厕进行时" in html
    assert "村里开展分类投放" not in html


def test_unpublished_pages_are_not_found(site):
    pages = _pages(site)
    pages["toilet"].unpublish()
    assert page_search(query="厕所") == []
