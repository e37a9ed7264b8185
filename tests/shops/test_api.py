import pytest
from django.core.management import call_command

from points.models import Account
from registry.services import codes
from shops.models import CounterDevice, Redemption
from shops.services.devices import counter_device_create
from shops.services.stock import stock_mismatches
from tests.factories import make_household
from tests.shops.factories import (
    give_points,
    make_item,
    make_shop_world,
    make_shopkeeper,
    make_store,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def device():
    world = make_shop_world(balance=100, stock=10)
    _device, token = counter_device_create(store=world["store"], user=world["keeper"], name="柜台")
    world["auth"] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    return world


def test_counter_device_previews_and_confirms_once(client, device):
    household = device["household"]
    issued = codes.phone_code_issue(household)
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
    schemes = schema["components"]["securitySchemes"]
    assert {"CounterDeviceToken", "ApiToken"} <= set(schemes)
    for path in ("/api/v1/counter/preview", "/api/v1/counter/confirm"):
        operation = schema["paths"][path]["post"]
        assert operation["security"] == [{"CounterDeviceToken": []}]
        assert {"200", "400", "401", "405", "409", "422"} <= set(operation["responses"])
    household = schema["paths"]["/api/v1/households/{household_id}/points"]["get"]
    assert {"ApiToken": []} in household["security"]
    assert {"200", "401", "404", "405", "422"} <= set(household["responses"])
    link = schema["paths"]["/api/v1/counter/preview"]["post"]["responses"]["200"]["links"]
    assert link["confirm"]["operationId"] == "counter_confirm"
    assert schema["servers"] and schema["servers"][0]["url"]


def test_counter_device_command_prints_a_token_once(capsys):
    world = make_shop_world()
    call_command(
        "counter_device", store=world["store"].pk, user=world["keeper"].username, name="平板"
    )
    token = capsys.readouterr().out.strip()
    assert token.startswith("mjc_")
    assert not CounterDevice.objects.filter(token_hash=token).exists()


# --- Refusals: one shape, a Chinese message, the declared status ---------------------------------


def _post(client, device, path, body, **extra):
    return client.post(
        f"/api/v1/counter/{path}", body, content_type="application/json", **device["auth"], **extra
    )


def _refused(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message"} and body["code"] == code, body
    assert any("\u4e00" <= char <= "\u9fff" for char in body["message"]), body["message"]
    return body


@pytest.mark.parametrize(
    ("line", "status", "code"),
    [
        ({"item_id": "ITEM", "quantity": 1}, 422, "invalid"),
        ({"item_id": True, "quantity": 1}, 422, "invalid"),
        ({"item_id": "SOAP", "quantity": "2"}, 422, "invalid"),
        ({"item_id": "SOAP", "quantity": True}, 422, "invalid"),
        ({"item_id": "SOAP", "quantity": 100}, 422, "invalid"),
        ({"item_id": "SOAP", "quantity": 0}, 422, "invalid"),
        ({"item_id": 10**30, "quantity": 1}, 422, "invalid"),
        ({"item_id": "SOAP"}, 422, "invalid"),
        # JSON Schema cannot tell 62.0 from 62: the schema lets it pass, the counter refuses it.
        ({"item_id": "ITEM_FLOAT", "quantity": 1}, 409, "bad_basket"),
        ({"item_id": "SOAP", "quantity": 2.0}, 409, "bad_basket"),
    ],
)
def test_a_basket_takes_strict_integers_only(client, device, line, status, code):
    soap = device["soap"].pk
    values = {"SOAP": soap, "ITEM": str(soap), "ITEM_FLOAT": float(soap)}
    line = {name: values.get(value, value) for name, value in line.items()}
    body = {
        "code": codes.card_token(device["household"]),
        "idempotency_key": "k" * 32,
        "basket": [{"item_id": soap, "quantity": 1}, line],
    }
    _refused(_post(client, device, "confirm", body), status, code)
    assert not Redemption.objects.exists()
    assert Account.objects.get(household=device["household"]).balance == 100


@pytest.mark.parametrize(
    "key", ["k" * 64 + "\n", "k" * 20 + "\n", "k" * 65, "short", "k" * 20 + " "]
)
def test_a_key_with_anything_but_its_pattern_is_refused(client, device, key):
    body = {
        "code": codes.card_token(device["household"]),
        "idempotency_key": key,
        "basket": [{"item_id": device["soap"].pk, "quantity": 1}],
    }
    _refused(_post(client, device, "confirm", body), 422, "invalid")
    assert not Redemption.objects.exists()


def test_malformed_bodies_are_refused_in_the_one_shape(client, device):
    _refused(_post(client, device, "preview", "{not json"), 400, "not_json")
    _refused(_post(client, device, "preview", ""), 422, "invalid")
    _refused(_post(client, device, "preview", {}), 422, "invalid")
    _refused(_post(client, device, "preview", {"code": 12345678}), 422, "invalid")
    _refused(_post(client, device, "confirm", {"code": "x"}), 422, "invalid")
    _refused(_post(client, device, "preview", [1, 2]), 422, "invalid")
    wrong_method = client.get("/api/v1/counter/preview", **device["auth"])
    _refused(wrong_method, 405, "method_not_allowed")
    assert "POST" in wrong_method["Allow"]
    _refused(
        client.post("/api/v1/counter/preview", {}, content_type="application/json"),
        401,
        "unauthorized",
    )
    _refused(client.get("/api/v1/nowhere"), 404, "not_found")
    _refused(client.get("/api/v1/households/1/points"), 401, "unauthorized")
    client.force_login(device["keeper"])
    _refused(client.get("/api/v1/households/abc/points"), 422, "invalid")
    _refused(client.get("/api/v1/households/999999999/points"), 404, "not_found")
    _refused(client.get(f"/api/v1/households/{10**30}/points"), 404, "not_found")


# --- A key belongs to one request ----------------------------------------------------------------


def _confirm(client, device, code, basket, key, auth=None):
    body = {
        "code": code,
        "idempotency_key": key,
        "basket": [{"item_id": item, "quantity": quantity} for item, quantity in basket.items()],
    }
    return client.post(
        "/api/v1/counter/confirm",
        body,
        content_type="application/json",
        **(auth or device["auth"]),
    )


def test_a_retry_is_the_same_request_and_reports_its_own_balance(client, device):
    household = device["household"]
    key = "retry-key-0000000001"
    soap = device["soap"].pk
    first = _confirm(client, device, codes.card_token(household), {soap: 2}, key)
    assert first.status_code == 200 and first.json()["balance_after"] == 80
    # The household spends more; a retry of the first request still shows its own figure.
    later = _confirm(client, device, codes.card_token(household), {soap: 1}, "later-key-000000001")
    assert later.json()["balance_after"] == 70
    # The same request: the same basket split differently, the household's phone code.
    phone = codes.phone_code_issue(household).token
    retry = _confirm(client, device, phone, {soap: 2}, key)
    assert retry.status_code == 200, retry.content
    assert retry.json()["receipt_number"] == first.json()["receipt_number"]
    assert retry.json()["balance_after"] == 80
    assert Account.objects.get(household=household).balance == 70
    # The phone code was not spent by the retry.
    assert codes.code_read(phone).household == household


@pytest.mark.parametrize("change", ["code", "basket", "same_points", "quantity", "store"])
def test_a_used_key_with_another_request_is_refused_and_charges_nothing(client, device, change):
    household = device["household"]
    key = "first-key-0000000001"
    soap, oil = device["soap"].pk, device["oil"].pk
    first = _confirm(client, device, codes.card_token(household), {soap: 2}, key)
    assert first.status_code == 200
    other = make_household(device["village"], head_name="李四", phone="13800000012")
    give_points(other, 100)
    code, basket, auth = codes.card_token(household), {soap: 2}, None
    if change == "code":
        code = codes.phone_code_issue(other).token
    elif change == "basket":
        basket = {oil: 1}
    elif change == "same_points":
        # Other goods worth the same points: the ledger sees the same change of points (and
        # returns its first transaction), the key's fingerprint does not.
        powder = make_item(device["store"], name="洗衣粉", price=20, stock=5)
        basket = {powder.pk: 1}
    elif change == "quantity":
        basket = {soap: 3}
    else:
        store = make_store(device["village"])
        basket = {make_item(store, name="肥皂", price=10).pk: 2}
        _device, token = counter_device_create(
            store=store, user=make_shopkeeper(store), name="另一台"
        )
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    refused = _confirm(client, device, code, basket, key, auth=auth)
    _refused(refused, 409, "key_reused")
    assert Redemption.objects.count() == 1
    assert Account.objects.get(household=household).balance == 80
    assert Account.objects.get(household=other).balance == 100
    assert stock_mismatches() == []
    if change == "code":
        # Nothing was spent: the other household's code still works.
        assert codes.code_read(code).household == other
    if change == "same_points":
        powder.refresh_from_db()
        assert powder.stock_on_hand == 5
