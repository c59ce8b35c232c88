from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from integrations.sandbox.pleo import clock
from integrations.sandbox.pleo.presets import DEMO_COMPANY_ID, pleo_seed

BASE = "/sandbox/pleo"
REDIRECT = "http://127.0.0.1:8000/connections/pleo/callback"
CLIENT_BASIC = "Basic " + base64.b64encode(b"demo-pleo-client:demo-pleo-secret").decode()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize(client: Client, challenge: str, *, company_id: str = DEMO_COMPANY_ID) -> str:
    """Walk the consent page and press Allow; returns the authorization code."""
    params = {
        "response_type": "code",
        "client_id": "demo-pleo-client",
        "redirect_uri": REDIRECT,
        "scope": "export-jobs:read export-jobs:write",
        "state": "st4te",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = client.get(f"{BASE}/oauth/authorize", params)
    assert page.status_code == 200
    answer = client.post(
        f"{BASE}/oauth/authorize", {**params, "company": company_id, "decision": "allow"}
    )
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer["Location"]).query)
    assert query["state"] == ["st4te"]
    return query["code"][0]


def token_request(client: Client, **form: str) -> Any:
    return client.post(f"{BASE}/oauth/token", form, HTTP_AUTHORIZATION=CLIENT_BASIC)


def obtain_tokens(client: Client, *, company_id: str = DEMO_COMPANY_ID) -> dict[str, Any]:
    verifier, challenge = pkce_pair()
    code = authorize(client, challenge, company_id=company_id)
    response = token_request(
        client,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        code_verifier=verifier,
    )
    assert response.status_code == 200, response.content
    data: dict[str, Any] = response.json()
    return data


class Api:
    """A test client speaking to the Pleo sandbox with a bearer token."""

    def __init__(self, client: Client, token: str) -> None:
        self.client = client
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(BASE + path, params or {}, **self._headers())

    def send(self, method: str, path: str, body: Any = None) -> Any:
        call = getattr(self.client, method.lower())
        if body is None:
            return call(BASE + path, **self._headers())
        return call(BASE + path, body, content_type="application/json", **self._headers())

    def post(self, path: str, body: Any = None) -> Any:
        return self.send("POST", path, body)


def control(client: Client, path: str, body: Any = None) -> Any:
    return client.post(f"{BASE}/_control/{path}", body or {}, content_type="application/json")


@pytest.fixture
def seeded(db: None) -> None:
    pleo_seed("demo")


@pytest.fixture
def api(seeded: None, client: Client) -> Api:
    return Api(client, obtain_tokens(client)["access_token"])


def money(value: int, currency: str = "NOK") -> dict[str, Any]:
    return {"currency": currency, "value": value}


def amount(value: int, currency: str = "NOK") -> dict[str, Any]:
    return {
        "inSupplierCurrency": money(value, currency),
        "inWalletCurrency": money(value, currency),
    }


def export_item(value: int = 12500, **extra: Any) -> dict[str, Any]:
    """A minimal card purchase; the sandbox fills in the ids."""
    item: dict[str, Any] = {
        "type": "card_purchase",
        "date": "2026-04-20T10:00:00Z",
        "amount": amount(value),
        "accountingEntryLines": [{"lineAmount": amount(value)}],
        "supplier": {"name": "Kaffebrenneriet"},
    }
    item.update(extra)
    return item


@pytest.fixture
def make_job(client: Client, seeded: None) -> Callable[..., dict[str, Any]]:
    def make(count: int = 1, **body: Any) -> dict[str, Any]:
        items = body.pop("items", None) or [export_item(1000 + n) for n in range(count)]
        response = control(client, "export-jobs", {"items": items, **body})
        assert response.status_code == 201, response.content
        data: dict[str, Any] = response.json()
        return data

    return make


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[timedelta], datetime]:
    """Freeze the sandbox's clock; call the fixture's value to move it forward."""
    current = [timezone.now()]
    monkeypatch.setattr(clock, "now", lambda: current[0])

    def advance(delta: timedelta) -> datetime:
        current[0] = current[0] + delta
        return current[0]

    return advance
