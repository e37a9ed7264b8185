"""With Redis unreachable (cache and Celery broker at a closed port) pages, sign-in and the counter
keep working: the page cache is skipped, rate limits and guess counters carry on in the database,
and a job that cannot be queued says so to the person who asked."""

import re

import pytest
from django.core.cache import caches
from django.urls import reverse

from meijia import sms
from meijia.celery import app as celery_app
from shops.models import CardPrintJob
from tests.factories import Role, make_household, make_staff
from tests.shops.factories import make_shop_world, make_villager

pytestmark = pytest.mark.django_db

DOWN = "redis://127.0.0.1:1/0"
PASSWORD = "pass-word-123"  # tests.factories.UserFactory's


def _reset_celery_connections() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "meijia.cache.FallbackRedisCache",
            "LOCATION": DOWN,
            "KEY_PREFIX": "meijia",
            "OPTIONS": {"FALLBACK": "database"},
        },
        "pages": {
            "BACKEND": "meijia.cache.FallbackRedisCache",
            "LOCATION": DOWN,
            "KEY_PREFIX": "meijia-pages",
            "OPTIONS": {"FALLBACK": None},
        },
        "database": settings.DATABASE_CACHE,
    }
    conf = celery_app.conf
    saved = (conf.broker_url, conf.broker_write_url, conf.task_always_eager)
    conf.broker_url, conf.broker_write_url, conf.task_always_eager = DOWN, DOWN, False
    _reset_celery_connections()
    yield
    conf.broker_url, conf.broker_write_url, conf.task_always_eager = saved
    _reset_celery_connections()


def test_the_fallback_cache_keeps_values_in_the_database(redis_down):
    cache = caches["default"]
    cache.set("k", 41, 60)
    assert cache.incr("k") == 42
    assert caches["database"].get("k") == 42
    # The page cache has no fallback: nothing is kept, nothing fails.
    caches["pages"].set("page", b"<html>", 60)
    assert caches["pages"].get("page") is None


def test_anonymous_pages_and_the_sign_in_forms_answer(client, redis_down, tree):
    for url in ("/", reverse("account_login"), reverse("account_request_login_code")):
        assert client.get(url, follow=True).status_code == 200, url


def test_campaign_pages_are_rendered_without_the_page_cache(client, redis_down, tree, media_root):
    from tests.campaigns.factories import make_site

    site = make_site(tree)
    for _reader in range(2):
        response = client.get(site["village"].url)
        assert response.status_code == 200
        assert response.get("X-Page-Cache") != "hit"


def test_staff_sign_in_and_its_limit_hold(client, redis_down, tree):
    committee = make_staff(Role.COMMITTEE, tree["villages"][0])
    response = client.post(
        reverse("account_login"), {"login": committee.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    client.logout()
    for attempt in range(5):
        client.post(
            reverse("account_login"), {"login": committee.username, "password": f"x{attempt}"}
        )
    response = client.post(
        reverse("account_login"), {"login": committee.username, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


# Committed for real: the code is recorded in the outbox and sent on commit, in the request that
# asked for it, with no broker in between.
@pytest.mark.django_db(transaction=True)
def test_asking_for_a_code_sends_it_without_redis_or_the_broker(client, redis_down, tree):
    make_household(tree["villages"][0], head_name="孙桂兰", phone="13900000001")
    response = client.post(reverse("account_request_login_code"), {"phone": "13900000001"})
    assert response.status_code == 302
    assert client.get(response.url).status_code == 200
    assert [message.phone for message in sms.outbox] == ["13900000001"]


def test_the_villagers_home_and_typed_codes_at_the_counter(client, redis_down):
    world = make_shop_world(balance=100, stock=10)
    villager = make_villager(world["household"])
    client.force_login(villager)
    assert client.get("/", follow=True).status_code == 200
    page = client.get(reverse("household_code", args=[world["household"].pk]))
    digits = re.search(r'data-digits="(\d{8})"', page.content.decode()).group(1)

    client.force_login(world["keeper"])
    counter = reverse("shops:counter_preview", args=[world["store"].pk])
    assert client.post(counter, {"code": "00000000"}).status_code < 500
    preview = client.post(counter, {"code": digits})
    assert preview.status_code == 200
    assert "张*明家" in preview.content.decode()


def test_card_printing_says_it_could_not_be_queued(
    client, redis_down, tree, django_capture_on_commit_callbacks
):
    village = tree["villages"][0]
    make_household(village, head_name="孙桂兰", phone="13900000001")
    client.force_login(make_staff(Role.COMMITTEE, village))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("shops_cards:home"), {"village": village.pk, "numbers": ""})
    job = CardPrintJob.objects.get()
    assert response.url == reverse("shops_cards:job", args=[job.pk])
    assert job.status == CardPrintJob.Status.FAILED
    page = client.get(response.url).content.decode()
    assert job.error and job.error in page
    progress = client.get(reverse("shops_cards:progress", args=[job.pk])).json()
    assert progress["status"] == "failed" and not progress["is_running"]
