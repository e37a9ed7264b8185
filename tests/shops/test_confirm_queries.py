"""The confirmation's statement budget (bench/redeem.py measures its cost)."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from points.models import Account
from registry.services import codes
from shops.services.devices import counter_device_create
from tests.shops.factories import make_shop_world

pytestmark = pytest.mark.django_db


def test_counter_confirm_statement_budget_and_one_savepoint(client):
    world = make_shop_world(balance=100, stock=10)
    _device, token = counter_device_create(store=world["store"], user=world["keeper"], name="台")
    household = world["household"]

    def confirm():
        payload = {
            "code": codes.card_token(household),
            "idempotency_key": uuid.uuid4().hex,
            "basket": [{"item_id": world["soap"].pk, "quantity": 1}],
        }
        return client.post(
            "/api/v1/counter/confirm",
            payload,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    # The store's first redemption creates its points account (once in its life).
    assert confirm().status_code == 200
    assert Account.objects.filter(store_id=world["store"].pk).exists()
    with CaptureQueriesContext(connection) as captured:
        response = confirm()
    assert response.status_code == 200, response.content
    statements = [query["sql"] for query in captured.captured_queries]
    # The redemption's own atomic block (a savepoint inside the test's transaction); the
    # ledger adds none.
    assert sum(sql.startswith("SAVEPOINT") for sql in statements) == 1, statements
    # Device and household (the code's read); then inside the savepoint one statement: the call
    # that locks the household's account (through the ledger's function), spends the card's
    # code, writes the receipt and takes the stock with its move, and in the same round trip the
    # household's message into the outbox (recipients, message and SMS delivery:
    # outbox.services.household_message_call); then the receipt's lines for the answer.
    writes = [sql for sql in statements if not sql.startswith(("SAVEPOINT", "RELEASE"))]
    confirmations = [sql for sql in writes if "meijia_redemption_confirm(" in sql]
    assert len(confirmations) == 1, statements
    assert "meijia_outbox_household_messages(" in confirmations[0]
    assert not any("outbox" in sql for sql in writes if sql not in confirmations), statements
    assert len(writes) <= 4, statements
    account = Account.objects.get(household=household)
    assert response.json()["balance_after"] == account.balance == 80
    # Nothing is locked from Python: the function takes the locks in their fixed order.
    assert not any("FOR UPDATE" in sql for sql in statements), statements
