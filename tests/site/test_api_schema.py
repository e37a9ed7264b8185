"""The JSON API keeps its contract: schemathesis (the fuzzer of issue 19) drives the live test
server from /api/v1/openapi.json with every check on, as each kind of caller (staff token,
villager token, counter device token, nobody), statelessly over every operation and statefully
through the counter's preview → confirm link with real household codes. Any finding fails.

The runs are bounded (EXAMPLES per operation and phase, STEPS per scenario) to stay within about
a minute on CI's two cores; the books are checked afterwards.
"""

import json

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import CHECKS, load_all_checks
from wagtail.models import APIToken

from points.models import Account, Posting
from points.selectors.ledger import ledger_problems_list
from registry.services import codes
from shops.models import Redemption
from shops.services.devices import counter_device_create
from shops.services.stock import stock_mismatches
from tests.shops.factories import make_shop_world, make_villager

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = 12
SCENARIOS = 15
STEPS = 4
CALLERS = ["staff", "villager", "device", "none"]
FAST = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)


@pytest.fixture
def world(live_server):
    shop = make_shop_world(balance=5000, stock=500)
    _device, device_token = counter_device_create(
        store=shop["store"], user=shop["keeper"], name="柜台"
    )
    _staff, staff_token = APIToken.create_token(user=shop["town_admin"], name="工作台")
    villager = make_villager(shop["household"])
    _own, villager_token = APIToken.create_token(user=villager, name="小程序")
    tokens = {"staff": staff_token, "villager": villager_token, "device": device_token}
    shop["headers"] = {
        who: {"Authorization": f"Bearer {tokens[who]}"} if who in tokens else {} for who in CALLERS
    }
    shop["url"] = live_server.url
    return shop


def _served_schema() -> dict:
    """The document /api/v1/openapi.json serves (the test below checks it is that one)."""
    from meijia.api import api

    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))


# Loaded at collection, before the live server exists: each call names the server (base_url).
schema = schemathesis.openapi.from_dict(_served_schema())


@pytest.fixture
def api_schema(world):
    served = requests.get(f"{world['url']}/api/v1/openapi.json", timeout=10).json()
    assert served == schema.raw_schema
    return schema


def _books_are_whole(world) -> None:
    household = world["household"]
    spent = sum(redemption.points for redemption in Redemption.objects.filter(household=household))
    assert Account.objects.get(household=household).balance == 5000 - spent
    problems, _accounts, _transactions = ledger_problems_list()
    assert problems == []
    assert stock_mismatches() == []


def test_every_check_is_on():
    """The runs below use the configured checks: all of schemathesis's, none left out."""
    load_all_checks()
    names = CHECKS.get_all_names()
    assert "ignored_auth" in names and "unsupported_method" in names
    assert all(schema.config.checks.get_by_name(name=name).enabled for name in names)


@schema.parametrize()
@FAST
def test_every_answer_is_in_the_schema(case, world):
    """Each drawn request is sent as every kind of caller (one live-server database per
    operation, not per operation and caller: flushing it is what costs)."""
    for caller in CALLERS:
        case.call_and_validate(base_url=world["url"], headers=world["headers"][caller])


def test_the_counter_flow_from_the_schema_alone(api_schema, world):
    """Stateful: the preview's link leads to the confirmation. Valid previews are given real codes
    (a phone code, its typed digits, the household's card) or keep the fuzzer's own."""
    household = world["household"]
    kinds = ["phone", "digits", "card", None]
    counter = schemathesis.openapi.from_dict(_served_schema()).include(path_regex="/counter/")
    counter.config.update(base_url=world["url"], headers=world["headers"]["device"])

    class CounterFlow(counter.as_state_machine()):
        def before_call(self, case):
            is_valid = case.meta is not None and case.meta.generation.mode.is_positive
            if case.path.endswith("/counter/preview") and is_valid:
                # Chosen from the drawn case, so that Hypothesis replays a scenario alike.
                kind = kinds[len(str(case.body.get("code", ""))) % len(kinds)]
                if kind == "card":
                    case.body["code"] = codes.card_token(household)
                elif kind is not None:
                    issued = codes.phone_code_issue(household)
                    case.body["code"] = issued.token if kind == "phone" else issued.digits

    CounterFlow.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    # The flow reached real confirmations, and the books are whole.
    assert Redemption.objects.filter(household=household).exists()
    assert Posting.objects.filter(account__household=household).count() >= 2
    _books_are_whole(world)
