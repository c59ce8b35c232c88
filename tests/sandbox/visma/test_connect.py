"""Visma Connect grants and the bearer check on the API."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from integrations.sandbox.visma.models import AccessToken, Company
from integrations.sandbox.visma.presets import visma_seed
from tests.sandbox.visma.conftest import BASE, Visma, assert_visma_error, token_for

pytestmark = pytest.mark.django_db
INTERACTIVE = (
    "openid offline_access vismanet_erp_interactive_api:read vismanet_erp_interactive_api:create"
)
REDIRECT = "https://app.example/visma/callback"


def form(client: Client, **fields: str) -> Any:
    return client.post(
        f"{BASE}/connect/token",
        data=urlencode(fields),
        content_type="application/x-www-form-urlencoded",
    )


def test_client_credentials_grant(client: Client) -> None:
    visma_seed("demo")
    answer = token_for(client)
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert "refresh_token" not in body
    api = client.get(f"{BASE}/v1/currency", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert api.status_code == 200
    assert {c["id"]: c["decimalPrecision"] for c in api.json()}["ISK"] == 0


def test_unknown_tenant_and_bad_client(client: Client) -> None:
    visma_seed("demo")
    assert token_for(client, tenant="other").json()["error"] == "invalid_tenant"
    assert token_for(client, tenant="other").status_code == 400
    wrong = form(
        client, grant_type="client_credentials", client_id="demo-visma-client",
        client_secret="nope", tenant_id="demo-tenant", scope="vismanet_erp_service_api:read",
    )  # fmt: skip
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_client"
    bad_grant = form(client, grant_type="password", client_id="demo-visma-client",
                     client_secret="demo-visma-secret")  # fmt: skip
    assert bad_grant.json()["error"] == "unsupported_grant_type"


@override_settings(VISMA_CLIENT_ID="configured-id", VISMA_CLIENT_SECRET="configured-secret")
def test_configured_client_is_accepted(client: Client) -> None:
    visma_seed("demo")
    answer = form(
        client, grant_type="client_credentials", client_id="configured-id",
        client_secret="configured-secret", tenant_id="demo-tenant",
        scope="vismanet_erp_service_api:read",
    )  # fmt: skip
    assert answer.status_code == 200


def test_authorization_code_and_single_use_refresh(client: Client) -> None:
    visma_seed("demo")
    query = {
        "client_id": "demo-visma-client", "redirect_uri": REDIRECT, "response_type": "code",
        "scope": INTERACTIVE, "state": "xyz",
    }  # fmt: skip
    page = client.get(f"{BASE}/connect/authorize", query)
    assert page.status_code == 200 and b"demo-tenant" in page.content
    granted = client.post(
        f"{BASE}/connect/authorize?{urlencode(query)}",
        {**query, "tenant_id": "demo-tenant", "decision": "allow"},
    )
    assert granted.status_code == 302
    location = urlsplit(granted["Location"])
    params = parse_qs(location.query)
    assert location.geturl().startswith(REDIRECT) and params["state"] == ["xyz"]
    code = params["code"][0]
    exchanged = form(
        client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
        client_id="demo-visma-client", client_secret="demo-visma-secret",
        tenant_id="demo-tenant",
    )  # fmt: skip
    assert exchanged.status_code == 200, exchanged.content
    tokens = exchanged.json()
    assert tokens["refresh_token"] and tokens["expires_in"] == 3600
    reused = form(
        client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
        client_id="demo-visma-client", client_secret="demo-visma-secret",
    )  # fmt: skip
    assert reused.json()["error"] == "invalid_grant"
    refreshed = form(
        client, grant_type="refresh_token", refresh_token=tokens["refresh_token"],
        client_id="demo-visma-client", client_secret="demo-visma-secret", tenant_id="demo-tenant",
    )  # fmt: skip
    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"] != tokens["refresh_token"]
    replay = form(
        client, grant_type="refresh_token", refresh_token=tokens["refresh_token"],
        client_id="demo-visma-client", client_secret="demo-visma-secret",
    )  # fmt: skip
    assert replay.json()["error"] == "invalid_grant"
    api = client.get(
        f"{BASE}/v1/account", HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access_token']}"
    )
    assert api.status_code == 200
    denied = client.post(
        f"{BASE}/connect/authorize?{urlencode(query)}", {**query, "decision": "deny"}
    )
    assert parse_qs(urlsplit(denied["Location"]).query)["error"] == ["access_denied"]


def test_api_needs_a_valid_unexpired_token(visma: Visma, client: Client) -> None:
    assert_visma_error(client.get(f"{BASE}/v1/account"), 401, "no bearer token")
    assert_visma_error(
        client.get(f"{BASE}/v1/account", HTTP_AUTHORIZATION="Bearer nope"),
        401,
        "invalid or expired",
    )
    AccessToken.objects.filter(token=visma.token).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert_visma_error(visma.get("/v1/account"), 401, "invalid or expired")


def test_read_only_token_cannot_create(client: Client) -> None:
    visma_seed("demo")
    token = token_for(client, scope="vismanet_erp_service_api:read").json()["access_token"]
    answer = client.post(
        f"{BASE}/v1/supplier", data="{}", content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert_visma_error(answer, 403, "create")


def test_token_requests_are_recorded_without_secrets(client: Client) -> None:
    visma_seed("demo")
    token = token_for(client).json()["access_token"]
    client.get(f"{BASE}/v1/account", HTTP_AUTHORIZATION=f"Bearer {token}")
    recorded = client.get(f"{BASE}/_control/requests").json()["requests"]
    assert [r["path"] for r in recorded] == ["/connect/token", "/v1/account"]
    assert recorded[0]["body"]["client_secret"] == "***"
    assert recorded[0]["body"]["grant_type"] == "client_credentials"
    assert recorded[1]["headers"]["Authorization"] == "***"
    assert token not in str(recorded) and "demo-visma-secret" not in str(recorded)


def test_tenants_scope_puts_the_chosen_company_in_the_token(client: Client) -> None:
    visma_seed("demo")
    Company.objects.create(tenant_id="second-tenant", name="Andre Selskap AS")
    query = {
        "client_id": "demo-visma-client", "redirect_uri": REDIRECT, "response_type": "code",
        "scope": f"{INTERACTIVE} tenants", "state": "s",
    }  # fmt: skip
    page = client.get(f"{BASE}/connect/authorize", query)
    assert b"Andre Selskap AS" in page.content
    granted = client.post(
        f"{BASE}/connect/authorize?{urlencode(query)}",
        {**query, "tenant_id": "second-tenant", "decision": "allow"},
    )
    code = parse_qs(urlsplit(granted["Location"]).query)["code"][0]
    # No tenant_id on the exchange: the consent decided.
    exchanged = form(
        client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
        client_id="demo-visma-client", client_secret="demo-visma-secret",
    )  # fmt: skip
    access = exchanged.json()["access_token"]
    payload = access.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["tenant_id"] == "second-tenant"
    organizations = client.get(f"{BASE}/v1/organization", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert organizations.status_code == 200
    assert [o["name"] for o in organizations.json()] == ["Andre Selskap AS"]


def test_without_tenants_scope_the_token_has_no_tenant_claim(client: Client) -> None:
    visma_seed("demo")
    access = token_for(client).json()["access_token"]
    assert access.count(".") != 2
