"""The Visma.net client against the official spec: every request it sends and every canned
answer its parsers are tested on must be valid under `openapi-subset.json`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import responses
from django.utils import timezone

from integrations.core.tokens import MemoryTokenStore, OAuthToken
from integrations.visma.auth import VismaConnect
from integrations.visma.client import VismaClient
from integrations.visma.dto import journal_transaction_dto, supplier_dto
from tests.contract.openapi import (
    api_path,
    requires_specs,
    validate_prepared_request,
    validate_request,
    validate_response,
)
from tests.visma import payloads

pytestmark = [requires_specs, pytest.mark.django_db]

API = "https://api.finance.visma.net"
SINCE = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def _client() -> VismaClient:
    store = MemoryTokenStore(OAuthToken("tok", expires_at=timezone.now() + timedelta(hours=1)))
    auth = VismaConnect(
        connect_url="https://connect.visma.com",
        client_id="isv_app",
        client_secret="secret",
        tenant_id="tenant",
        token_store=store,
    )
    return VismaClient(base_url=API, auth=auth, sleep=lambda _s: None, max_wait=0)


def _get(path: str, body: Any) -> None:
    responses.get(f"{API}{path}", json=body)


def _created(path: str, location: str) -> None:
    # The spec declares `201` with an `application/json` object; Visma.net sends it empty.
    responses.post(
        f"{API}{path}",
        status=201,
        json={},
        headers={"Location": f"{API}{location}"},
    )


# Each case: name, canned answers, the call. The attachment uploads are checked for path and
# parameters only: the spec declares no request body for them, so the multipart file part has
# nothing to be validated against.
Case = tuple[str, Callable[[], None], Callable[[VismaClient], Any]]

CASES: list[Case] = [
    (
        "accounts_list",
        lambda: _get("/v1/account", [payloads.ACCOUNT]),
        lambda c: c.accounts_list(modified_since=SINCE),
    ),
    (
        "vat_categories_list",
        lambda: _get("/v1/vatCategory", [payloads.VAT_CATEGORY]),
        lambda c: c.vat_categories_list(modified_since=SINCE),
    ),
    ("vats_list", lambda: _get("/v1/vat", [payloads.VAT]), lambda c: c.vats_list()),
    (
        "vat_zones_list",
        lambda: _get("/v1/vatZone", [payloads.VAT_ZONE]),
        lambda c: c.vat_zones_list(),
    ),
    (
        "dimensions_list",
        lambda: _get("/v1/dimension", ["SUBACCOUNT"]),
        lambda c: c.dimensions_list(),
    ),
    (
        "dimension_get",
        lambda: _get("/v1/dimension/SUBACCOUNT", payloads.DIMENSION),
        lambda c: c.dimension_get("SUBACCOUNT"),
    ),
    (
        "suppliers_list",
        lambda: _get("/v1/supplier", [payloads.supplier()]),
        lambda c: c.suppliers_list(
            modified_since=SINCE, name="Adobe", vat_registration_id="IE1", corporate_id="1"
        ),
    ),
    (
        "supplier_get",
        lambda: _get("/v1/supplier/50012", payloads.supplier()),
        lambda c: c.supplier_get("50012"),
    ),
    (
        "supplier_create",
        lambda: _created("/v1/supplier", "/v1/supplier/50013"),
        lambda c: c.supplier_create(payloads.SUPPLIER_INPUT),
    ),
    (
        "supplier_update",
        lambda: responses.put(f"{API}/v1/supplier/50013", status=204),
        lambda c: c.supplier_update("50013", payloads.SUPPLIER_INPUT),
    ),
    (
        "supplier_classes_list",
        lambda: _get("/v1/supplier/supplierClass", [payloads.SUPPLIER_CLASS]),
        lambda c: c.supplier_classes_list(),
    ),
    (
        "payment_methods_list",
        lambda: _get("/v1/paymentmethod", [payloads.PAYMENT_METHOD]),
        lambda c: c.payment_methods_list(),
    ),
    (
        "credit_terms_list",
        lambda: _get("/v1/creditTerm", payloads.CREDIT_TERMS_PAGE),
        lambda c: c.credit_terms_list(),
    ),
    (
        "cash_accounts_list",
        lambda: _get("/v1/cashaccount", [payloads.CASH_ACCOUNT]),
        lambda c: c.cash_accounts_list(),
    ),
    (
        "branches_list",
        lambda: _get("/v1/branch", [payloads.BRANCH]),
        lambda c: c.branches_list(),
    ),
    (
        "financial_periods_list",
        lambda: _get("/v1/financialPeriod", [payloads.FINANCIAL_PERIOD]),
        lambda c: c.financial_periods_list(),
    ),
    (
        "currencies_list",
        lambda: _get("/v1/currency", [payloads.CURRENCY]),
        lambda c: c.currencies_list(),
    ),
    (
        "journal_transaction_create",
        lambda: _created("/v2/journaltransaction", "/v2/journaltransaction/000123"),
        lambda c: c.journal_transaction_create(payloads.JT_INPUT),
    ),
    (
        "journal_transaction_get",
        lambda: _get("/v2/journaltransaction/000123", payloads.journal_transaction()),
        lambda c: c.journal_transaction_get("000123"),
    ),
    (
        "journal_transactions_find",
        lambda: _get("/v2/journaltransaction", [payloads.journal_transaction()]),
        lambda c: c.journal_transactions_find(financial_period="202603", module="GL"),
    ),
    (
        "journal_transactions_find_since",
        lambda: _get("/v2/journaltransaction", [payloads.journal_transaction()]),
        lambda c: c.journal_transactions_find(modified_since=SINCE),
    ),
    (
        "journal_transaction_release",
        lambda: responses.post(
            f"{API}/v2/journaltransaction/000123/action/release", json=payloads.RELEASE_DONE
        ),
        lambda c: c.journal_transaction_release("000123"),
    ),
    (
        "journal_transaction_attach",
        lambda: _created(
            "/v2/journaltransaction/module/GL/000123/attachment", "/v1/attachment/att-1"
        ),
        lambda c: c.journal_transaction_attach(
            "000123", filename="r.pdf", content=b"%PDF", content_type="application/pdf"
        ),
    ),
    (
        "journal_transaction_attach_line",
        lambda: _created(
            "/v2/journaltransaction/module/GL/000123/2/attachment", "/v1/attachment/att-2"
        ),
        lambda c: c.journal_transaction_attach(
            "000123",
            filename="r.pdf",
            content=b"%PDF",
            content_type="application/pdf",
            line_number=2,
        ),
    ),
    (
        "supplier_invoice_create",
        lambda: _created("/v1/supplierInvoice", "/v1/supplierInvoice/000045"),
        lambda c: c.supplier_invoice_create(payloads.INVOICE_INPUT),
    ),
    (
        "supplier_invoice_get",
        lambda: _get("/v1/supplierInvoice/Invoice/000045", payloads.supplier_invoice()),
        lambda c: c.supplier_invoice_get("Invoice", "000045"),
    ),
    (
        "supplier_invoices_find",
        lambda: _get("/v1/supplierInvoice", [payloads.supplier_invoice()]),
        lambda c: c.supplier_invoices_find(
            supplier_number="50012", document_type="Invoice", modified_since=SINCE
        ),
    ),
    (
        "supplier_invoice_attach",
        lambda: _created(
            "/v1/supplierInvoice/documentType/Invoice/000045/attachment",
            "/v1/attachment/att-3",
        ),
        lambda c: c.supplier_invoice_attach(
            "Invoice", "000045", filename="r.pdf", content=b"%PDF", content_type="application/pdf"
        ),
    ),
    (
        "attachment_get",
        lambda: _get(f"/v1/attachment/{payloads.ATTACHMENT['id']}", payloads.ATTACHMENT),
        lambda c: c.attachment_get(payloads.ATTACHMENT["id"]),
    ),
]


@pytest.mark.parametrize(("name", "arrange", "act"), CASES, ids=[case[0] for case in CASES])
@responses.activate
def test_client_call_matches_the_spec(
    name: str, arrange: Callable[[], None], act: Callable[[VismaClient], Any]
) -> None:
    arrange()

    result = act(_client())

    assert result is None or result != []  # the canned answer was parsed into something
    assert responses.calls, "the client sent nothing"
    for call in responses.calls:
        request = call.request
        validate_prepared_request("visma", request)
        response = call.response
        if response.status_code == 204:
            # The spec gives `204 No Content` a JSON object body, which HTTP forbids: there is
            # no body to check, only that the request above was valid.
            continue
        content_type = response.headers.get("Content-Type", "")
        validate_response(
            "visma",
            method=request.method or "GET",
            path=api_path(request.url or ""),
            status=response.status_code,
            body=response.content if response.content else None,
            content_type=content_type if response.content else "",
            headers=dict(response.headers),
        )


def test_the_spec_catches_a_wrapping_mistake() -> None:
    """The cases above can fail: a scalar sent unwrapped, or a line amount sent as text, is
    refused by the spec."""
    body = journal_transaction_dto(payloads.JT_INPUT)
    validate_request("visma", method="POST", path="/v2/journaltransaction", body=body)

    unwrapped = {**body, "description": "Pleo 8f3c"}
    with pytest.raises(AssertionError, match="description"):
        validate_request("visma", method="POST", path="/v2/journaltransaction", body=unwrapped)

    line = {**body["journalTransactionLines"][0], "debitAmountInCurrency": {"value": "500.11"}}
    as_text = {**body, "journalTransactionLines": [line]}
    with pytest.raises(AssertionError, match="debitAmountInCurrency"):
        validate_request("visma", method="POST", path="/v2/journaltransaction", body=as_text)

    validate_request(
        "visma", method="POST", path="/v1/supplier", body=supplier_dto(payloads.SUPPLIER_INPUT)
    )
    bad_status = {**supplier_dto(payloads.SUPPLIER_INPUT), "status": {"value": "Enabled"}}
    with pytest.raises(AssertionError, match="Enabled"):
        validate_request("visma", method="POST", path="/v1/supplier", body=bad_status)
