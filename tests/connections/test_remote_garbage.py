"""Pages that call Visma.net (and Pleo) live show a clear error, never a 500, when the answer is
not what the API promises: an HTML page, a cut-off body, or the wrong shape."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from django.test import Client
from django.urls import reverse

from integrations.connections.models import AccountMapping, Connection, ExportSettings
from integrations.core import errors
from integrations.core.tokens import MemoryTokenStore
from integrations.visma.auth import VismaConnect
from integrations.visma.client import VismaClient
from tests.connections.conftest import (
    PLEO_API,
    VISMA_API,
    VISMA_CONNECT,
    pleo_happy,
    subscription,
    visma_happy,
)
from tests.connections.test_pages import PAYMENT_METHODS

pytestmark = pytest.mark.django_db

HTML = "<!DOCTYPE html><html><body><h1>Service Unavailable</h1></body></html>"

# (name, keyword arguments for responses.add) — each a 200 the spec does not promise.
GARBAGE: dict[str, dict[str, Any]] = {
    "html": {"body": HTML, "content_type": "text/html"},
    "truncated": {"body": '[{"number": "1", "name": "Nordl', "content_type": "application/json"},
    "object-not-list": {"json": {"records": [], "totalCount": 0}},
    "list-of-strings": {"json": ["1", "2"]},
    "wrong-field-types": {"json": [{"number": {"id": 1}, "name": ["x"], "isActive": "yes"}]},
    "empty-body": {"body": "", "content_type": "application/json"},
}


def _garbage(rsps: responses.RequestsMock, url: str, name: str) -> None:
    rsps.replace(responses.GET, url, status=200, **GARBAGE[name])


@pytest.fixture
def visma_garbage(mocked: responses.RequestsMock) -> Any:
    visma_happy(mocked)
    pleo_happy(mocked)
    mocked.get(f"{VISMA_API}/v1/paymentmethod", json=[])
    return mocked


# -- the client ------------------------------------------------------------------------------


CLIENT_CALLS: dict[str, Any] = {
    "/v1/branch": lambda c: c.branches_list(),
    "/v1/paymentmethod": lambda c: c.payment_methods_list(),
    "/v1/account": lambda c: c.accounts_list(),
    "/v1/supplier/10001": lambda c: c.supplier_get("10001"),
    "/v1/dimension": lambda c: c.dimensions_list(),
}


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (path, name)
        for path in CLIENT_CALLS
        for name in GARBAGE
        # A list of ids is exactly what /v1/dimension promises.
        if (path, name) != ("/v1/dimension", "list-of-strings")
    ],
)
def test_the_visma_client_turns_answers_off_the_spec_into_a_typed_error(
    mocked: responses.RequestsMock, name: str, path: str
) -> None:
    mocked.get(f"{VISMA_API}{path}", status=200, **GARBAGE[name])
    client = VismaClient(
        base_url=VISMA_API,
        auth=VismaConnect(
            connect_url=VISMA_CONNECT,
            client_id="c",
            client_secret="s",
            tenant_id="t",
            token_store=MemoryTokenStore(),
        ),
    )
    mocked.post(f"{VISMA_CONNECT}/connect/token", json={"access_token": "a", "expires_in": 60})

    with pytest.raises(errors.UnexpectedAnswer) as caught:
        CLIENT_CALLS[path](client)

    assert isinstance(caught.value, errors.ApiError)
    assert caught.value.message.startswith("Visma.net's answer to /v1/")


def test_a_token_answer_with_a_wrong_expiry_is_a_typed_error(
    mocked: responses.RequestsMock,
) -> None:
    mocked.post(f"{VISMA_CONNECT}/connect/token", json={"access_token": "a", "expires_in": "soon"})
    auth = VismaConnect(
        connect_url=VISMA_CONNECT,
        client_id="c",
        client_secret="s",
        tenant_id="t",
        token_store=MemoryTokenStore(),
    )

    with pytest.raises(errors.UnexpectedAnswer, match="expires_in"):
        auth.access_token()


# -- the pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(GARBAGE))
def test_connection_page_shows_why_the_branches_are_missing(
    connected: Connection, visma_garbage: responses.RequestsMock, finance_client: Client, name: str
) -> None:
    _garbage(visma_garbage, f"{VISMA_API}/v1/branch", name)

    response = finance_client.get(reverse("connections:detail", args=[connected.pk]))

    assert response.status_code == 200
    assert "Visma.net did not list the branches" in response.content.decode()


@pytest.mark.parametrize("name", list(GARBAGE))
def test_choosing_a_branch_on_a_broken_answer_is_refused_with_a_message(
    connected: Connection, visma_garbage: responses.RequestsMock, finance_client: Client, name: str
) -> None:
    _garbage(visma_garbage, f"{VISMA_API}/v1/branch", name)

    response = finance_client.post(
        reverse("connections:branch", args=[connected.pk]), {"branch_number": "2"}
    )

    assert response.status_code == 400
    assert "Visma.net did not list the branches" in response.content.decode()
    connected.refresh_from_db()
    assert connected.visma_branch_number == "1"


@pytest.mark.parametrize("name", list(GARBAGE))
@pytest.mark.parametrize("path", ["/v1/branch", "/v1/account", "/v1/supplier"])
def test_check_page_fails_the_line_with_a_clear_reason(
    connected: Connection,
    visma_garbage: responses.RequestsMock,
    finance_client: Client,
    name: str,
    path: str,
) -> None:
    _garbage(visma_garbage, f"{VISMA_API}{path}", name)

    response = _run_check(finance_client, connected)

    assert response.status_code == 200
    page = response.content.decode()
    assert f"Visma.net&#x27;s answer to {path}" in page or f"Visma.net's answer to {path}" in page


@pytest.mark.parametrize("name", ["html", "truncated", "object-not-list", "empty-body"])
def test_check_page_survives_a_broken_pleo_answer(
    connected: Connection, visma_garbage: responses.RequestsMock, finance_client: Client, name: str
) -> None:
    body = dict(GARBAGE[name])
    if name == "object-not-list":
        body = {"json": {"data": {"not": "a list"}, "pagination": {}}}
    visma_garbage.replace(responses.GET, f"{PLEO_API}/v1/subscriptions", status=200, **body)

    response = _run_check(finance_client, connected)

    assert response.status_code == 200
    assert "Pleo: the connection works" in response.content.decode()


@pytest.mark.parametrize("name", list(GARBAGE))
def test_export_settings_page_shows_why_payment_methods_are_missing(
    connected: Connection, visma_garbage: responses.RequestsMock, finance_client: Client, name: str
) -> None:
    _garbage(visma_garbage, f"{VISMA_API}/v1/paymentmethod", name)
    url = reverse("connections:export_settings", args=[connected.pk])

    shown = finance_client.get(url)
    saved = finance_client.post(
        url,
        {
            "transfer_attachments": "on",
            "card_expenses_as_invoices": "on",
            "invoice_payment_method": "PLEO",
            "closed_period_policy": "fail",
        },
    )

    assert shown.status_code == 200
    assert "Visma.net did not list the payment methods" in shown.content.decode()
    # The choice cannot be checked against Visma.net, so it is not saved.
    assert saved.status_code == 400
    assert "Visma.net did not list the payment methods" in saved.content.decode()
    assert ExportSettings.objects.get(connection=connected).invoice_payment_method == ""


@pytest.mark.parametrize("name", list(GARBAGE))
def test_export_settings_page_shows_why_the_cash_accounts_are_unknown(
    connected: Connection, visma_garbage: responses.RequestsMock, finance_client: Client, name: str
) -> None:
    AccountMapping.objects.update_or_create(
        connection=connected, defaults={"wallet_accounts": {"NOK": "1930"}}
    )
    visma_garbage.replace(responses.GET, f"{VISMA_API}/v1/paymentmethod", json=PAYMENT_METHODS)
    visma_garbage.get(f"{VISMA_API}/v1/cashaccount", status=200, **GARBAGE[name])

    response = finance_client.post(
        reverse("connections:export_settings", args=[connected.pk]),
        {
            "transfer_attachments": "on",
            "card_expenses_as_invoices": "on",
            "invoice_payment_method": "PLEO",
            "closed_period_policy": "fail",
        },
    )

    assert response.status_code == 400
    assert "Visma.net did not list the cash accounts" in response.content.decode()
    assert not ExportSettings.objects.get(connection=connected).card_expenses_as_invoices


def _run_check(client: Client, connection: Connection) -> Any:
    return client.post(reverse("connections:check", args=[connection.pk]))


def test_the_fixtures_answer_normally_without_garbage(
    connected: Connection, visma_garbage: responses.RequestsMock, finance_client: Client
) -> None:
    # The garbage above is what breaks the pages: with normal answers every line passes.
    visma_garbage.replace(
        responses.GET, f"{PLEO_API}/v1/subscriptions", json={"data": [subscription()]}
    )
    response = _run_check(finance_client, connected)
    assert response.status_code == 200
    assert "did not list" not in response.content.decode()
