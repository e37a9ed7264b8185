"""Pages are cached for anonymous readers, emptied on publish; query counts stay flat."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.cache import CSRF_PLACEHOLDER
from tests.campaigns.factories import add_article, add_class, make_image

pytestmark = pytest.mark.django_db


def test_anonymous_pages_come_from_the_cache_until_something_is_published(
    client, site, django_assert_num_queries, django_capture_on_commit_callbacks
):
    village = site["village"]
    add_article(village, "第一条新闻")
    first = client.get(village.url)
    assert first["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        second = client.get(village.url)
    assert second["X-Page-Cache"] == "hit"
    assert second.content.decode().count("第一条新闻") == 1
    with django_capture_on_commit_callbacks(execute=True):
        add_article(village, "刚发布的公告", kind="notice")
    third = client.get(village.url)
    assert third["X-Page-Cache"] == "miss"
    assert "刚发布的公告" in third.content.decode()


def test_cached_pages_carry_each_readers_own_csrf_token(client, site):
    village = site["village"]
    client.get(village.url)
    response = client.get(village.url)
    html = response.content.decode()
    assert CSRF_PLACEHOLDER not in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "csrftoken" in response.cookies
    # The large-text switch works from a cached page.
    switched = client.post("/prefs/text-size/", {"size": "large", "next": village.url})
    assert switched.status_code == 302


def test_signed_in_readers_are_never_served_from_the_cache(client, site, people):
    client.force_login(people["villager"])
    client.get(site["village"].url)
    assert "X-Page-Cache" not in client.get(site["village"].url)


def _queries(client, url) -> int:
    from django.core.cache import caches

    caches["default"].clear()
    caches["pages"].clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_village_section_queries_do_not_grow_with_its_content(client, site):
    village = site["village"]
    image = make_image()
    add_article(village, "新闻0", listing_image=image)
    add_class(village, title="课堂0")
    few = _queries(client, village.url)
    for n in range(1, 8):
        add_article(village, f"新闻{n}", listing_image=make_image(f"图{n}"))
        add_class(village, title=f"课堂{n}")
    _queries(client, village.url)  # renditions are made on the first view
    many = _queries(client, village.url)
    assert many <= few
    assert many <= 30


def test_villager_home_queries_are_bounded(client, site, people, django_assert_max_num_queries):
    for n in range(6):
        add_article(site["village"], f"村里的事{n}", listing_image=make_image(f"村{n}"))
        add_article(site["home"], f"区里的事{n}")
    page, session = add_class(site["village"])
    from campaigns import services

    services.session_sign_up(session=session, household=people["house"], actor=people["villager"])
    client.force_login(people["villager"])
    client.get("/")
    with django_assert_max_num_queries(28):
        response = client.get("/")
    html = response.content.decode()
    assert "村里的事5" in html and "区里的事5" in html
    assert page.title in html
