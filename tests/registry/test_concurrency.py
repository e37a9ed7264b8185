"""What the database must guarantee when several people act at once (real PostgreSQL)."""

import datetime
import threading

import pytest
from django.db import connection

from registry.exceptions import RegisterError
from registry.models import Household, User
from registry.services.register import household_move, villager_account_for_phone
from tests.factories import make_household, make_tree

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_together(target, count):
    barrier = threading.Barrier(count)
    outcomes = []

    def worker(index):
        try:
            barrier.wait()
            outcomes.append(("ok", target(index)))
        except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
            outcomes.append(("error", error))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_households_moving_to_one_number_at_once_one_wins_cleanly():
    tree = make_tree(villages=3)
    village_a, village_b, village_c = tree["villages"]
    movers = [make_household(village_a), make_household(village_b)]

    def move(index):
        return household_move(
            actor=None,
            household=movers[index],
            to_village=village_c,
            to_group=None,
            number="0888",
            effective_on=datetime.date(2026, 11, 23),
        )

    outcomes = _run_together(move, 2)
    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"]
    error = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(error, RegisterError) and error.code == "duplicate_number"
    assert Household.objects.filter(village=village_c, number="0888").count() == 1


def test_a_villager_asking_for_codes_on_two_phones_at_once_gets_one_account():
    tree = make_tree(villages=1)
    make_household(tree["villages"][0], phone="13900000011")
    outcomes = _run_together(lambda index: villager_account_for_phone(phone="13900000011"), 8)
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert len({user.pk for _, user in outcomes}) == 1
    assert User.objects.filter(phone="13900000011").count() == 1


def test_the_database_refuses_a_second_head():
    from django.db import IntegrityError

    from registry.models import Member

    tree = make_tree(villages=1)
    household = make_household(tree["villages"][0])
    with pytest.raises(IntegrityError):
        Member.objects.create(household=household, name="第二户主", relation=Member.Relation.HEAD)
