"""Visma Connect sign-in with a chosen company (the `tenants` scope), the organisation it
reaches, wrong tenants refused as the notes describe, and the fields `POST /v1/account` and
`POST /v1/supplier` require."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from integrations.sandbox.visma.presets import visma_seed
from tests.sandbox.visma.conftest import BASE, Visma, assert_visma_error, token_for, w

pytestmark = pytest.mark.django_db
REDIRECT = "https://app.example/visma/callback"
SCOPE = "openid offline_access tenants vismanet_erp_interactive_api:read"


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def sign_in(client: Client, *, tenant: str, user: str | None = None, scope: str = SCOPE) -> Any:
    query = {"client_id": "demo-visma-client", "redirect_uri": REDIRECT, "response_type": "code",
             "scope": scope, "state": "s1"}  # fmt: skip
    form = {**query, "tenant_id": tenant, "decision": "allow"}
    if user:
        form["user"] = user
    granted = client.post(f"{BASE}/connect/authorize?{urlencode(query)}", form)
    assert granted.status_code == 302
    code = parse_qs(urlsplit(granted["Location"]).query)["code"][0]
    return client.post(
        f"{BASE}/connect/token",
        data=urlencode(
            {
                "grant_type": "authorization_code",
                "client_id": "demo-visma-client",
                "client_secret": "demo-visma-secret",
                "code": code,
                "redirect_uri": REDIRECT,
            }
        ),
        content_type="application/x-www-form-urlencoded",
    )


def test_the_consent_page_offers_every_tenant_and_the_users(client: Client) -> None:
    visma_seed("demo")
    page = client.get(
        f"{BASE}/connect/authorize",
        {"client_id": "demo-visma-client", "redirect_uri": REDIRECT, "scope": SCOPE},
    ).content.decode()
    assert "Demo Norge AS (Company tenant demo-tenant)" in page
    assert "Fjord Start AS (Company tenant fjord-start-tenant)" in page
    assert "(Customer tenant demo-customer-tenant)" in page
    assert "no-api-role@demo.example (no API User role)" in page


def test_the_chosen_company_is_in_the_token_and_the_organization(client: Client) -> None:
    visma_seed("demo")
    answer = sign_in(client, tenant="fjord-start-tenant")
    assert answer.status_code == 200, answer.content
    token = answer.json()["access_token"]
    got = claims(token)
    assert got["tenant_id"] == "fjord-start-tenant"
    assert got["sub"] == "finance@demo.example" and "tenants" in got["scope"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    [organization] = client.get(f"{BASE}/v1/organization", **auth).json()
    assert organization["name"] == "Fjord Start AS"
    assert organization["baseCurrency"] == "NOK" and organization["corporateId"] == "923456781"
    number = organization["organizationCd"]
    single = client.get(f"{BASE}/v1/organization/{number}", {"expandBranches": "true"}, **auth)
    assert single.json()["branches"] == [{"number": "1", "name": "Fjord Start AS"}]
    # Each company holds its own data: this one has not done Pleo's preparation (no Pleo Wallet
    # or Out of pocket account, no default vendor).
    assert client.get(f"{BASE}/v1/supplier/50002", **auth).status_code == 200
    assert client.get(f"{BASE}/v1/supplier/50001", **auth).status_code == 404
    assert client.get(f"{BASE}/v1/account/1925", **auth).status_code == 404
    # The refresh keeps the company.
    refreshed = client.post(
        f"{BASE}/connect/token",
        data=urlencode(
            {
                "grant_type": "refresh_token",
                "client_id": "demo-visma-client",
                "client_secret": "demo-visma-secret",
                "refresh_token": answer.json()["refresh_token"],
            }
        ),
        content_type="application/x-www-form-urlencoded",
    )
    assert claims(refreshed.json()["access_token"])["tenant_id"] == "fjord-start-tenant"


def test_without_the_tenants_scope_the_token_names_no_tenant(client: Client) -> None:
    visma_seed("demo")
    scope = "openid vismanet_erp_interactive_api:read"
    token = sign_in(client, tenant="demo-tenant", scope=scope).json()["access_token"]
    # An opaque value: nothing to read a tenant from.
    assert token.count(".") != 2
    assert client.get(f"{BASE}/v1/organization", HTTP_AUTHORIZATION=f"Bearer {token}").json()[0][
        "name"
    ] == ("Demo Norge AS")


def test_a_user_without_the_api_user_role_is_refused(client: Client) -> None:
    visma_seed("demo")
    answer = sign_in(client, tenant="demo-tenant", user="no-api-role@demo.example")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_tenant"
    assert "'API User' role" in answer.json()["error_description"]


def test_a_customer_tenant_gets_a_token_but_the_api_answers_401(client: Client) -> None:
    visma_seed("demo")
    for answer in (
        sign_in(client, tenant="demo-customer-tenant"),
        token_for(client, tenant="demo-customer-tenant"),
    ):
        assert answer.status_code == 200, answer.content
        token = answer.json()["access_token"]
        api = client.get(f"{BASE}/v1/organization", HTTP_AUTHORIZATION=f"Bearer {token}")
        body = assert_visma_error(api, 401, "No license for this company.")
        assert body["ExceptionFaultCode"] == "12027"


def account(**overrides: Any) -> dict[str, Any]:
    body = {"accountCD": w("1927"), "description": w("Pleo Wallet SEK"), "type": w("Asset"),
            "accountClass": w("1"), "currency": w("SEK"), "useDefaultSub": w(True),
            "postOption": w("Detail")}  # fmt: skip
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def test_post_account_creates_it(visma: Visma) -> None:
    answer = visma.post("/v1/account", account())
    assert answer.status_code == 201, answer.content
    assert answer["Location"].endswith("/v1/account/1927")
    got = visma.get("/v1/account/1927").json()
    assert (got["description"], got["type"], got["accountClass"]) == (
        "Pleo Wallet SEK",
        "Asset",
        "1",
    )
    assert (got["currency"], got["postOption"], got["useDefaultSub"]) == ("SEK", "Detail", True)
    assert got["active"] is True


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"accountCD": None}, "AccountCD is required."),
        ({"accountCD": w("1925")}, "Account '1925' already exists."),
        ({"description": None}, "Description is required."),
        ({"description": w("Pleo Wallet for Swedish kronor X")}, "longer than 30 characters"),
        ({"type": None}, "Type is required"),
        ({"type": w("Equity")}, "Type is required: one of Asset, Liability, Income, Expense."),
        ({"accountClass": w("9")}, "Account class '9' was not found."),
        ({"currency": w("DKK")}, "Currency 'DKK' was not found."),
        ({"postOption": w("Both")}, "PostOption 'Both' is not one of Summary, Detail."),
        ({"taxCategory": w("77")}, "VAT category '77' was not found"),
        ({"description": "Plain"}, "Field 'description' must be an object"),
    ],
)
def test_post_account_refusals(visma: Visma, overrides: dict[str, Any], message: str) -> None:
    assert_visma_error(visma.post("/v1/account", account(**overrides)), 400, message)
    assert "1927" not in [a["accountCD"] for a in visma.get("/v1/account").json()]


def test_post_supplier_as_the_default_vendor_help_page_lists(visma: Visma) -> None:
    # Pleo's help: the default vendor with payment method manual and the Pleo Wallet as cash
    # account.
    body = {"name": w("Pleo Default Vendor 2"), "supplierClassId": w("1"),
            "paymentMethodId": w("MANUAL"), "cashAccount": w("1925"), "currencyId": w("NOK"),
            "vatZoneId": w("NO"), "status": w("Active")}  # fmt: skip
    answer = visma.post("/v1/supplier", body)
    assert answer.status_code == 201, answer.content
    number = answer["Location"].rsplit("/", 1)[1]
    got = visma.get(f"/v1/supplier/{number}").json()
    assert got["cashAccount"] == "1925" and got["paymentMethod"]["id"] == "MANUAL"
    for field, value, message in (
        ("cashAccount", "2400", "cashAccount '2400' was not found."),
        ("paymentMethodId", "CARD", "paymentMethodId 'CARD' was not found."),
        ("status", "Sleeping", "Status 'Sleeping' is not valid"),
        ("currencyId", "DKK", "currencyId 'DKK' was not found."),
    ):
        assert_visma_error(visma.post("/v1/supplier", {**body, field: w(value)}), 400, message)
