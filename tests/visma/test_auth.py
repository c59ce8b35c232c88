from __future__ import annotations

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from django.db import connections
from django.utils import timezone

from integrations.core import errors
from integrations.core.models import ApiCall
from integrations.core.tokens import MemoryTokenStore, OAuthToken
from integrations.visma.auth import VismaConnect, token_tenant_id
from integrations.visma.client import VismaClient

CONNECT = "https://connect.example"
TOKEN_URL = f"{CONNECT}/connect/token"
API = "https://api.example"
TENANT = "5f0e7a59-tenant"


def make_auth(store: MemoryTokenStore, **kwargs: Any) -> VismaConnect:
    return VismaConnect(
        connect_url=CONNECT,
        client_id="isv_app",
        client_secret="app-secret",
        tenant_id=TENANT,
        token_store=store,
        **kwargs,
    )


def form(call: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


def token_calls() -> list[Any]:
    return [c for c in responses.calls if c.request.url == TOKEN_URL]


@pytest.mark.django_db
@responses.activate
def test_one_client_credentials_token_serves_many_calls() -> None:
    responses.post(
        TOKEN_URL, json={"access_token": "tok-1", "expires_in": 3600, "token_type": "Bearer"}
    )
    responses.get(f"{API}/v1/currency", json=[])
    store = MemoryTokenStore()
    client = VismaClient(base_url=API, auth=make_auth(store))

    for _ in range(5):
        client.currencies_list()

    assert len(token_calls()) == 1
    sent = form(token_calls()[0])
    assert sent == {
        "grant_type": "client_credentials",
        "tenant_id": TENANT,
        "scope": (
            "vismanet_erp_service_api:read vismanet_erp_service_api:create "
            "vismanet_erp_service_api:update"
        ),
        "client_id": "isv_app",
        "client_secret": "app-secret",
    }
    api_calls = [c for c in responses.calls if c.request.url.startswith(API)]
    assert len(api_calls) == 5
    assert all(c.request.headers["Authorization"] == "Bearer tok-1" for c in api_calls)
    stored = store.load()
    assert stored is not None and stored.access_token == "tok-1"
    # The token call leaves a row of its own, without the secret or the token.
    row = ApiCall.objects.get(service="visma_connect")
    assert "app-secret" not in row.request_excerpt
    assert "tok-1" not in row.response_excerpt
    assert ApiCall.objects.filter(service="visma").count() == 5


@pytest.mark.django_db
@responses.activate
def test_a_token_about_to_expire_is_replaced() -> None:
    responses.post(TOKEN_URL, json={"access_token": "tok-2", "expires_in": 3600})
    store = MemoryTokenStore(OAuthToken("tok-1", expires_at=timezone.now() + timedelta(hours=1)))
    auth = make_auth(store)

    assert auth.access_token() == "tok-1"
    assert token_calls() == []

    store.save(OAuthToken("tok-1", expires_at=timezone.now() + timedelta(seconds=30)))
    assert auth.access_token() == "tok-2"
    assert len(token_calls()) == 1


@pytest.mark.django_db(transaction=True)
@responses.activate
def test_eight_threads_refresh_once() -> None:
    def slow_token(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        time.sleep(0.2)  # long enough for every thread to queue on the lock
        return (
            200,
            {"Content-Type": "application/json"},
            '{"access_token": "tok-new", "refresh_token": "r-2", "expires_in": 3600}',
        )

    responses.add_callback(responses.POST, TOKEN_URL, callback=slow_token)
    store = MemoryTokenStore(
        OAuthToken("tok-old", refresh_token="r-1", expires_at=timezone.now() - timedelta(seconds=1))
    )
    auth = make_auth(store, interactive=True)

    def ask() -> str:
        try:
            return auth.access_token()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: ask(), range(8)))

    assert results == ["tok-new"] * 8
    assert len(token_calls()) == 1
    assert form(token_calls()[0])["grant_type"] == "refresh_token"
    assert form(token_calls()[0])["refresh_token"] == "r-1"
    assert form(token_calls()[0])["tenant_id"] == TENANT
    stored = store.load()
    assert stored is not None and stored.refresh_token == "r-2"


def test_authorization_url_asks_for_the_interactive_scopes() -> None:
    url = make_auth(MemoryTokenStore()).authorization_url(
        redirect_uri="https://app.example/visma/callback", state="st-1"
    )
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}

    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{CONNECT}/connect/authorize"
    assert query == {
        "response_type": "code",
        "client_id": "isv_app",
        "redirect_uri": "https://app.example/visma/callback",
        "scope": (
            "openid offline_access tenants vismanet_erp_interactive_api:read "
            "vismanet_erp_interactive_api:create vismanet_erp_interactive_api:update"
        ),
        "state": "st-1",
    }
    # The integration never deletes in Visma.net, so it does not ask for the right to.
    assert not any(scope.endswith(":delete") for scope in query["scope"].split())


@pytest.mark.django_db
@responses.activate
def test_the_service_token_asks_for_the_configured_scopes(settings: Any) -> None:
    settings.VISMA_SERVICE_SCOPES = [
        "vismanet_erp_service_api:read",
        "vismanet_erp_service_api:create",
        "vismanet_erp_service_api:update",
        "vismanet_erp_service_api:delete",
    ]
    responses.post(TOKEN_URL, json={"access_token": "tok-1", "expires_in": 3600})

    assert make_auth(MemoryTokenStore()).access_token() == "tok-1"

    assert form(token_calls()[0])["scope"].split() == settings.VISMA_SERVICE_SCOPES


@pytest.mark.django_db
@responses.activate
def test_exchange_code_sends_the_tenant_and_saves_the_token() -> None:
    responses.post(
        TOKEN_URL, json={"access_token": "a-1", "refresh_token": "r-1", "expires_in": 3600}
    )
    store = MemoryTokenStore()

    token = make_auth(store, interactive=True).exchange_code(
        code="c-1", redirect_uri="https://app.example/cb"
    )

    assert token.refresh_token == "r-1"
    assert store.load() == token
    assert form(responses.calls[0]) == {
        "grant_type": "authorization_code",
        "code": "c-1",
        "redirect_uri": "https://app.example/cb",
        "tenant_id": TENANT,
        "client_id": "isv_app",
        "client_secret": "app-secret",
    }
    row = ApiCall.objects.get(service="visma_connect")
    assert "c-1" not in row.request_excerpt


@pytest.mark.django_db
@responses.activate
def test_invalid_tenant_tells_the_user_what_to_fix() -> None:
    responses.post(TOKEN_URL, status=400, json={"error": "invalid_tenant"})

    with pytest.raises(errors.Unauthorized) as caught:
        make_auth(MemoryTokenStore()).access_token()

    assert caught.value.code == "invalid_tenant"
    assert "API User" in caught.value.message
    assert "company's tenant id" in caught.value.message
    assert TENANT in caught.value.message
    assert len(token_calls()) == 1  # a refusal is not retried


@pytest.mark.django_db
@responses.activate
def test_invalid_client_names_the_settings() -> None:
    responses.post(
        TOKEN_URL, status=401, json={"error": "invalid_client", "error_description": "bad secret"}
    )

    with pytest.raises(errors.Unauthorized) as caught:
        make_auth(MemoryTokenStore()).access_token()

    assert "VISMA_CLIENT_SECRET" in caught.value.message
    assert "bad secret" in caught.value.message


@pytest.mark.django_db
@responses.activate
def test_token_endpoint_hiccup_is_retried() -> None:
    responses.post(TOKEN_URL, status=503, body="busy")
    responses.post(TOKEN_URL, json={"access_token": "tok-1", "expires_in": 3600})
    auth = make_auth(MemoryTokenStore())
    auth.http.sleep = lambda _seconds: None

    assert auth.access_token() == "tok-1"
    assert len(token_calls()) == 2


def test_interactive_connection_without_refresh_token_must_reconnect() -> None:
    with pytest.raises(errors.Unauthorized, match="connect it again"):
        make_auth(MemoryTokenStore(), interactive=True).access_token()


def test_invalidate_keeps_a_token_someone_else_fetched() -> None:
    store = MemoryTokenStore(OAuthToken("tok-2", expires_at=timezone.now() + timedelta(hours=1)))
    auth = make_auth(store)

    auth.invalidate(token="tok-1")
    assert store.load() is not None and store.load().access_token == "tok-2"  # type: ignore[union-attr]

    auth.invalidate(token="tok-2")
    assert store.load() is not None and store.load().access_token == ""  # type: ignore[union-attr]


@pytest.mark.django_db
@responses.activate
def test_revoke_spends_the_refresh_token_and_forgets_it() -> None:
    responses.post(f"{CONNECT}/connect/revocation", status=200, body="")
    store = MemoryTokenStore(OAuthToken("a-1", refresh_token="r-1"))

    make_auth(store, interactive=True).revoke()

    sent = form(responses.calls[0])
    assert sent["token"] == "r-1"
    assert sent["token_type_hint"] == "refresh_token"
    assert store.load() == OAuthToken(access_token="")


def test_token_tenant_id_reads_the_claim_and_ignores_anything_else() -> None:
    def jwt(claims: object) -> str:
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"eyJhbGciOiJSUzI1NiJ9.{body}.c2ln"

    assert token_tenant_id(jwt({"tenant_id": "company-1"})) == "company-1"
    assert token_tenant_id(jwt({"tenant_id": ["company-1"]})) == "company-1"
    assert token_tenant_id(jwt({"tenant_id": ["a", "b"]})) == ""
    assert token_tenant_id(jwt({"sub": "x"})) == ""
    assert token_tenant_id("opaque-token") == ""
    assert token_tenant_id("a.!!!.c") == ""
