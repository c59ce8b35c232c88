"""The VAT report: journals created as VAT transactions and released supplier invoices fill
`vatTransactions`; VAT transactions Visma.net would refuse are refused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.visma.conftest import Visma, assert_visma_error, invoice_body, w

pytestmark = pytest.mark.django_db


def line(number: int, account: str, *, debit: float = 0, credit: float = 0, **extra: Any) -> dict:
    body: dict[str, Any] = {
        "operation": "Insert",
        "lineNumber": w(number),
        "accountNumber": w(account),
        "referenceNumber": w(extra.pop("ref", "PLEO-1")),
        "debitAmountInCurrency": w(debit),
        "creditAmountInCurrency": w(credit),
    }
    body.update({key: w(value) for key, value in extra.items()})
    return body


def vat_journal(lines: list[dict], *, flag: bool | None = True, **header: Any) -> dict:
    body: dict[str, Any] = {
        "transactionDate": w("2026-03-14T00:00:00"),
        "financialPeriod": w("202603"),
        "currencyId": w("NOK"),
        "branch": w("1"),
        "journalTransactionLines": lines,
    }
    if flag is not None:
        body["createVatTransaction"] = w(flag)
    body.update({key: w(value) for key, value in header.items()})
    return body


def purchase(vat_amount: float = 100, vat_id: str | None = "IN25") -> list[dict]:
    """A 500 NOK card purchase at 25 %: expense (taxable), input VAT, wallet."""
    vat_line = {"vatId": vat_id} if vat_id else {}
    return [
        line(1, "6540", debit=400, vatCodeId="1", vatId="IN25"),
        line(2, "2710", debit=vat_amount, **vat_line),
        line(3, "1925", credit=400 + vat_amount),
    ]


def report(visma: Visma) -> list[dict[str, Any]]:
    return visma.control("get", "state").json()["vatTransactions"]


def test_journal_with_vat_fields_but_without_the_flag_adds_nothing(visma: Visma) -> None:
    answer = visma.post("/v2/journaltransaction", vat_journal(purchase(), flag=None))
    assert answer.status_code == 201, answer.content
    assert report(visma) == []
    got = visma.get("/v2/journaltransaction/000001").json()
    assert got["createVatTransaction"] is False


def test_vat_transaction_reaches_the_report(visma: Visma) -> None:
    answer = visma.post("/v2/journaltransaction", vat_journal(purchase()))
    assert answer.status_code == 201, answer.content
    assert visma.get("/v2/journaltransaction/000001").json()["createVatTransaction"] is True
    [entry] = report(visma)
    assert entry == {
        "module": "GL",
        "documentType": "JournalTransaction",
        "documentNumber": "000001",
        "lineNumber": 2,
        "referenceNumber": "PLEO-1",
        "vatId": "IN25",
        "vatCategoryId": "1",
        "reverseVat": False,
        "side": "input",
        "currencyId": "NOK",
        "taxableAmountInCurrency": 400.0,
        "vatAmountInCurrency": 100.0,
        "taxableAmount": 400.0,
        "vatAmount": 100.0,
        "date": "2026-03-14",
        "financialPeriod": "202603",
        "released": False,
    }
    visma.post("/v2/journaltransaction/000001/action/release")
    assert report(visma)[0]["released"] is True


def test_reverse_charge_shows_both_sides(visma: Visma) -> None:
    lines = [
        line(1, "6900", debit=1000, vatCodeId="86", vatId="RC25"),
        line(2, "2710", debit=250, vatId="RC25"),
        line(3, "2700", credit=250, vatId="RC25"),
        line(4, "1925", credit=1000),
    ]
    assert visma.post("/v2/journaltransaction", vat_journal(lines)).status_code == 201
    entries = {e["side"]: e for e in report(visma)}
    assert set(entries) == {"input", "output"}
    for entry in entries.values():
        assert entry["vatId"] == "RC25" and entry["reverseVat"] is True
        assert entry["taxableAmountInCurrency"] == 1000.0
        assert entry["vatAmountInCurrency"] == 250.0


def test_one_journal_per_export_pairs_vat_lines_with_their_expense(visma: Visma) -> None:
    lines = [
        line(1, "6540", debit=400, vatCodeId="1", vatId="IN25", ref="PLEO-A"),
        line(2, "2710", debit=100, vatId="IN25", ref="PLEO-A"),
        line(3, "7350", debit=200, vatCodeId="11", vatId="IN15", ref="PLEO-B"),
        line(4, "2710", debit=30, vatId="IN15", ref="PLEO-B"),
        # A refund in the same batch: taxable and VAT credited.
        line(5, "6540", credit=80, vatCodeId="1", vatId="IN25", ref="PLEO-C"),
        line(6, "2710", credit=20, vatId="IN25", ref="PLEO-C"),
        line(7, "1925", credit=630, ref="PLEO-A"),
    ]
    assert visma.post("/v2/journaltransaction", vat_journal(lines)).status_code == 201
    got = {
        (e["referenceNumber"], e["vatId"]): (e["taxableAmount"], e["vatAmount"])
        for e in report(visma)
    }
    assert got == {
        ("PLEO-A", "IN25"): (400.0, 100.0),
        ("PLEO-B", "IN15"): (200.0, 30.0),
        ("PLEO-C", "IN25"): (-80.0, -20.0),
    }


@pytest.mark.parametrize(
    ("lines", "header", "message"),
    [
        (purchase(vat_id=None), {}, "Line 2: VAT ID is required on a VAT line"),
        (purchase(vat_id="XX9"), {}, "VAT 'XX9' was not found"),
        (purchase(vat_amount=90), {}, "VAT amount 90.00 for VAT 'IN25' differs from 100.00"),
        (
            [
                line(1, "6900", debit=1000, vatCodeId="86", vatId="RC25"),
                line(2, "2710", debit=250, vatId="RC25"),
                line(3, "1925", credit=1250),
            ],
            {},
            "output VAT amount 0.00 for VAT 'RC25' differs from 250.00",
        ),
        # A taxable line whose VAT has no VAT line at all.
        (
            [line(1, "6540", debit=400, vatCodeId="1", vatId="IN25"), line(2, "1925", credit=400)],
            {},
            "VAT amount 0.00 for VAT 'IN25' differs from 100.00",
        ),
    ],
    ids=["vat line without vatId", "unknown vatId", "amount off", "reverse one side", "no vat"],
)
def test_refused_vat_transactions(
    visma: Visma, lines: list[dict], header: dict[str, Any], message: str
) -> None:
    answer = visma.post("/v2/journaltransaction", vat_journal(lines, **header))
    assert_visma_error(answer, 400, message)
    state = visma.control("get", "state").json()
    assert state["journalTransactions"] == [] and state["vatTransactions"] == []


def test_rounding_is_accepted_and_skip_validation_lets_any_amount_through(visma: Visma) -> None:
    # 25 % of 33.33 is 8.3325: 8.33 is the rounded amount.
    lines = [
        line(1, "6540", debit=33.33, vatCodeId="1", vatId="IN25"),
        line(2, "2710", debit=8.33, vatId="IN25"),
        line(3, "1925", credit=41.66),
    ]
    assert visma.post("/v2/journaltransaction", vat_journal(lines)).status_code == 201
    skipped = vat_journal(purchase(vat_amount=90), skipVatAmountValidation=True)
    assert visma.post("/v2/journaltransaction", skipped).status_code == 201
    assert visma.get("/v2/journaltransaction/000002").json()["skipVatAmountValidation"] is True
    assert [e["vatAmount"] for e in report(visma)] == [8.33, 90.0]


def test_flag_refused_when_vat_entry_from_general_ledger_is_off(visma: Visma) -> None:
    switched = visma.control(
        "post", "seed", {"companySettings": {"vatEntryFromGeneralLedger": False}}
    )
    assert switched.status_code == 200, switched.content
    state = visma.control("get", "state").json()
    assert state["companySettings"]["vatEntryFromGeneralLedger"] is False
    assert_visma_error(
        visma.post("/v2/journaltransaction", vat_journal(purchase())),
        400,
        "'VAT entry from general ledger' is not enabled in Enable/disable functionalities "
        "(CS100000)",
    )
    # Journals without the flag are still accepted.
    assert visma.post("/v2/journaltransaction", vat_journal(purchase(), flag=None)).status_code == (
        201
    )


def test_a_put_that_breaks_the_vat_amount_is_refused(visma: Visma) -> None:
    visma.post("/v2/journaltransaction", vat_journal(purchase()))
    changed = visma.put(
        "/v2/journaltransaction/000001",
        {"journalTransactionLines": [
            {"operation": "Update", "lineNumber": w(2), "debitAmountInCurrency": w(50)},
            {"operation": "Update", "lineNumber": w(3), "creditAmountInCurrency": w(450)}]},
    )  # fmt: skip
    assert_visma_error(changed, 400, "differs from 100.00")
    assert report(visma)[0]["vatAmount"] == 100.0


def test_released_supplier_invoices_fill_the_report(visma: Visma) -> None:
    # Gross 125.00 at 25 %: 100.00 taxable, 25.00 VAT.
    assert visma.post("/v1/supplierInvoice", invoice_body()).status_code == 201
    assert report(visma) == []
    released = visma.post("/v1/supplierInvoice/Invoice/000001/action/release")
    assert released.json()["actionResult"] == "Done"
    [entry] = report(visma)
    assert entry["module"] == "AP" and entry["documentType"] == "Invoice"
    assert entry["documentNumber"] == "000001" and entry["vatId"] == "IN25"
    assert entry["vatCategoryId"] == "1" and entry["side"] == "input"
    assert (entry["taxableAmount"], entry["vatAmount"]) == (100.0, 25.0)


def test_released_reverse_charge_credit_note(visma: Visma) -> None:
    body = invoice_body(
        documentType=w("CreditAdj"),
        supplierNumber=w("50002"),
        currencyId=w("EUR"),
        exchangeRate=w(11.5),
        invoiceLines=[
            {**invoice_body()["invoiceLines"][0], "unitCostInCurrency": w(40), "vatCodeId": w("86")}
        ],
    )
    assert visma.post("/v1/supplierInvoice", body).status_code == 201
    visma.post("/v1/supplierInvoice/CreditAdj/000001/action/release")
    entries = {e["side"]: e for e in report(visma)}
    assert set(entries) == {"input", "output"}
    for entry in entries.values():
        assert entry["documentType"] == "CreditAdj" and entry["currencyId"] == "EUR"
        assert entry["taxableAmountInCurrency"] == -40.0 and entry["vatAmountInCurrency"] == -10.0


def test_vat_endpoint_names_gl_accounts_and_categories_name_their_vats(visma: Visma) -> None:
    vats = {v["vatId"]: v for v in visma.get("/v1/vat").json()}
    assert set(vats) == {"IN25", "IN15", "IN12", "NOVAT", "RC25"}
    assert vats["RC25"]["reverseVat"] is True
    assert vats["RC25"]["glAccounts"]["vatPayableAccount"]["number"] == "2700"
    assert vats["RC25"]["glAccounts"]["vatClaimableAccount"]["number"] == "2710"
    assert vats["IN25"]["glAccounts"] == {
        "vatClaimableAccount": {
            "type": "Liability", "active": True, "number": "2710", "description": "Input VAT"}
    }  # fmt: skip
    assert visma.get("/v1/vat/IN15").json()["categories"][0]["vatCategoryId"] == "11"
    assert_visma_error(visma.get("/v1/vat/NOPE"), 404, "VAT 'NOPE' not found")
    lines = {
        c["vatCategoryId"]: [line["vatId"] for line in c["vatCategoryLines"]]
        for c in visma.get("/v1/vatCategory").json()
    }
    assert lines == {"0": ["NOVAT"], "1": ["IN25"], "11": ["IN15"], "13": ["IN12"], "86": ["RC25"]}
