"""A client's idempotency key: one pattern, matched whole, and one rule (Stripe's): a key belongs
to the first request made with it. A retry returns the first result; another request under the
key is refused as key_reused and changes nothing."""

import datetime

import pytest

from points.exceptions import LedgerError
from points.models import AppraisalScore, Commendation, PointsClaim, SortingCheck
from points.services.appraisals import appraisal_campaign_create, appraisal_score_record
from points.services.claims import claim_record
from points.services.commendations import commendation_nominate
from points.services.keys import key_is_valid
from points.services.ledger import Source
from points.services.sorting import sorting_check_record, sorting_round_open
from tests.factories import Role, make_household, make_staff
from tests.points.factories import make_commendation_rules, make_sorting_rules

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 11, 20)


@pytest.mark.parametrize(
    ("key", "valid"),
    [
        ("0f8fad5bd9cb469fa16570867728950e", True),
        ("key-excellent-1", True),
        ("k" * 64, True),
        ("k" * 64 + "\n", False),
        ("k" * 20 + "\n", False),
        ("\n" + "k" * 20, False),
        (" " + "k" * 20, False),
        ("k" * 20 + "\x00", False),
        ("k" * 65, False),
        ("short", False),
        ("键" * 10, False),
        (12345678901, False),
        (None, False),
    ],
)
def test_one_pattern_matched_whole(key, valid):
    assert key_is_valid(key) is valid


@pytest.fixture
def world(tree):
    village = tree["villages"][0]
    make_sorting_rules(tree["district"])
    make_commendation_rules(tree["district"])
    scorer = make_staff(Role.COMMITTEE, village, name="李委员")
    return {
        "tree": tree,
        "village": village,
        "scorer": scorer,
        "other_scorer": make_staff(Role.COMMITTEE, village, name="王委员"),
        "household": make_household(village, head_name="赵秀英"),
        "neighbour": make_household(village, head_name="钱大明"),
        "round": sorting_round_open(village=village, actor=scorer, held_on=DAY),
    }


def _refused(code, call, **kwargs):
    with pytest.raises(LedgerError) as refused:
        call(**kwargs)
    assert refused.value.code == code
    assert refused.value.message


def _grade(world, **changes):
    return sorting_check_record(
        **{
            "round": world["round"],
            "household": world["household"],
            "grade": "excellent",
            "actor": world["scorer"],
            "idempotency_key": "grade-key-0001",
            "note": "分得很好",
            **changes,
        }
    )


@pytest.mark.parametrize(
    "change",
    [
        {"grade": "fail"},
        {"note": "另一条"},
        {"household": "neighbour"},
        {"actor": "other_scorer"},
    ],
)
def test_a_grade_key_with_another_request_is_refused(world, change):
    first = _grade(world)
    assert _grade(world).pk == first.pk  # the offline queue re-sending the same entry
    changes = {name: world.get(value, value) for name, value in change.items()}
    _refused("key_reused", _grade, world=world, **changes)
    assert SortingCheck.objects.count() == 1
    assert PointsClaim.objects.count() == 1


@pytest.mark.parametrize("key", ["k" * 64 + "\n", "grade-key-0001\n", " grade-key-0001"])
def test_a_grade_key_with_a_newline_or_space_is_refused_not_stored(world, key):
    _refused("bad_key", _grade, world=world, idempotency_key=key)
    assert not SortingCheck.objects.exists()


def test_a_grade_key_refused_over_the_offline_upload(client, world):
    client.force_login(world["scorer"])
    url = f"/scoring/sorting/{world['round'].pk}/grade/"
    body = {"household": world["household"].pk, "grade": "good", "key": "k" * 64 + "\n"}
    response = client.post(url, body, HTTP_ACCEPT="application/json")
    assert response.status_code == 409, response.status_code
    assert response.json()["code"] == "bad_key"
    assert not SortingCheck.objects.exists()


def test_an_appraisal_sheet_key_belongs_to_its_first_sheet(world):
    campaign = appraisal_campaign_create(
        village=world["village"],
        title="2026年11月 美家美院评比",
        period_start=datetime.date(2026, 11, 1),
        period_end=datetime.date(2026, 11, 30),
        actor=world["scorer"],
    )
    criteria = [criterion.pk for criterion in campaign.criteria.all()]

    def sheet(household="household", values=18, key="sheet-key-0001"):
        return appraisal_score_record(
            campaign=campaign,
            household=world[household],
            scorer=world["scorer"],
            scores=dict.fromkeys(criteria, values),
            idempotency_key=key,
        )

    first = sheet()
    assert sheet().pk == first.pk
    _refused("key_reused", sheet, values=19)
    _refused("key_reused", sheet, household="neighbour")
    _refused("bad_key", sheet, key="sheet-key-0002\n")
    assert AppraisalScore.objects.count() == 1


def test_a_nomination_key_belongs_to_its_first_nomination(world):
    def nominate(household="household", title=Commendation.Title.MORAL_MODEL, key="nominate-1"):
        return commendation_nominate(
            household=world[household],
            title=title,
            citation="热心公益",
            actor=world["scorer"],
            idempotency_key=key,
        )

    first = nominate()
    assert nominate().pk == first.pk
    _refused("key_reused", nominate, household="neighbour")
    _refused("key_reused", nominate, title=Commendation.Title.GOOD_DAUGHTER_IN_LAW)
    _refused("bad_key", nominate, key="nominate-1\n")
    assert Commendation.objects.count() == 1


def test_a_claim_key_belongs_to_its_first_claim(world):
    check = _grade(world)
    claim = check.claim

    def record(household="household", source_id=check.pk):
        return claim_record(
            household=world[household],
            version=claim.rule_version,
            actor=world["scorer"],
            idempotency_key=claim.idempotency_key,
            source=Source(type="sorting_check", id=source_id),
        )

    assert record().pk == claim.pk
    _refused("key_reused", record, household="neighbour")
    _refused("key_reused", record, source_id=check.pk + 1000)
    assert PointsClaim.objects.count() == 1
