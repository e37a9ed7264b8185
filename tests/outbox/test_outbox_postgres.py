"""The outbox on real PostgreSQL: committed transactions, racing workers, a broker that is down."""

import threading
import uuid

import pytest
from django.db import connection, transaction

from meijia import sms
from meijia.celery import app
from outbox.models import Delivery, Message
from outbox.services import deliveries_send_due, message_send
from registry.services import codes
from shops.models import CatalogueItem, Redemption
from shops.services.devices import counter_device_create
from tests.factories import UserFactory
from tests.shops.factories import make_item, make_shop_world

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(count: int, work) -> list:
    barrier = threading.Barrier(count)
    outcomes: list = []

    def worker():
        barrier.wait()
        try:
            outcomes.append(("ok", work()))
        except Exception as error:  # noqa: BLE001 - reported by the assertion
            outcomes.append(("error", repr(error)))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_four_workers_racing_send_each_committed_message_once(worker_mode):
    users = [UserFactory(phone=f"138000001{index:02d}") for index in range(40)]
    with transaction.atomic():
        assert message_send(template="points.ledger_problems", data={"count": 1}, users=users) == 40
    assert sms.outbox == []
    outcomes = _race(4, lambda: deliveries_send_due(limit=1000))
    assert all(status == "ok" for status, _sent in outcomes), outcomes
    assert sum(sent for _status, sent in outcomes) == 40
    assert sorted(text.phone for text in sms.outbox) == sorted(user.phone for user in users)
    assert Delivery.objects.filter(state=Delivery.State.SENT, attempts=1).count() == 40
    assert deliveries_send_due() == 0


def test_a_rolled_back_transaction_leaves_nothing_to_send(worker_mode):
    user = UserFactory(phone="13800000177")
    with pytest.raises(RuntimeError), transaction.atomic():
        message_send(template="points.ledger_problems", data={"count": 1}, users=[user])
        raise RuntimeError("the event failed")
    assert not Message.objects.exists()
    assert deliveries_send_due() == 0
    assert sms.outbox == []


def test_broker_down_at_commit_the_confirmation_answers_200_and_the_texts_go_later(
    client, worker_mode
):
    """The redemption takes an item to its alert level while the broker is unreachable."""
    broker = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:9/0"  # nothing listens there
    world = make_shop_world(balance=100, stock=10)
    world["keeper"].phone = "13800000055"
    world["keeper"].save(update_fields=["phone"])
    item = make_item(world["store"], name="牙膏", stock=4, low=3)
    _device, token = counter_device_create(store=world["store"], user=world["keeper"], name="台")
    try:
        response = client.post(
            "/api/v1/counter/confirm",
            {
                "code": codes.card_token(world["household"]),
                "idempotency_key": uuid.uuid4().hex,
                "basket": [{"item_id": item.pk, "quantity": 1}],
            },
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    finally:
        app.conf.broker_url = broker
    assert response.status_code == 200, response.content
    assert Redemption.objects.count() == 1
    assert CatalogueItem.objects.get(pk=item.pk).low_stock_alerted is True
    assert sms.outbox == []
    assert Delivery.objects.filter(state=Delivery.State.PENDING).count() == 3
    # Later, beat's task (the broker is back, or another worker) sends them, once.
    assert deliveries_send_due() == 3
    texts = {text.phone: text.text for text in sms.outbox}
    assert set(texts) == {"13800000011", "13800000055", "13800000099"}
    assert "牙膏" in texts["13800000055"] and "牙膏" in texts["13800000099"]
    assert deliveries_send_due() == 0
