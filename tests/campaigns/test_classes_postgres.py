"""The last seat of a session goes to exactly one household, under real concurrency."""

import threading

import pytest
from django.db import connection

from campaigns import services
from campaigns.models import SessionSignup
from tests.campaigns.factories import add_class, make_site
from tests.factories import UserFactory, make_household, make_tree

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_eight_households_race_for_three_seats(media_root):
    tree = make_tree()
    site = make_site(tree)
    page, session = add_class(site["village"], capacity=3)
    houses = [make_household(tree["villages"][0], head_name=f"李{n}") for n in range(8)]
    user = UserFactory()
    barrier = threading.Barrier(len(houses))
    errors = []

    def sign_up(house):
        try:
            barrier.wait()
            services.session_sign_up(session=session, household=house, actor=user)
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up, args=(house,)) for house in houses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    statuses = list(SessionSignup.objects.filter(session=session).values_list("status", flat=True))
    assert statuses.count(SessionSignup.Status.CONFIRMED) == 3
    assert statuses.count(SessionSignup.Status.WAITING) == 5
