import threading

import pytest
from django.db import connection, transaction

from registry.services import codes
from registry.services.codes import CodeRefused
from tests.factories import make_household, make_tree

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_one_phone_code_confirmed_at_two_counters_at_once_is_spent_once():
    household = make_household(make_tree()["villages"][0])
    issued = codes.phone_code_issue(household)
    scanned = codes.code_read(issued.token)
    barrier = threading.Barrier(8)
    outcomes = []

    def counter():
        try:
            barrier.wait()
            with transaction.atomic():
                codes.code_consume(scanned, purpose="redemption")
            outcomes.append("spent")
        except CodeRefused as refused:
            outcomes.append(refused.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=counter) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["spent"] + ["used"] * 7
