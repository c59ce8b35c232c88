from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.test import Client
from django.urls import reverse

from integrations.connections.models import AccountMapping, Connection, ExportSettings, PendingOAuth
from tests.connections.conftest import (
    PLEO_API,
    PLEO_AUTH,
    VISMA_API,
    VISMA_CONNECT,
    branch,
    page,
    pleo_happy,
    subscription,
    visma_happy,
)

pytestmark = pytest.mark.django_db

PAYMENT_METHODS = [
    {
        "paymentMethodID": "PLEO",
        "description": "Pleo card",
        "active": True,
        "useInAP": True,
        "meansOfPayment": "DirectDeposit",
    },
    {
        "paymentMethodID": "BANK",
        "description": "Bank",
        "active": True,
        "useInAP": True,
        "meansOfPayment": "DirectDeposit",
    },
]


def _urls(pk: int) -> dict[str, str]:
    return {
        name: reverse(f"connections:{name}", args=[pk])
        for name in (
            "detail",
            "check",
            "pleo_connect",
            "visma_service",
            "visma_interactive",
            "branch",
            "disconnect",
            "export_settings",
        )
    }


# -- rights --------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(connection: Connection) -> None:
    client = Client()
    for url in [reverse("connections:list"), *_urls(connection.pk).values()]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    assert client.post(reverse("connections:list"), {"name": "x"}).status_code == 302
    assert not Connection.objects.filter(name="x").exists()


def test_support_can_look_but_not_change(
    support_client: Client, connection: Connection, mocked: responses.RequestsMock
) -> None:
    urls = _urls(connection.pk)
    assert support_client.get(reverse("connections:list")).status_code == 200
    for name in ("detail", "disconnect", "export_settings", "check"):
        assert support_client.get(urls[name]).status_code == 200, name
    assert support_client.post(reverse("connections:list"), {"name": "New"}).status_code == 403
    for name in (
        "pleo_connect",
        "visma_service",
        "visma_interactive",
        "branch",
        "disconnect",
        "export_settings",
    ):
        assert (
            support_client.post(urls[name], {"confirm": "yes", "tenant_id": "t"}).status_code == 403
        ), name
    connection.refresh_from_db()
    assert connection.status == "setup" and Connection.objects.count() == 1
    # Nor can support finish an OAuth flow.
    assert (
        support_client.get(
            reverse("connections:pleo_callback"), {"state": "s", "code": "c"}
        ).status_code
        == 403
    )


def test_forms_need_csrf(finance_user: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(finance_user)
    assert client.post(reverse("connections:list"), {"name": "X"}).status_code == 403
    page_html = client.get(reverse("connections:list")).content.decode()
    assert "csrfmiddlewaretoken" in page_html


# -- list and create -----------------------------------------------------------------------


def test_create_connection(finance_client: Client) -> None:
    response = finance_client.post(reverse("connections:list"), {"name": "Fjord AS"})
    connection = Connection.objects.get(name="Fjord AS")
    assert response.status_code == 302 and response["Location"] == reverse(
        "connections:detail", args=[connection.pk]
    )
    assert ExportSettings.objects.filter(connection=connection).exists()
    assert "Fjord AS" in finance_client.get(reverse("connections:list")).content.decode()


def test_create_connection_refuses_a_blank_name(finance_client: Client) -> None:
    response = finance_client.post(reverse("connections:list"), {"name": "   "})
    assert response.status_code == 400
    assert Connection.objects.count() == 0


# -- connect steps ---------------------------------------------------------------------------


def test_connect_pleo_redirects_to_consent(finance_client: Client, connection: Connection) -> None:
    response = finance_client.post(_urls(connection.pk)["pleo_connect"], {"company_id": ""})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{PLEO_AUTH}/oauth/authorize")
    assert parse_qs(urlsplit(location).query)["state"] == [PendingOAuth.objects.get().state]


def test_pleo_callback_with_a_bad_state_changes_nothing(
    finance_client: Client, connection: Connection
) -> None:
    finance_client.post(_urls(connection.pk)["pleo_connect"], {"company_id": ""})
    response = finance_client.get(
        reverse("connections:pleo_callback"), {"state": "forged", "code": "c"}, follow=True
    )
    assert "not valid any more" in response.content.decode()
    connection.refresh_from_db()
    assert not connection.pleo_connected


def test_pleo_callback_completes(
    finance_client: Client, connection: Connection, mocked: responses.RequestsMock
) -> None:
    location = finance_client.post(_urls(connection.pk)["pleo_connect"], {"company_id": ""})[
        "Location"
    ]
    state = parse_qs(urlsplit(location).query)["state"][0]
    mocked.post(
        f"{PLEO_AUTH}/oauth/token",
        json={"access_token": "a", "refresh_token": "r", "expires_in": 900, "company_id": "co-1"},
    )
    mocked.get(f"{PLEO_API}/v1/subscriptions", json=page([]))
    mocked.post(f"{PLEO_API}/v1/subscriptions", json={"data": subscription("sub-9")})
    mocked.get(
        f"{PLEO_API}/v1/subscriptions/sub-9/secret", json={"data": {"secretKey": "whsec_eA=="}}
    )
    response = finance_client.get(
        reverse("connections:pleo_callback"), {"state": state, "code": "c"}
    )
    assert response["Location"] == _urls(connection.pk)["detail"]
    connection.refresh_from_db()
    assert (
        connection.pleo_company_id == "co-1" and connection.pleo_webhook_subscription_id == "sub-9"
    )
    # The same callback again is refused.
    again = finance_client.get(
        reverse("connections:pleo_callback"), {"state": state, "code": "c"}, follow=True
    )
    assert "not valid any more" in again.content.decode()


def test_pleo_callback_with_denial(finance_client: Client, connection: Connection) -> None:
    location = finance_client.post(_urls(connection.pk)["pleo_connect"], {"company_id": ""})[
        "Location"
    ]
    state = parse_qs(urlsplit(location).query)["state"][0]
    response = finance_client.get(
        reverse("connections:pleo_callback"),
        {"state": state, "error": "access_denied"},
        follow=True,
    )
    assert "access_denied" in response.content.decode()
    assert PendingOAuth.objects.get().used_at is not None


def test_visma_service_page(
    finance_client: Client, connection: Connection, mocked: responses.RequestsMock
) -> None:
    url = _urls(connection.pk)["visma_service"]
    assert finance_client.post(url, {"tenant_id": ""}).status_code == 400
    mocked.post(f"{VISMA_CONNECT}/connect/token", status=400, json={"error": "invalid_tenant"})
    refused = finance_client.post(url, {"tenant_id": "customer-tenant"})
    assert refused.status_code == 400 and "customer tenant id" in refused.content.decode()
    mocked.replace(
        responses.POST,
        f"{VISMA_CONNECT}/connect/token",
        json={"access_token": "v", "expires_in": 3600},
    )
    mocked.get(f"{VISMA_API}/v1/branch", json=[branch("1"), branch("2", "Bergen")])
    assert finance_client.post(url, {"tenant_id": "company-tenant"}).status_code == 302
    connection.refresh_from_db()
    assert connection.visma_tenant_id == "company-tenant"
    detail = finance_client.get(_urls(connection.pk)["detail"]).content.decode()
    assert "2 — Bergen" in detail


def test_visma_interactive_redirects(finance_client: Client, connection: Connection) -> None:
    response = finance_client.post(_urls(connection.pk)["visma_interactive"], {"tenant_id": "t-1"})
    assert response.status_code == 302 and response["Location"].startswith(
        f"{VISMA_CONNECT}/connect/authorize"
    )


def test_visma_sign_in_needs_no_typed_tenant(
    finance_client: Client, connection: Connection
) -> None:
    response = finance_client.post(_urls(connection.pk)["visma_interactive"], {"tenant_id": ""})
    assert response.status_code == 302 and response["Location"].startswith(
        f"{VISMA_CONNECT}/connect/authorize"
    )
    # The service integration still needs one.
    refused = finance_client.post(_urls(connection.pk)["visma_service"], {"tenant_id": ""})
    assert refused.status_code == 400 and "Enter the Visma.net company tenant id" in (
        refused.content.decode()
    )


def test_branch_page(
    finance_client: Client, connected: Connection, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{VISMA_API}/v1/branch", json=[branch("1"), branch("2", "Bergen")])
    url = _urls(connected.pk)["branch"]
    assert finance_client.post(url, {"branch_number": "7"}).status_code == 400
    assert finance_client.post(url, {"branch_number": "2"}).status_code == 302
    connected.refresh_from_db()
    assert connected.visma_branch_number == "2"


def test_check_page_shows_marks_and_fixes(
    finance_client: Client, connected: Connection, mocked: responses.RequestsMock
) -> None:
    pleo_happy(mocked)
    visma_happy(mocked, branches=[branch("2")])
    html = finance_client.post(_urls(connected.pk)["check"]).content.decode()
    assert html.count("✓") >= 5 and "✗" in html
    assert "Choose one of the company&#x27;s branches above." in html
    assert (
        'VAT entry from general ledger is enabled</strong> <span class="muted">(check it in Visma.net)'
        in html
    )
    assert "Enable/disable functionalities (CS100000)" in html


def test_disconnect_needs_confirmation(
    finance_client: Client, connected: Connection, mocked: responses.RequestsMock
) -> None:
    url = _urls(connected.pk)["disconnect"]
    assert finance_client.post(url, {}).status_code == 400
    connected.refresh_from_db()
    assert connected.status == "connected"
    mocked.delete(f"{PLEO_API}/v1/subscriptions/sub-1", status=204)
    mocked.post(f"{PLEO_AUTH}/oauth/revoke", status=200)
    assert finance_client.post(url, {"confirm": "yes"}).status_code == 302
    connected.refresh_from_db()
    assert connected.status == "disconnected" and connected.pleo_access_token is None


# -- export settings -------------------------------------------------------------------------


def _settings_post(client: Client, pk: int, **data: Any) -> Any:
    form = {"transfer_attachments": "on", "closed_period_policy": "fail", **data}
    return client.post(reverse("connections:export_settings", args=[pk]), form)


def test_export_settings_save_and_history(
    finance_client: Client, connected: Connection, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{VISMA_API}/v1/paymentmethod", json=PAYMENT_METHODS)
    response = _settings_post(
        finance_client,
        connected.pk,
        card_expenses_as_invoices="on",
        auto_release_invoices="on",
        invoice_payment_method="PLEO",
        closed_period_policy="first_open",
    )
    assert response.status_code == 302
    settings = ExportSettings.objects.get(connection=connected)
    assert settings.card_expenses_as_invoices and settings.invoice_payment_method == "PLEO"
    html = finance_client.get(
        reverse("connections:export_settings", args=[connected.pk])
    ).content.decode()
    assert "fiona" in html
    # In the form's words, the choice by its name.
    assert (
        "When an expense falls in a closed period: Fail the item → Post in the first open period"
        in html
    )
    assert "payment-warning" not in html


def test_export_settings_warns_about_paying_twice(
    finance_client: Client, connected: Connection, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{VISMA_API}/v1/paymentmethod", json=PAYMENT_METHODS)
    _settings_post(
        finance_client, connected.pk, card_expenses_as_invoices="on", invoice_payment_method="BANK"
    )
    html = finance_client.get(
        reverse("connections:export_settings", args=[connected.pk])
    ).content.decode()
    assert "payment-warning" in html and "second time" in html


def test_export_settings_invalid_changes_nothing(
    finance_client: Client, connected: Connection, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{VISMA_API}/v1/paymentmethod", json=PAYMENT_METHODS)
    response = _settings_post(
        finance_client,
        connected.pk,
        one_journal_per_export="on",
        card_expenses_as_invoices="on",
        invoice_payment_method="",
    )
    assert response.status_code == 400
    assert "Choose the payment method" in response.content.decode()
    response = _settings_post(finance_client, connected.pk, closed_period_policy="never")
    assert response.status_code == 400
    settings = ExportSettings.objects.get(connection=connected)
    assert not settings.one_journal_per_export and not settings.card_expenses_as_invoices


def test_export_settings_invoice_fields_are_disabled_while_invoices_are_off(
    finance_client: Client, connected: Connection, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{VISMA_API}/v1/paymentmethod", json=PAYMENT_METHODS)
    html = finance_client.get(
        reverse("connections:export_settings", args=[connected.pk])
    ).content.decode()
    assert re.search(r"<input[^>]*name=\"auto_release_invoices\"[^>]*disabled", html)
    assert re.search(r"<select[^>]*name=\"invoice_payment_method\"[^>]*disabled", html)
    # Posting them anyway with invoices off is ignored: the stored values stay.
    assert (
        _settings_post(
            finance_client, connected.pk, auto_release_invoices="on", invoice_payment_method="BANK"
        ).status_code
        == 302
    )
    settings = ExportSettings.objects.get(connection=connected)
    assert not settings.auto_release_invoices and settings.invoice_payment_method == ""


def test_export_settings_page_refuses_a_wallet_account_that_is_no_cash_account(
    finance_client: Client, connected: Connection, mocked: responses.RequestsMock
) -> None:
    AccountMapping.objects.update_or_create(
        connection=connected, defaults={"wallet_accounts": {"NOK": "1930"}}
    )
    mocked.get(f"{VISMA_API}/v1/paymentmethod", json=PAYMENT_METHODS)
    mocked.get(f"{VISMA_API}/v1/cashaccount", json=[{"number": "1925", "currency": "NOK"}])

    response = _settings_post(
        finance_client, connected.pk, card_expenses_as_invoices="on", invoice_payment_method="PLEO"
    )

    assert response.status_code == 400
    assert "The Pleo Wallet account for NOK, 1930, is not a cash account in Visma.net" in (
        response.content.decode()
    )
    assert not ExportSettings.objects.get(connection=connected).card_expenses_as_invoices


def test_pages_name_the_pleo_company_or_say_why_they_cannot(
    finance_client: Client, connected: Connection
) -> None:
    detail, listing = (
        reverse("connections:detail", args=[connected.pk]),
        reverse("connections:list"),
    )
    for url in (detail, listing):
        html = finance_client.get(url).content.decode()
        assert "company-1" in html and "Pleo did not give its name" in html
    Connection.objects.filter(pk=connected.pk).update(pleo_company_name="Fjord Start AS")
    html = finance_client.get(detail).content.decode()
    assert "<strong>Fjord Start AS</strong>" in html and "Pleo did not give" not in html
    html = finance_client.get(listing).content.decode()
    assert "Fjord Start AS" in html and "company-1" not in html
    overview = finance_client.get(
        reverse("masterdata:setup_overview", args=[connected.pk])
    ).content.decode()
    assert "Signed in to Fjord Start AS." in overview
