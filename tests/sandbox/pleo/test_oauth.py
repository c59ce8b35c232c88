from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.test import Client

from integrations.sandbox.pleo.presets import DEMO_COMPANY_ID, SETUP_COMPANY_ID
from tests.sandbox.pleo.conftest import (
    BASE,
    REDIRECT,
    Api,
    authorize,
    obtain_tokens,
    pkce_pair,
    token_request,
)


def test_consent_page_names_the_client_scopes_and_companies(seeded: None, client: Client) -> None:
    _, challenge = pkce_pair()
    page = client.get(
        f"{BASE}/oauth/authorize",
        {
            "response_type": "code",
            "client_id": "demo-pleo-client",
            "redirect_uri": REDIRECT,
            "scope": "export-jobs:read vendors:write",
            "state": "s",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "Nordlys Demo AS" in html and "Fjord Start AS" in html
    assert "vendors:write" in html
    assert 'value="allow"' in html and 'value="deny"' in html


def test_deny_redirects_with_access_denied(seeded: None, client: Client) -> None:
    _, challenge = pkce_pair()
    answer = client.post(
        f"{BASE}/oauth/authorize",
        {
            "response_type": "code",
            "client_id": "demo-pleo-client",
            "redirect_uri": REDIRECT,
            "state": "xyz",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "decision": "deny",
        },
    )
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer["Location"]).query)
    assert query == {"error": ["access_denied"], "state": ["xyz"]}


def test_unknown_client_is_not_redirected(seeded: None, client: Client) -> None:
    page = client.get(
        f"{BASE}/oauth/authorize",
        {"client_id": "nobody", "redirect_uri": REDIRECT, "response_type": "code"},
    )
    assert page.status_code == 400
    assert "Unknown client_id" in page.content.decode()


def test_code_exchange_verifies_pkce(seeded: None, client: Client) -> None:
    verifier, challenge = pkce_pair()
    code = authorize(client, challenge)
    wrong = token_request(
        client,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        code_verifier=pkce_pair()[0],
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    right = token_request(
        client,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        code_verifier=verifier,
    )
    assert right.status_code == 200
    body = right.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["company_id"] == DEMO_COMPANY_ID
    # A code works once.
    again = token_request(
        client,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        code_verifier=verifier,
    )
    assert again.status_code == 400


def test_token_endpoint_needs_client_authentication(seeded: None, client: Client) -> None:
    response = client.post(
        f"{BASE}/oauth/token",
        {"grant_type": "refresh_token", "refresh_token": "x"},
        HTTP_AUTHORIZATION="Basic ZGVtby1wbGVvLWNsaWVudDp3cm9uZw==",
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_refresh_rotates_and_a_spent_token_revokes_the_grant(seeded: None, client: Client) -> None:
    first = obtain_tokens(client)
    second = token_request(client, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert Api(client, rotated["access_token"]).get("/v3/export-jobs").status_code == 200

    # The old refresh token is spent: using it fails and revokes every token of the grant.
    replay = token_request(client, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert Api(client, rotated["access_token"]).get("/v3/export-jobs").status_code == 401
    after = token_request(
        client, grant_type="refresh_token", refresh_token=rotated["refresh_token"]
    )
    assert after.status_code == 400


def test_api_rejects_missing_and_expired_tokens(seeded: None, client: Client) -> None:
    missing = client.get(f"{BASE}/v3/export-jobs")
    assert missing.status_code == 401
    assert missing.json()["type"] == "UNAUTHORIZED"

    client.post(f"{BASE}/_control/token-expiry", {"seconds": 0}, content_type="application/json")
    tokens = obtain_tokens(client)
    assert tokens["expires_in"] == 0
    assert Api(client, tokens["access_token"]).get("/v3/export-jobs").status_code == 401


def test_token_expiry_can_end_tokens_already_issued(seeded: None, client: Client) -> None:
    tokens = obtain_tokens(client)
    api = Api(client, tokens["access_token"])
    assert api.get("/v3/export-jobs").status_code == 200
    client.post(
        f"{BASE}/_control/token-expiry",
        {"seconds": 0, "applyToExisting": True},
        content_type="application/json",
    )
    assert api.get("/v3/export-jobs").status_code == 401


def test_revoke_ends_the_grant(seeded: None, client: Client) -> None:
    tokens = obtain_tokens(client)
    response = client.post(
        f"{BASE}/oauth/revoke",
        {"token": tokens["refresh_token"]},
        HTTP_AUTHORIZATION="Basic ZGVtby1wbGVvLWNsaWVudDpkZW1vLXBsZW8tc2VjcmV0",
    )
    assert response.status_code == 200
    assert Api(client, tokens["access_token"]).get("/v3/export-jobs").status_code == 401


def test_a_token_belongs_to_one_company(seeded: None, client: Client) -> None:
    setup = Api(client, obtain_tokens(client, company_id=SETUP_COMPANY_ID)["access_token"])
    response = setup.get("/v3/export-jobs", {"company_id": DEMO_COMPANY_ID})
    assert response.status_code == 403
    assert setup.get("/v3/export-jobs", {"company_id": SETUP_COMPANY_ID}).status_code == 200


def test_companies_lists_the_company_of_the_token(seeded: None, client: Client) -> None:
    # A token belongs to one company: the listing holds that one, by its name.
    api = Api(client, obtain_tokens(client, company_id=SETUP_COMPANY_ID)["access_token"])
    answer = api.get("/v1/companies")
    assert answer.status_code == 200
    body = answer.json()
    assert [c["id"] for c in body["data"]] == [SETUP_COMPANY_ID]
    assert body["data"][0]["name"] == "Fjord Start AS"
    assert body["pagination"]["hasNextPage"] is False
    assert Api(client, "not-a-token").get("/v1/companies").status_code == 401
