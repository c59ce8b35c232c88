"""The Visma.net sandbox answers every endpoint the project uses in the shapes Visma publishes.

Each call goes through the sandbox's URLs with the Django test client; each answer is validated
against ../shared/specs/visma-net/openapi-subset.json. Two gaps in the published contract:
* 201 (create) and 204 (update) declare a JSON object body, but Visma.net sends none (notes §4:
  "create calls return 201 with an empty body"). The sandbox sends none either; the test asserts
  the empty body and validates status and headers with an empty object.
* Error statuses (400/401/404) and the synchronous answer of the supplier-invoice release action
  are not documented; their shape is covered in tests/sandbox/visma.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.contract.openapi import requires_specs, validate_response
from tests.sandbox.visma.conftest import Visma, invoice_body, journal_body, seeded_visma, w

pytestmark = [requires_specs]


@pytest.fixture
def visma(db: Any, client: Client) -> Visma:
    return seeded_visma(client)


def check(response: Any, method: str, path: str, status: int) -> Any:
    """Assert the status, validate the answer against the spec, return the parsed body."""
    assert response.status_code == status, response.content
    body: Any = response.content
    if status in (201, 204):
        assert response.content == b""
        body = {}
    validate_response(
        "visma",
        method=method,
        path=path,
        status=status,
        body=body,
        content_type=response.get("Content-Type", "") or "application/json",
        headers=dict(response.headers),
    )
    return response.json() if response.content else None


def test_a_wrong_shape_is_caught() -> None:
    with pytest.raises(AssertionError, match="does not match"):
        validate_response(
            "visma",
            method="GET",
            path="/v1/account/1920",
            status=200,
            body={"accountCD": "1920", "active": "yes"},
        )


MASTER_DATA = [
    "/v1/account",
    "/v1/account/6540",
    "/v1/vatCategory",
    "/v1/vatCategory/86",
    "/v1/vat",
    "/v1/vat/RC25",
    "/v1/vatZone",
    "/v1/vatZone/EU",
    "/v1/dimension",
    "/v1/dimension/SUBACCOUNT",
    "/v1/dimension/SUBACCOUNT/1",
    "/v1/subaccount",
    "/v1/supplier",
    "/v1/supplier/50002",
    "/v1/supplier/supplierClass",
    "/v1/supplier/supplierClass/1",
    "/v1/paymentmethod",
    "/v1/paymentmethod/PLEO",
    "/v1/creditTerm",
    "/v1/cashaccount",
    "/v1/cashaccount/1926",
    "/v1/branch",
    "/v1/branch/1",
    "/v1/financialPeriod",
    "/v1/financialPeriod/202601",
    "/v1/currency",
    "/v1/currency/ISK",
]


@pytest.mark.parametrize("path", MASTER_DATA)
def test_master_data_reads(visma: Visma, path: str) -> None:
    body = check(visma.get(path), "GET", path, 200)
    assert body


def test_filtered_and_paged_lists(visma: Visma) -> None:
    supplier = visma.get("/v1/supplier", pageNumber=1, pageSize=2, name="Ltd")
    assert check(supplier, "GET", "/v1/supplier", 200)[0]["metadata"]["totalCount"] == 1
    modified = visma.get(
        "/v1/account", lastModifiedDateTime="2020-01-01", lastModifiedDateTimeCondition=">"
    )
    assert check(modified, "GET", "/v1/account", 200)


def test_supplier_create_and_update(visma: Visma) -> None:
    created = visma.post("/v1/supplier", {"name": w("Contract AS"), "supplierClassId": w("1")})
    check(created, "POST", "/v1/supplier", 201)
    number = created["Location"].rsplit("/", 1)[1]
    check(
        visma.put(f"/v1/supplier/{number}", {"status": w("OnHold")}),
        "PUT",
        f"/v1/supplier/{number}",
        204,
    )
    assert check(visma.get(f"/v1/supplier/{number}"), "GET", "/v1/supplier/x", 200)["status"] == (
        "OnHold"
    )


def test_journal_transaction_endpoints(visma: Visma) -> None:
    check(
        visma.post("/v2/journaltransaction", journal_body()), "POST", "/v2/journaltransaction", 201
    )
    got = check(
        visma.get("/v2/journaltransaction/000001"), "GET", "/v2/journaltransaction/000001", 200
    )
    assert got["journalTransactionLines"][0]["subaccount"]["segments"]
    listed = visma.get("/v2/journaltransaction", periodId="202603", expandAttachments="true")
    check(listed, "GET", "/v2/journaltransaction", 200)
    check(
        visma.put("/v2/journaltransaction/000001", {"description": w("Changed")}),
        "PUT",
        "/v2/journaltransaction/000001",
        204,
    )
    check(
        visma.upload("/v2/journaltransaction/module/GL/000001/attachment", "r.pdf", b"%PDF"),
        "POST",
        "/v2/journaltransaction/module/GL/000001/attachment",
        201,
    )
    line = visma.upload("/v2/journaltransaction/module/GL/000001/1/attachment", "l.pdf", b"%PDF")
    check(line, "POST", "/v2/journaltransaction/module/GL/000001/1/attachment", 201)
    attachment_id = line["Location"].rsplit("/", 1)[1]
    check(
        visma.get(f"/v1/attachment/{attachment_id}"), "GET", f"/v1/attachment/{attachment_id}", 200
    )
    released = visma.post("/v2/journaltransaction/000001/action/release")
    assert (
        check(released, "POST", "/v2/journaltransaction/000001/action/release", 200)["actionResult"]
        == "Done"
    )


def test_supplier_invoice_endpoints(visma: Visma) -> None:
    check(visma.post("/v1/supplierInvoice", invoice_body()), "POST", "/v1/supplierInvoice", 201)
    check(visma.get("/v1/supplierInvoice/000001"), "GET", "/v1/supplierInvoice/000001", 200)
    check(
        visma.get("/v1/supplierInvoice/Invoice/000001"),
        "GET",
        "/v1/supplierInvoice/Invoice/000001",
        200,
    )
    check(visma.get("/v1/supplierInvoice", supplier="50003"), "GET", "/v1/supplierInvoice", 200)
    check(
        visma.upload("/v1/supplierInvoice/documentType/Invoice/000001/attachment", "i.pdf", b"1"),
        "POST",
        "/v1/supplierInvoice/documentType/Invoice/000001/attachment",
        201,
    )
    got = check(visma.get("/v1/supplierInvoice/000001"), "GET", "/v1/supplierInvoice/000001", 200)
    assert [a["name"] for a in got["attachments"]] == ["i.pdf"]
