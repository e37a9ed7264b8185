import pytest
from django.core.management import call_command

from registry import codes
from shops.models import CounterDevice, Redemption
from shops.services.devices import counter_device_create
from tests.shops.factories import make_shop_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def device():
    world = make_shop_world(balance=100, stock=10)
    _device, token = counter_device_create(store=world["store"], user=world["keeper"], name="柜台")
    world["auth"] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    return world


def test_counter_device_previews_and_confirms_once(client, device):
    household = device["household"]
    issued = codes.issue_phone_code(household)
    preview = client.post(
        "/api/v1/counter/preview",
        {"code": issued.digits},
        content_type="application/json",
        **device["auth"],
    )
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["household"] == "张*明家" and body["balance"] == 100
    oil = next(item for item in body["items"] if item["name"] == "食用油")
    assert oil["remaining_this_month"] == 2
    payload = {
        "code": issued.token,
        "idempotency_key": body["idempotency_key"],
        "basket": [{"item_id": device["soap"].pk, "quantity": 2}],
    }
    first = client.post(
        "/api/v1/counter/confirm", payload, content_type="application/json", **device["auth"]
    )
    assert first.status_code == 200, first.content
    receipt = first.json()
    assert receipt["points"] == 20 and receipt["balance_after"] == 80
    assert receipt["lines"] == [{"name": "肥皂", "unit": "块", "quantity": 2, "points": 20}]
    retry = client.post(
        "/api/v1/counter/confirm", payload, content_type="application/json", **device["auth"]
    )
    assert retry.json()["receipt_number"] == receipt["receipt_number"]
    again = client.post(
        "/api/v1/counter/confirm",
        {**payload, "idempotency_key": "another-key-0000000"},
        content_type="application/json",
        **device["auth"],
    )
    assert again.status_code == 409
    assert again.json()["code"] == "used" and again.json()["message"]
    assert Redemption.objects.count() == 1


def test_counter_api_needs_a_live_device_token(client, device):
    url = "/api/v1/counter/preview"
    payload = {"code": codes.card_token(device["household"])}
    assert client.post(url, payload, content_type="application/json").status_code == 401
    bad = {"HTTP_AUTHORIZATION": "Bearer mjc_nope"}
    assert client.post(url, payload, content_type="application/json", **bad).status_code == 401
    CounterDevice.objects.update(is_active=False)
    response = client.post(url, payload, content_type="application/json", **device["auth"])
    assert response.status_code == 401


def test_counter_endpoints_are_in_the_openapi_schema(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/counter/preview" in schema["paths"]
    assert "/api/v1/counter/confirm" in schema["paths"]
    assert "CounterDeviceAuth" in schema["components"]["securitySchemes"]


def test_counter_device_command_prints_a_token_once(capsys):
    world = make_shop_world()
    call_command(
        "counter_device", store=world["store"].pk, user=world["keeper"].username, name="平板"
    )
    token = capsys.readouterr().out.strip()
    assert token.startswith("mjc_")
    assert not CounterDevice.objects.filter(token_hash=token).exists()
