"""What keeps the Visma.net sandbox fast with many records: lists filtered and paged in the
database, related rows read once per request, numbering without reading every supplier."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.sandbox.visma.models import Company, Supplier
from tests.sandbox.visma.conftest import Visma, invoice_body, journal_body, w

pytestmark = pytest.mark.django_db


def _suppliers(count: int, start: int = 60000) -> list[dict[str, str]]:
    return [
        {"number": str(start + n), "name": f"Supplier {n}", "supplierClassId": "1",
         "paymentMethodId": "MANUAL", "vatZoneId": "NO", "creditTermsId": "30"}
        for n in range(count)
    ]  # fmt: skip


def _queries(visma: Visma, path: str, **params: object) -> tuple[int, list[dict]]:
    with CaptureQueriesContext(connection) as captured:
        answer = visma.get(path, **params)
    assert answer.status_code == 200, answer.content
    return len(captured), answer.json()


def test_a_supplier_page_costs_the_same_queries_whatever_its_size(visma: Visma) -> None:
    visma.control("post", "seed", {"suppliers": _suppliers(60)})
    small, page = _queries(visma, "/v1/supplier", pageSize=5, pageNumber=2)
    large, big_page = _queries(visma, "/v1/supplier", pageSize=50, pageNumber=1)
    assert [s["number"] for s in page] == ["60001", "60002", "60003", "60004", "60005"]
    assert len(big_page) == 50 and big_page[0]["metadata"]["totalCount"] == 64
    assert big_page[10]["supplierClass"] == {"id": "1", "description": "Domestic"}
    assert big_page[10]["paymentMethod"]["description"] == "Manual payment"
    assert small == large


def test_document_lists_cost_the_same_queries_whatever_their_size(visma: Visma) -> None:
    for _ in range(2):
        visma.post("/v2/journaltransaction", journal_body())
        visma.post("/v1/supplierInvoice", invoice_body())
    few_journals, _ = _queries(visma, "/v2/journaltransaction", periodId="202603", pageSize=2)
    few_invoices, _ = _queries(visma, "/v1/supplierInvoice", pageSize=1)
    for _ in range(4):
        visma.post("/v2/journaltransaction", journal_body())
        visma.post("/v1/supplierInvoice", invoice_body())
    many_journals, journals = _queries(visma, "/v2/journaltransaction", periodId="202603")
    many_invoices, invoices = _queries(visma, "/v1/supplierInvoice")
    assert len(journals) == 6 and journals[0]["metadata"]["totalCount"] == 12
    assert journals[5]["journalTransactionLines"][0]["subaccount"]["segments"][0] == {
        "segmentId": 1, "segmentDescription": "DEPARTMENT", "segmentValue": "10",
        "segmentValueDescription": "Sales"}  # fmt: skip
    assert len(invoices) == 6 and invoices[5]["invoiceLines"][0]["account"]["number"] == "6800"
    assert (few_journals, few_invoices) == (many_journals, many_invoices)


def test_auto_numbering_takes_the_highest_numeric_supplier_number(visma: Visma) -> None:
    visma.control("post", "seed", {"suppliers": [
        {"number": "9", "name": "Nine", "supplierClassId": "1"},
        {"number": "ABC", "name": "Letters", "supplierClassId": "1"},
        {"number": "700000", "name": "Highest", "supplierClassId": "1"},
        {"number": "80000", "name": "Longer text, smaller number", "supplierClassId": "1"},
    ]})  # fmt: skip
    created = visma.post("/v1/supplier", {"name": w("Next AS"), "supplierClassId": w("1")})
    assert created["Location"].endswith("/v1/supplier/700001")


@pytest.mark.parametrize(
    ("condition", "value", "kept"),
    [
        (">", "2026-05-01T10:00:00.123", False),
        (">", "2026-05-01T10:00:00.122", True),
        (">=", "2026-05-01T10:00:00.123", True),
        (">=", "2026-05-01T10:00:00.124", False),
        ("<", "2026-05-01T10:00:00.123", False),
        ("<", "2026-05-01T10:00:00.124", True),
        ("<=", "2026-05-01T10:00:00.123", True),
        ("<=", "2026-05-01T10:00:00.122", False),
        (">=", "2026-05-01", True),
        ("<", "2026-05-01", False),
    ],
)
def test_delta_filter_compares_at_millisecond_precision(
    visma: Visma, condition: str, value: str, kept: bool
) -> None:
    # Stored with microseconds; the API shows (and compares) milliseconds.
    company = Company.objects.get(tenant_id="demo-tenant")
    Supplier.objects.filter(company=company).update(last_modified=datetime(2020, 1, 1, tzinfo=UTC))
    Supplier.objects.filter(company=company, number="50002").update(
        last_modified=datetime(2026, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
    )
    got = visma.get(
        "/v1/supplier", lastModifiedDateTime=value, lastModifiedDateTimeCondition=condition
    ).json()
    numbers = {s["number"] for s in got}
    assert ("50002" in numbers) is kept
    shown = visma.get("/v1/supplier/50002").json()["lastModifiedDateTime"]
    assert shown == "2026-05-01T10:00:00.123Z"
