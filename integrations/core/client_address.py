"""The address a request came from, behind as many reverse proxies as configured.

`TRUSTED_PROXY_COUNT` says how many proxies stand in front of the app (0: none, the
connecting address is the client's). Each proxy appends the address it received the request
from to `X-Forwarded-For`, so the client is the n-th entry from the right; anything further
left was written by the client and is not trusted. One function, used by the webhook rate
limit and by the login lock-out.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(value: str) -> str | None:
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    remote = _valid(str(request.META.get("REMOTE_ADDR", "")))
    hops = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if hops <= 0:
        return remote
    forwarded = [
        part for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if part
    ]
    if len(forwarded) < hops:
        # Fewer entries than proxies: the request did not come through all of them.
        return remote
    return _valid(forwarded[-hops]) or remote
