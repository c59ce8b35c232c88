"""The JSON configuration API: read and replace each part of the setup, start a sync and follow
it; session or token authentication; finance writes, support reads, others 403; the same
validation and history as the pages, with the API user as the history user."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from integrations.connections.models import AccountMapping, Connection, ExportSettings
from integrations.masterdata.models import (
    CategoryMapping,
    SegmentSetting,
    SyncRun,
    VismaCashAccount,
)
from integrations.masterdata.setup import pleo_push
from tests.masterdata.setup_support import (
    FakePleo,
    chart_account,
    connection_connected,
    mirror_seed,
    user_with_role,
)

pytestmark = [pytest.mark.django_db]

ACCOUNTS = {
    "wallet_accounts": {"NOK": "1925", "eur": "1926"},
    "tax_account": "2710",
    "output_vat_account": "2700",
    "out_of_pocket_account": "2915",
    "default_vendor_number": "50001",
}
EXPORT_SETTINGS = {
    "transfer_attachments": True,
    "one_journal_per_export": False,
    "card_expenses_as_invoices": True,
    "auto_release_invoices": True,
    "invoice_payment_method": "PLEO",
    "closed_period_policy": "first_open",
    "journal_batch_max_lines": 300,
}


@pytest.fixture
def connection() -> Connection:
    connection = connection_connected()
    mirror_seed(connection)
    return connection


def _token_client(role: str | None, name: str) -> APIClient:
    user = user_with_role(role, name)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def _url(name: str, connection: Connection, **kwargs: Any) -> str:
    return reverse(name, kwargs={"connection_id": connection.pk, **kwargs})


def test_account_mapping_put_and_get_with_token(connection: Connection) -> None:
    client = _token_client("finance", "robot")
    url = _url("api_account_mapping", connection)
    assert client.get(url).json()["wallet_accounts"] == {}
    response = client.put(url, ACCOUNTS, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["wallet_accounts"] == {"EUR": "1926", "NOK": "1925"}
    mapping = AccountMapping.objects.get(connection=connection)
    latest = mapping.history.latest()
    assert latest.history_user.username == "robot"
    assert latest.history_change_reason == "Changed through the API"
    assert client.get(url).json()["tax_account"] == "2710"


def test_account_mapping_refused_with_reasons(connection: Connection) -> None:
    client = _token_client("finance", "robot")
    bad = {**ACCOUNTS, "wallet_accounts": {"NOK": "1926"}, "tax_account": "6540"}
    response = client.put(_url("api_account_mapping", connection), bad, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "kept in EUR" in body["wallet_accounts"][0]
    assert "Expense account" in body["tax_account"][0]
    assert not AccountMapping.objects.filter(connection=connection).exists()


def test_export_settings_put_validates_like_the_page(connection: Connection) -> None:
    client = _token_client("finance", "robot")
    url = _url("api_export_settings", connection)
    assert client.get(url).json()["closed_period_policy"] == "fail"  # defaults before saving
    response = client.put(url, EXPORT_SETTINGS, format="json")
    assert response.status_code == 200, response.content
    settings = ExportSettings.objects.get(connection=connection)
    assert settings.invoice_payment_method == "PLEO" and settings.journal_batch_max_lines == 300
    assert settings.history.latest().history_user.username == "robot"

    # Invoices off: the invoice-only options cannot be changed.
    off = {**EXPORT_SETTINGS, "card_expenses_as_invoices": False, "auto_release_invoices": False}
    refused = client.put(url, off, format="json")
    assert refused.status_code == 400
    assert "auto_release_invoices" in refused.json()
    unknown = client.put(url, {**EXPORT_SETTINGS, "invoice_payment_method": "NOPE"}, format="json")
    assert unknown.status_code == 400
    assert "does not exist" in unknown.json()["invoice_payment_method"][0]
    assert ExportSettings.objects.get(connection=connection).auto_release_invoices is True


def test_tag_settings_put_queues_tags_sync(connection: Connection) -> None:
    client = _token_client("finance", "robot")
    url = _url("api_tag_settings", connection)
    listed = client.get(url).json()["segments"]
    assert [s["description"] for s in listed] == ["DEPARTMENT", "PROJECT"]
    body = {
        "segments": [
            {"segment_id": 1, "synced": True, "default_value": "00"},
            {"segment_id": 2, "synced": True, "default_value": "000"},
        ]
    }
    response = client.put(url, body, format="json")
    assert response.status_code == 200, response.content
    run = SyncRun.objects.get(pk=response.json()["sync_run_id"])
    assert run.kind == "tags" and run.triggered_by == "robot"
    assert SegmentSetting.objects.filter(connection=connection, synced=True).count() == 2

    bad = {"segments": [{"segment_id": 1, "synced": True, "default_value": "99"}]}
    refused = client.put(url, bad, format="json")
    assert refused.status_code == 400
    assert "inactive value of DEPARTMENT" in refused.json()["segment_1"][0]


def test_category_mappings_put_writes_pleo(
    connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakePleo([chart_account("7140", "Travel")])
    monkeypatch.setattr(pleo_push, "_client", lambda connection: fake)
    client = _token_client("finance", "robot")
    url = _url("api_category_mappings", connection)
    body = {
        "mappings": [
            {
                "pleo_account_id": "pleo-acc-7140",
                "pleo_account_name": "Travel",
                "visma_account_number": "7140",
                "default_vat_category": "3",
            }
        ]
    }
    response = client.put(url, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["pleo_updated"] == ["pleo-acc-7140"]
    assert fake.updates[0]["tax_code_external_id"] == "3"
    mapping = CategoryMapping.objects.get(connection=connection)
    assert mapping.history.latest().history_user.username == "robot"
    assert client.get(url).json()["mappings"][0]["visma_account_number"] == "7140"

    body["mappings"][0]["visma_account_number"] = "7999"
    refused = client.put(url, body, format="json")
    assert refused.status_code == 400
    assert "inactive" in refused.json()["category_pleo-acc-7140"][0]


def test_start_sync_and_read_its_status(connection: Connection) -> None:
    client = _token_client("finance", "robot")
    response = client.post(
        _url("api_syncs", connection),
        {"kinds": ["accounts", "vendors"], "full": True},
        format="json",
    )
    assert response.status_code == 202, response.content
    run_id = response.json()["id"]
    run = SyncRun.objects.get(pk=run_id)
    assert (run.kind, run.kinds, run.full) == ("all", ["accounts", "vendors"], True)
    status = client.get(_url("api_sync_detail", connection, run_id=run_id)).json()
    assert status["status"] == "queued" and status["progress_percent"] == 0
    assert (
        client.post(_url("api_syncs", connection), {"kinds": ["bogus"]}, format="json").status_code
        == 400
    )
    other = Connection.objects.create(name="Other")
    assert client.get(_url("api_sync_detail", other, run_id=run_id)).status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        "api_export_settings",
        "api_account_mapping",
        "api_tag_settings",
        "api_category_mappings",
        "api_syncs",
    ],
)
def test_rights(connection: Connection, name: str) -> None:
    url = _url(name, connection)
    support = _token_client("support", "sue")
    assert support.get(url).status_code == 200
    write = support.post if name == "api_syncs" else support.put
    assert write(url, {}, format="json").status_code == 403
    assert _token_client(None, "nobody").get(url).status_code == 403
    assert APIClient().get(url).status_code in (401, 403)


def test_session_authentication_needs_csrf_for_writes(connection: Connection) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user_with_role("finance", "finn"))
    url = _url("api_account_mapping", connection)
    assert client.get(url).status_code == 200
    assert client.put(url, ACCOUNTS, format="json").status_code == 403
    assert not AccountMapping.objects.filter(connection=connection).exists()


def test_endpoints_are_in_the_openapi_schema() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(public=True)
    paths = schema["paths"]
    for path in (
        "/api/connections/{connection_id}/export-settings/",
        "/api/connections/{connection_id}/account-mapping/",
        "/api/connections/{connection_id}/tag-settings/",
        "/api/connections/{connection_id}/category-mappings/",
        "/api/connections/{connection_id}/syncs/",
        "/api/connections/{connection_id}/syncs/{run_id}/",
    ):
        assert path in paths, path
    assert set(paths["/api/connections/{connection_id}/account-mapping/"]) == {"get", "put"}


def test_export_settings_put_checks_the_wallet_against_the_mirrored_cash_accounts(
    connection: Connection,
) -> None:
    """The page and the API share one rule: with invoices on, each Pleo Wallet account must be
    one of Visma.net's cash accounts (here from the mirror, no call to Visma.net)."""
    VismaCashAccount.objects.create(connection=connection, number="1925", currency="NOK")
    AccountMapping.objects.update_or_create(
        connection=connection, defaults={"wallet_accounts": {"NOK": "1925", "EUR": "1926"}}
    )
    client = _token_client("finance", "robot")
    url = _url("api_export_settings", connection)

    refused = client.put(url, EXPORT_SETTINGS, format="json")

    assert refused.status_code == 400
    assert refused.json()["card_expenses_as_invoices"][0].startswith(
        "The Pleo Wallet account for EUR, 1926, is not a cash account in Visma.net"
    )
    assert not ExportSettings.objects.filter(
        connection=connection, card_expenses_as_invoices=True
    ).exists()

    VismaCashAccount.objects.create(connection=connection, number="1926", currency="EUR")
    assert client.put(url, EXPORT_SETTINGS, format="json").status_code == 200
