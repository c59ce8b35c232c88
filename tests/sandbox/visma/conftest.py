from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from integrations.sandbox.visma.presets import visma_seed

BASE = "/sandbox/visma"
SCOPES = " ".join(
    f"vismanet_erp_service_api:{right}" for right in ("read", "create", "update", "delete")
)


def token_for(client: Client, *, tenant: str = "demo-tenant", scope: str = SCOPES) -> Any:
    return client.post(
        f"{BASE}/connect/token",
        data=(
            "grant_type=client_credentials&client_id=demo-visma-client"
            f"&client_secret=demo-visma-secret&tenant_id={tenant}&scope={scope}"
        ),
        content_type="application/x-www-form-urlencoded",
    )


@dataclass
class Visma:
    """The sandbox through Django's test client, with a service token."""

    client: Client
    token: str

    def _auth(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"{BASE}{path}", params, **self._auth())

    def post(self, path: str, body: Any = None) -> Any:
        data = b"" if body is None else json.dumps(body)
        return self.client.post(
            f"{BASE}{path}", data=data, content_type="application/json", **self._auth()
        )

    def put(self, path: str, body: Any, **headers: str) -> Any:
        return self.client.put(
            f"{BASE}{path}",
            data=json.dumps(body),
            content_type="application/json",
            **self._auth(),
            **headers,
        )

    def upload(self, path: str, name: str, content: bytes) -> Any:
        from django.core.files.uploadedfile import SimpleUploadedFile

        return self.client.post(
            f"{BASE}{path}",
            {"v": SimpleUploadedFile(name, content, content_type="application/pdf")},
            **self._auth(),
        )

    def control(self, method: str, path: str, body: Any = None) -> Any:
        call = getattr(self.client, method.lower())
        if body is None:
            return call(f"{BASE}/_control/{path}")
        return call(
            f"{BASE}/_control/{path}", data=json.dumps(body), content_type="application/json"
        )


def seeded_visma(client: Client) -> Visma:
    """Seed the demo preset and take a service token (needs database access)."""
    visma_seed("demo")
    answer = token_for(client)
    assert answer.status_code == 200, answer.content
    return Visma(client=client, token=answer.json()["access_token"])


@pytest.fixture
def visma(db: Any, client: Client) -> Visma:
    return seeded_visma(client)


def w(value: Any) -> dict[str, Any]:
    return {"value": value}


def journal_body(**overrides: Any) -> dict[str, Any]:
    """A balanced two-line NOK batch in an open period; keyword arguments replace fields."""
    body: dict[str, Any] = {
        "transactionDate": w("2026-03-14T00:00:00"),
        "financialPeriod": w("202603"),
        "description": w("Pleo 8f3c"),
        "currencyId": w("NOK"),
        "branch": w("1"),
        "journalTransactionLines": [
            {
                "operation": "Insert",
                "lineNumber": w(1),
                "accountNumber": w("6540"),
                "subaccount": [{"segmentId": 1, "segmentValue": "10"}],
                "referenceNumber": w("PLEO-8f3c"),
                "transactionDescription": w("Clas Ohlson"),
                "debitAmountInCurrency": w(500.00),
                "creditAmountInCurrency": w(0),
                "vatCodeId": w("1"),
            },
            {
                "operation": "Insert",
                "lineNumber": w(2),
                "accountNumber": w("1925"),
                "referenceNumber": w("PLEO-8f3c"),
                "transactionDescription": w("Pleo Wallet"),
                "debitAmountInCurrency": w(0),
                "creditAmountInCurrency": w(500.00),
            },
        ],
    }
    body.update(overrides)
    return body


def invoice_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "documentType": w("Invoice"),
        "supplierNumber": w("50003"),
        "date": w("2026-03-14T00:00:00"),
        "financialPeriod": w("202603"),
        "supplierReference": w("PLEO-8f3c"),
        "description": w("Paper"),
        "currencyId": w("NOK"),
        "taxCalculationMode": w("Gross"),
        "branchNumber": w("1"),
        "invoiceLines": [
            {
                "operation": "Insert",
                "lineNumber": w(1),
                "transactionDescription": w("Paper"),
                "quantity": w(1),
                "unitCostInCurrency": w(125.00),
                "accountNumber": w("6800"),
                "subaccount": [{"segmentId": 1, "segmentValue": "30"}],
                "vatCodeId": w("1"),
            }
        ],
    }
    body.update(overrides)
    return body


def assert_visma_error(answer: Any, status: int, fragment: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.content
    body = answer.json()
    assert set(body) == {
        "ExceptionType",
        "ExceptionMessage",
        "ExceptionFaultCode",
        "ExceptionMessageID",
        "ExceptionDetails",
    }
    assert body["ExceptionType"] == "IPPException"
    assert body["ExceptionMessageID"].startswith(body["ExceptionFaultCode"] + "_")
    assert fragment in body["ExceptionMessage"], body["ExceptionMessage"]
    return body
