from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.contrib.auth.models import User
from django.test import RequestFactory
from django.utils import timezone

from integrations.connections import services
from integrations.connections.models import Connection, PendingOAuth
from integrations.connections.tokens import ConnectionTokenStore
from tests.connections.conftest import (
    PLEO_API,
    PLEO_AUTH,
    PUBLIC,
    VISMA_API,
    VISMA_CONNECT,
    WEBHOOK,
    branch,
    page,
    subscription,
)

pytestmark = pytest.mark.django_db


def _request(user: User) -> Any:
    request = RequestFactory().post("/")
    request.user = user
    return request


def _start(
    connection: Connection, user: User, company_id: str = ""
) -> tuple[str, dict[str, list[str]]]:
    url = services.pleo_connect_start(
        connection=connection, request=_request(user), company_id=company_id
    )
    return url, parse_qs(urlsplit(url).query)


def _pleo_token(rsps: responses.RequestsMock, **extra: Any) -> None:
    body = {"access_token": "pa", "refresh_token": "pr", "expires_in": 900, "scope": "x", **extra}
    rsps.post(f"{PLEO_AUTH}/oauth/token", json=body)


def _pleo_subscriptions(rsps: responses.RequestsMock, existing: list[dict[str, Any]]) -> None:
    rsps.get(f"{PLEO_API}/v1/subscriptions", json=page(existing))
    rsps.post(f"{PLEO_API}/v1/subscriptions", json={"data": subscription("sub-new")})
    rsps.get(
        f"{PLEO_API}/v1/subscriptions/sub-new/secret", json={"data": {"secretKey": "whsec_bmV3"}}
    )
    rsps.get(
        f"{PLEO_API}/v1/subscriptions/sub-1/secret", json={"data": {"secretKey": "whsec_b2xk"}}
    )


def test_start_uses_pkce_s256_and_a_stored_state(
    connection: Connection, finance_user: User
) -> None:
    url, query = _start(connection, finance_user)
    assert url.startswith(f"{PLEO_AUTH}/oauth/authorize?")
    pending = PendingOAuth.objects.get()
    assert query["state"] == [pending.state]
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == [f"{PUBLIC}/connections/oauth/pleo/callback/"]
    verifier = pending.code_verifier or ""
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert query["code_challenge"] == [expected.decode()]
    assert verifier not in url


def test_finish_stores_tokens_company_and_webhook(
    connection: Connection, finance_user: User, mocked: responses.RequestsMock
) -> None:
    _, query = _start(connection, finance_user)
    _pleo_token(mocked, company_id="company-9")
    _pleo_subscriptions(mocked, [])
    services.pleo_connect_finish(state=query["state"][0], code="the-code", user=finance_user)
    connection.refresh_from_db()
    assert connection.pleo_company_id == "company-9"
    assert connection.pleo_webhook_subscription_id == "sub-new"
    assert connection.pleo_webhook_secret == "whsec_bmV3"
    token = ConnectionTokenStore(connection_id=connection.pk, provider="pleo").load()
    assert token is not None and token.refresh_token == "pr"
    exchange = next(c.request for c in mocked.calls if c.request.url.endswith("/oauth/token"))
    form = parse_qs(str(exchange.body))
    assert form["code_verifier"] == [PendingOAuth.objects.get().code_verifier]
    create = next(
        c.request
        for c in mocked.calls
        if c.request.method == "POST" and "subscriptions" in c.request.url
    )
    body = json.loads(create.body)
    assert body["endpointUrl"] == WEBHOOK
    assert set(body["eventTypes"]) == {"v1.export-job.created", "v1.vendor.created"}


def test_reused_state_is_refused(
    connection: Connection, finance_user: User, mocked: responses.RequestsMock
) -> None:
    _, query = _start(connection, finance_user)
    _pleo_token(mocked, company_id="company-9")
    _pleo_subscriptions(mocked, [])
    services.pleo_connect_finish(state=query["state"][0], code="c", user=finance_user)
    with pytest.raises(services.OAuthStateError):
        services.pleo_connect_finish(state=query["state"][0], code="c", user=finance_user)


@pytest.mark.parametrize("state", ["", "forged-state"])
def test_unknown_state_is_refused(connection: Connection, finance_user: User, state: str) -> None:
    _start(connection, finance_user)
    with pytest.raises(services.OAuthStateError):
        services.pleo_connect_finish(state=state, code="c", user=finance_user)


def test_expired_state_is_refused(connection: Connection, finance_user: User) -> None:
    _, query = _start(connection, finance_user)
    PendingOAuth.objects.update(created_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(services.OAuthStateError):
        services.pleo_connect_finish(state=query["state"][0], code="c", user=finance_user)


def test_state_of_another_user_is_refused(connection: Connection, finance_user: User) -> None:
    _, query = _start(connection, finance_user)
    other = User.objects.create_user("other")
    with pytest.raises(services.OAuthStateError):
        services.pleo_connect_finish(state=query["state"][0], code="c", user=other)


def test_state_of_one_provider_is_refused_by_the_other(
    connection: Connection, finance_user: User
) -> None:
    _, query = _start(connection, finance_user)
    with pytest.raises(services.OAuthStateError):
        services.visma_connect_interactive_finish(
            state=query["state"][0], code="c", user=finance_user
        )


def test_company_id_entered_when_the_token_does_not_say(
    connection: Connection, finance_user: User, mocked: responses.RequestsMock
) -> None:
    _, query = _start(connection, finance_user, company_id="typed-company")
    _pleo_token(mocked)
    _pleo_subscriptions(mocked, [])
    services.pleo_connect_finish(state=query["state"][0], code="c", user=finance_user)
    connection.refresh_from_db()
    assert connection.pleo_company_id == "typed-company"


def test_no_company_id_at_all_fails_and_keeps_no_token(
    connection: Connection, finance_user: User, mocked: responses.RequestsMock
) -> None:
    _, query = _start(connection, finance_user)
    _pleo_token(mocked)
    with pytest.raises(services.ConnectionSetupError, match="Pleo company id"):
        services.pleo_connect_finish(state=query["state"][0], code="c", user=finance_user)
    assert ConnectionTokenStore(connection_id=connection.pk, provider="pleo").load() is None


def test_company_mismatch_is_refused(
    connection: Connection, finance_user: User, mocked: responses.RequestsMock
) -> None:
    _, query = _start(connection, finance_user, company_id="typed")
    _pleo_token(mocked, company_id="from-token")
    with pytest.raises(services.ConnectionSetupError, match="from-token"):
        services.pleo_connect_finish(state=query["state"][0], code="c", user=finance_user)


def test_reconnect_replaces_the_old_subscription(
    connected: Connection, finance_user: User, mocked: responses.RequestsMock
) -> None:
    # The stored subscription points at an old address: a new one is made, the old one deleted.
    _, query = _start(connected, finance_user)
    _pleo_token(mocked, company_id="company-1")
    _pleo_subscriptions(mocked, [subscription("sub-1", endpointUrl=WEBHOOK, status="INACTIVE")])
    deleted = mocked.delete(f"{PLEO_API}/v1/subscriptions/sub-1", status=204)
    services.pleo_connect_finish(state=query["state"][0], code="c", user=finance_user)
    connected.refresh_from_db()
    assert connected.pleo_webhook_subscription_id == "sub-new"
    assert deleted.call_count == 1


def test_reconnect_reuses_a_matching_subscription(
    connected: Connection, finance_user: User, mocked: responses.RequestsMock
) -> None:
    _, query = _start(connected, finance_user)
    _pleo_token(mocked, company_id="company-1")
    _pleo_subscriptions(mocked, [subscription("sub-1")])
    services.pleo_connect_finish(state=query["state"][0], code="c", user=finance_user)
    connected.refresh_from_db()
    assert connected.pleo_webhook_subscription_id == "sub-1"
    assert connected.pleo_webhook_secret == "whsec_b2xk"
    assert not any(
        c.request.method in ("POST", "DELETE") and "subscriptions" in c.request.url
        for c in mocked.calls
    )


def test_visma_service_connect(
    connection: Connection, finance_user: User, mocked: responses.RequestsMock
) -> None:
    mocked.post(
        f"{VISMA_CONNECT}/connect/token",
        json={"access_token": "va", "expires_in": 3600, "scope": "vismanet_erp_service_api:create"},
    )
    services.visma_connect_service(connection=connection, tenant_id=" tenant-7 ", by=finance_user)
    connection.refresh_from_db()
    assert (connection.visma_tenant_id, connection.visma_auth_mode) == ("tenant-7", "service")
    assert connection.visma_connected
    form = parse_qs(str(mocked.calls[0].request.body))
    assert form["tenant_id"] == ["tenant-7"] and form["grant_type"] == ["client_credentials"]


def test_visma_service_connect_refused(
    connection: Connection, finance_user: User, mocked: responses.RequestsMock
) -> None:
    mocked.post(f"{VISMA_CONNECT}/connect/token", status=400, json={"error": "invalid_tenant"})
    with pytest.raises(services.ConnectionSetupError, match="API User role"):
        services.visma_connect_service(
            connection=connection, tenant_id="customer-tenant", by=finance_user
        )
    connection.refresh_from_db()
    assert not connection.visma_connected and connection.visma_tenant_id == ""


def _jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2ln"


def _interactive_start(connection: Connection, user: User, tenant_id: str = "") -> str:
    url = services.visma_connect_interactive_start(
        connection=connection, request=_request(user), tenant_id=tenant_id
    )
    query = parse_qs(urlsplit(url).query)
    assert {"offline_access", "tenants"} <= set(query["scope"][0].split())
    return query["state"][0]


def test_visma_interactive_flow_takes_the_company_chosen_at_visma(
    connection: Connection, finance_user: User, mocked: responses.RequestsMock
) -> None:
    state = _interactive_start(connection, finance_user)
    mocked.post(
        f"{VISMA_CONNECT}/connect/token",
        json={
            "access_token": _jwt({"tenant_id": "tenant-3"}),
            "refresh_token": "vr",
            "expires_in": 3600,
        },
    )
    mocked.get(f"{VISMA_API}/v1/organization", json=[{"name": "Fjordkraft Regnskap AS"}])
    services.visma_connect_interactive_finish(state=state, code="c", user=finance_user)
    connection.refresh_from_db()
    assert (connection.visma_auth_mode, connection.visma_tenant_id) == ("interactive", "tenant-3")
    assert connection.visma_company_name == "Fjordkraft Regnskap AS"
    assert connection.visma_refresh_token == "vr"
    # No tenant was typed, so none is sent: Visma Connect's choice decides.
    assert "tenant_id" not in parse_qs(str(mocked.calls[0].request.body))


def test_visma_interactive_typed_tenant_must_match_the_choice(
    connection: Connection, finance_user: User, mocked: responses.RequestsMock
) -> None:
    state = _interactive_start(connection, finance_user, tenant_id="tenant-3")
    mocked.post(
        f"{VISMA_CONNECT}/connect/token",
        json={"access_token": _jwt({"tenant_id": "tenant-9"}), "expires_in": 3600},
    )
    with pytest.raises(services.ConnectionSetupError, match="tenant id tenant-9, not tenant-3"):
        services.visma_connect_interactive_finish(state=state, code="c", user=finance_user)
    connection.refresh_from_db()
    assert not connection.visma_connected
    assert ConnectionTokenStore(connection_id=connection.pk, provider="visma").load() is None
    assert parse_qs(str(mocked.calls[0].request.body))["tenant_id"] == ["tenant-3"]


def test_visma_interactive_token_without_tenant_claim_explains_the_scope(
    connection: Connection, finance_user: User, mocked: responses.RequestsMock
) -> None:
    state = _interactive_start(connection, finance_user)
    mocked.post(f"{VISMA_CONNECT}/connect/token", json={"access_token": "opaque"})
    with pytest.raises(services.ConnectionSetupError, match="'tenants' scope"):
        services.visma_connect_interactive_finish(state=state, code="c", user=finance_user)
    connection.refresh_from_db()
    assert not connection.visma_connected


def test_visma_interactive_customer_tenant_is_explained(
    connection: Connection, finance_user: User, mocked: responses.RequestsMock
) -> None:
    state = _interactive_start(connection, finance_user)
    mocked.post(
        f"{VISMA_CONNECT}/connect/token",
        json={"access_token": _jwt({"tenant_id": "customer-1"}), "expires_in": 3600},
    )
    mocked.get(f"{VISMA_API}/v1/organization", status=401, json={"message": "Unauthorized"})
    with pytest.raises(services.ConnectionSetupError) as caught:
        services.visma_connect_interactive_finish(state=state, code="c", user=finance_user)
    assert "Customer tenant instead of the Company tenant" in caught.value.message
    assert "API User role" in caught.value.message
    connection.refresh_from_db()
    assert not connection.visma_connected and connection.visma_tenant_id == ""


def test_branch_choose_validates_against_visma(
    connected: Connection, mocked: responses.RequestsMock
) -> None:
    mocked.get(
        f"{VISMA_API}/v1/branch",
        json=[branch("1"), branch("2", "Bergen", active=False), branch("3", "Oslo")],
    )
    with pytest.raises(services.ConnectionSetupError, match="does not exist"):
        services.visma_branch_choose(connection=connected, branch_number="9")
    with pytest.raises(services.ConnectionSetupError, match="inactive"):
        services.visma_branch_choose(connection=connected, branch_number="2")
    services.visma_branch_choose(connection=connected, branch_number="3")
    connected.refresh_from_db()
    assert (connected.visma_branch_number, connected.visma_company_name) == ("3", "Oslo")


def _companies(rsps: responses.RequestsMock, companies: list[dict[str, Any]]) -> None:
    # The shape of Pleo's "Search for Companies" (`GET /v1/companies`).
    rsps.get(f"{PLEO_API}/v1/companies", json=page(companies))


def test_finish_learns_the_company_name_from_pleo(
    connection: Connection, finance_user: User, mocked: responses.RequestsMock
) -> None:
    _, query = _start(connection, finance_user)
    _pleo_token(mocked, company_id="company-9")
    _pleo_subscriptions(mocked, [])
    _companies(
        mocked,
        [
            {"id": "company-8", "name": "Sister AS", "organizationId": "org-1"},
            {"id": "company-9", "name": "Fjord Start AS", "organizationId": "org-1"},
        ],
    )
    services.pleo_connect_finish(state=query["state"][0], code="c", user=finance_user)
    connection.refresh_from_db()
    assert connection.pleo_company_name == "Fjord Start AS"
    assert connection.pleo_company_text == "Fjord Start AS"
    event = connection.events.get(kind="pleo_connect")
    assert event.detail == "company Fjord Start AS (company-9)"


@pytest.mark.parametrize(
    "answer",
    [
        {"status": 403, "json": {"type": "FORBIDDEN", "message": "Missing scope"}},
        {"json": page([{"id": "another", "name": "Not ours"}])},
        {"json": {"unexpected": True}},
    ],
    ids=["scope-refused", "not-listed", "other-shape"],
)
def test_without_a_name_from_pleo_the_id_is_kept_and_said_so(
    connection: Connection, finance_user: User, mocked: responses.RequestsMock, answer: Any
) -> None:
    _, query = _start(connection, finance_user)
    _pleo_token(mocked, company_id="company-9")
    _pleo_subscriptions(mocked, [])
    mocked.get(f"{PLEO_API}/v1/companies", **answer)
    services.pleo_connect_finish(state=query["state"][0], code="c", user=finance_user)
    connection.refresh_from_db()
    assert connection.pleo_connected
    assert connection.pleo_company_name == ""
    assert connection.pleo_company_text == "company id company-9 (Pleo did not give its name)"


def test_a_new_company_forgets_the_old_name(
    connected: Connection, finance_user: User, mocked: responses.RequestsMock
) -> None:
    Connection.objects.filter(pk=connected.pk).update(pleo_company_name="Old AS")
    _, query = _start(connected, finance_user)
    _pleo_token(mocked, company_id="company-other")
    _pleo_subscriptions(mocked, [subscription("sub-1")])
    mocked.get(f"{PLEO_API}/v1/companies", status=403, json={"message": "no"})
    services.pleo_connect_finish(state=query["state"][0], code="c", user=finance_user)
    connected.refresh_from_db()
    assert connected.pleo_company_id == "company-other"
    assert connected.pleo_company_name == ""
