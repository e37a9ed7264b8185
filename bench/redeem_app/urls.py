import json
import struct

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from meijia.urls import urlpatterns as site_urlpatterns
from registry.services.codes import _CARD, _decode  # noqa: PLC2701 - the probe checks the card as the site does
from shops.services.devices import counter_device_authenticate


def trivial(request):
    """The floor: a Django view through the whole middleware stack, with no query."""
    return HttpResponse(b'{"ok":true}', content_type="application/json")


@csrf_exempt
def one_trip(request):
    """Not a product path: the ceiling of the one-round-trip shape. The device is authenticated
    and the card's signature checked as the counter does, then pgbench's redemption transaction
    runs as one PL/pgSQL call (``bench_redeem``, made by bench/redeem.py)."""
    device = counter_device_authenticate(
        token=request.headers.get("Authorization", "").removeprefix("Bearer ")
    )
    if device is None:
        return JsonResponse({"code": "unauthorized"}, status=401)
    body = json.loads(request.body)
    prefix, payload = _decode(body["code"])
    if prefix != _CARD:
        return JsonResponse({"code": "malformed"}, status=409)
    household_id, version = struct.unpack(">IH", payload)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT bench_redeem(%s, %s, %s, %s, %s)",
            [household_id, version, body["basket"][0]["item_id"], device.store_id, device.user_id],
        )
        balance = cursor.fetchone()[0]
    return JsonResponse({"balance_after": balance})


urlpatterns = [
    path("bench/trivial/", trivial),
    path("bench/one-trip/", one_trip),
    *site_urlpatterns,
]
