"""Over HTTP against both sandboxes: what a person chose in Pleo stands or fails the item, and a
purchase invoice needs a cash account (DESIGN §5). Each test asserts the item's state and reason
and what Visma.net holds afterwards."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.connections.models import AccountMapping, Connection
from integrations.exports.models import ExportItem
from integrations.masterdata.sync import masterdata_sync
from tests.exports.planner_factories import line, tax
from tests.exports.runtime_support import *  # noqa: F403
from tests.exports.runtime_support import Sandbox, card_payload, payload, run_for, settings_change

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _only_item(job: dict[str, Any]) -> ExportItem:
    [item] = ExportItem.objects.filter(run=run_for(job))
    return item


def _documents(sandbox: Sandbox) -> tuple[list[Any], list[Any]]:
    state = sandbox.visma_state()
    return state["journalTransactions"], state["supplierInvoices"]


def test_an_unknown_tax_code_fails_the_item_instead_of_the_default_vat_category(
    sandbox: Sandbox, demo: Connection
) -> None:
    # Office supplies default to VAT category 1; the person chose tax code 99, unknown there.
    job = sandbox.job_create(
        [
            payload(
                "card_purchase", [line("250.00", "office", tax_=tax("99", "0.10", amount="22.73"))]
            )
        ]
    )

    item = _only_item(job)
    assert item.status == ExportItem.Status.FAILED
    assert item.failure_reason_type == "tax_code_unknown"
    assert "Tax code '99' on this expense does not exist in Visma.net" in item.failure_reason
    assert _documents(sandbox) == ([], [])
    [reported] = sandbox.job_items(job["id"]).values()
    assert (reported["status"], reported["failureReasonType"]) == ("failed", "tax_code_unknown")


def test_a_tax_code_chosen_in_pleo_is_booked_as_chosen(sandbox: Sandbox, demo: Connection) -> None:
    # Office supplies default to category 1 (25 %); the person chose 13 (12 %).
    sandbox.job_create(
        [
            payload(
                "card_purchase", [line("224.00", "office", tax_=tax("13", "0.12", amount="24.00"))]
            )
        ]
    )

    [journal] = _documents(sandbox)[0]
    assert [
        (x["accountNumber"], (x.get("vatCode") or {}).get("id"), x["debitAmountInCurrency"])
        for x in journal["journalTransactionLines"]
        if x["debitAmountInCurrency"]
    ] == [("6800", "13", 200.0), ("2710", None, 24.0)]


def test_a_vendor_matching_an_inactive_supplier_fails_instead_of_the_default_vendor(
    sandbox: Sandbox, demo: Connection
) -> None:
    settings_change(demo, card_expenses_as_invoices=True)
    # 50004 Old Supplier AS is inactive in Visma.net; 50001 is the default vendor.
    job = sandbox.job_create([card_payload(vendor={"name": "Old Supplier AS", "code": "50004"})])

    item = _only_item(job)
    assert item.status == ExportItem.Status.FAILED
    assert item.failure_reason_type == "vendor_unknown"
    assert item.failure_reason.startswith(
        "Vendor 'Old Supplier AS' matches supplier 50004 (by vendor code 50004), which is "
        "inactive in Visma.net: reactivate the supplier in Visma.net or change the vendor"
    )
    assert _documents(sandbox) == ([], [])


def test_an_expense_matching_no_vendor_still_goes_to_the_default_vendor(
    sandbox: Sandbox, demo: Connection
) -> None:
    settings_change(demo, card_expenses_as_invoices=True)
    job = sandbox.job_create([card_payload(vendor={"name": "A shop nobody knows"})])

    assert _only_item(job).status == ExportItem.Status.SUCCESSFUL
    [invoice] = _documents(sandbox)[1]
    assert invoice["supplier"]["number"] == "50001"
    assert invoice["cashAccount"] == "1925"


def test_a_wallet_account_that_is_no_cash_account_fails_the_invoice_in_preflight(
    sandbox: Sandbox, demo: Connection
) -> None:
    # The company books its Pleo Wallet on a GL account that has no cash account in Visma.net.
    sandbox.post(
        "visma",
        "_control/seed",
        {"accounts": [{"number": "1927", "description": "Pleo Wallet", "type": "Asset"}]},
    )  # fmt: skip
    result = masterdata_sync(connection_id=demo.pk, kinds=["accounts"], full=True)
    assert result.status == "succeeded", result.failures
    AccountMapping.objects.filter(connection=demo).update(wallet_accounts={"NOK": "1927"})
    settings_change(demo, card_expenses_as_invoices=True)

    job = sandbox.job_create([card_payload(vendor={"name": "A shop nobody knows"})])

    item = _only_item(job)
    assert item.status == ExportItem.Status.FAILED
    assert item.failure_reason_type == "invalid_configuration"
    assert item.failure_reason.startswith(
        "Cash account 1927 does not exist in Visma.net: create cash account 1927 for the Pleo "
        "Wallet in Visma.net (Cash accounts, CA202000)"
    )
    assert _documents(sandbox) == ([], [])
