"""The client's address, also behind our own proxy.

Behind nginx every request comes from 127.0.0.1; the client's address is in the headers the proxy
sets. Those headers are believed only when the request comes from an address in
``settings.TRUSTED_PROXIES``: anyone else could write them. ``ClientAddressMiddleware`` puts the
result in ``REMOTE_ADDR`` before anything else reads it, so allauth's rate limits (through
``AccountAdapter.get_client_ip``), Django, Wagtail and the logs all see the same client.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _is_trusted(address: Address | None, networks: tuple[Network, ...]) -> bool:
    return address is not None and any(address in network for network in networks)


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent ``request``.

    From a trusted proxy: walk ``X-Forwarded-For`` from the right (each proxy appends the address
    it was called from) past our own proxies; the first other hop is the client. A hop that is
    not an address stops the walk at the last good one (it was written by someone we do not
    trust). Without ``X-Forwarded-For``, ``X-Real-IP``. From anyone else: ``REMOTE_ADDR``, and the
    headers are ignored.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not _is_trusted(_address(remote), networks):
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if not hops:
        real = _address(request.META.get("HTTP_X_REAL_IP", ""))
        return str(real) if real is not None else remote
    client = remote
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        client = str(address)
        if not _is_trusted(address, networks):
            break
    return client


class ClientAddressMiddleware:
    """Sets ``REMOTE_ADDR`` to ``client_address`` (first in ``MIDDLEWARE``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if settings.TRUSTED_PROXIES:
            request.META["REMOTE_ADDR"] = client_address(request)
        return self.get_response(request)
