"""Cash accounts (CA202000): listed in the published shape and enforced on supplier invoices."""

from __future__ import annotations

import pytest

from tests.sandbox.visma.conftest import Visma, assert_visma_error, invoice_body, w

pytestmark = pytest.mark.django_db


def test_demo_has_a_cash_account_for_each_pleo_wallet(visma: Visma) -> None:
    listed = {c["number"]: c for c in visma.get("/v1/cashaccount").json()}
    assert {n: c["currency"] for n, c in listed.items()} == {
        "1920": "NOK", "1925": "NOK", "1926": "EUR"}  # fmt: skip
    assert listed["1925"]["description"] == "Pleo Wallet NOK"
    assert visma.get("/v1/cashaccount/1926").json()["currency"] == "EUR"
    assert_visma_error(visma.get("/v1/cashaccount/2400"), 404, "Cash account '2400' not found")


def test_invoice_cash_account_must_exist(visma: Visma) -> None:
    refused = visma.post("/v1/supplierInvoice", invoice_body(cashAccount=w("2400")))
    assert_visma_error(refused, 400, "Cash account '2400' was not found.")
    assert visma.control("get", "state").json()["supplierInvoices"] == []
    accepted = visma.post(
        "/v1/supplierInvoice", invoice_body(cashAccount=w("1925"), paymentMethod=w("PLEO"))
    )
    assert accepted.status_code == 201, accepted.content
    got = visma.get("/v1/supplierInvoice/000001").json()
    assert got["cashAccount"] == "1925" and got["paymentMethod"]["id"] == "PLEO"


def test_cash_accounts_can_be_seeded(visma: Visma) -> None:
    seeded = visma.control(
        "post", "seed", {"cashAccounts": [{"number": "1927", "description": "Pleo Wallet SEK",
                                           "currency": "SEK"}]},
    )  # fmt: skip
    assert seeded.json()["records"] == {"cashAccounts": 1}
    assert visma.get("/v1/cashaccount/1927").json()["currency"] == "SEK"
    answer = visma.post("/v1/supplierInvoice", invoice_body(cashAccount=w("1927")))
    assert answer.status_code == 201
    numbers = [c["number"] for c in visma.control("get", "state").json()["cashAccounts"]]
    assert numbers == ["1920", "1925", "1926", "1927"]
