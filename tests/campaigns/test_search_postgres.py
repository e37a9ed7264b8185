"""The same Chinese search on PostgreSQL's full-text backend."""

import pytest

from campaigns.selectors import page_search
from tests.campaigns.factories import add_article

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_two_character_terms_on_postgres(site):
    sorting = add_article(site["village"], "分类投放", text="垃圾分类从我做起")
    toilet = add_article(site["village"], "改厕", text="厕所干净无异味")
    market = add_article(site["home"], "美家超市开张")
    assert [p.pk for p in page_search(query="垃圾")] == [sorting.pk]
    assert [p.pk for p in page_search(query="厕所")] == [toilet.pk]
    assert [p.pk for p in page_search(query="美家")] == [market.pk]
    assert page_search(query="垃圾厕所") == []
