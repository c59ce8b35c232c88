"""End to end over real HTTP: a job created through the Pleo sandbox's control API is delivered
to our webhook endpoint, processed by the task queue (synchronous in tests), booked in the
Visma.net sandbox with its receipts, and every item's status ends in the Pleo sandbox."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from integrations.core.models import ApiCall
from integrations.exports.models import AttachmentUpload, ExportItem, ExportRun
from tests.exports.planner_factories import line, tax
from tests.exports.runtime_support import *  # noqa: F403
from tests.exports.runtime_support import (
    PDF,
    Sandbox,
    card_payload,
    payload,
    receipt,
    run_for,
    settings_change,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _lines_of(state: dict[str, Any], batch: str) -> list[dict[str, Any]]:
    journal = next(j for j in state["journalTransactions"] if j["batchNumber"] == batch)
    return journal["journalTransactionLines"]


def test_a_job_of_every_kind_ends_booked_with_receipts_and_reported(
    sandbox: Sandbox, demo: Any
) -> None:
    card = card_payload(files=[receipt("ink.pdf")], note="Printer ink")
    split = payload(
        "card_purchase",
        [
            line("500.00", "office", tax_=tax("1", "0.25", amount="100.00")),
            line("230.00", "meals", tax_=tax("11", "0.15", amount="30.00")),
        ],
        files=[receipt("split-1.pdf"), receipt("split-2.pdf", PDF + b"2")],
    )
    foreign = payload(
        "card_purchase",
        [
            line(
                "1150.00",
                "travel",
                tax_=tax("13", "0.12", amount="123.21"),
                supplier="100.00",
                supplier_currency="EUR",
            )
        ],
        supplier_total="100.00",
        supplier_currency="EUR",
    )
    refund = card_payload("125.00", "25.00", type="refund", note="Returned ink")
    out_of_pocket = card_payload("250.00", "50.00", type="out_of_pocket", note="Paper")
    mileage = payload("mileage", [line("403.00", "mileage")], note="Oslo to Drammen")
    invoice = payload("invoice", [line("990.00", "office")])
    inactive = payload("card_purchase", [line("300.00", "old")])
    items = [card, split, foreign, refund, out_of_pocket, mileage, invoice, inactive]

    job = sandbox.job_create(items)

    run = run_for(job)
    assert run.status == ExportRun.Status.COMPLETED_WITH_ERRORS
    assert (run.items_total, run.items_done, run.items_failed) == (8, 8, 2)
    assert run.started_event_sent_at and run.finished_event_sent_at

    rows = {i.accounting_entry_id: i for i in ExportItem.objects.filter(run=run)}
    booked = [card, split, foreign, refund, out_of_pocket, mileage]
    for raw in booked:
        row = rows[raw["accountingEntryId"]]
        assert row.status == ExportItem.Status.SUCCESSFUL, (row.item_type, row.failure_reason)
        assert row.visma_number and row.step == "reported"
    assert rows[invoice["accountingEntryId"]].failure_reason_type == "validation_failure"
    assert "Invoices are not exported" in rows[invoice["accountingEntryId"]].failure_reason
    old = rows[inactive["accountingEntryId"]]
    assert old.status == ExportItem.Status.FAILED and "6999" in old.failure_reason
    assert not old.visma_number

    # Visma.net holds exactly one journal per booked expense, balanced, with its receipts.
    state = sandbox.visma_state()
    assert len(state["journalTransactions"]) == len(booked)
    numbers = {rows[raw["accountingEntryId"]].visma_number for raw in booked}
    assert numbers == {j["batchNumber"] for j in state["journalTransactions"]}
    for batch in numbers:
        lines = _lines_of(state, batch)
        debit = sum(Decimal(str(ln.get("debitAmountInCurrency") or 0)) for ln in lines)
        credit = sum(Decimal(str(ln.get("creditAmountInCurrency") or 0)) for ln in lines)
        assert debit == credit > 0
    card_lines = _lines_of(state, rows[card["accountingEntryId"]].visma_number)
    assert {ln["accountNumber"] for ln in card_lines} >= {"6800", "2710", "1925"}
    oop_lines = _lines_of(state, rows[out_of_pocket["accountingEntryId"]].visma_number)
    assert any(
        ln["accountNumber"] == "2915" and Decimal(str(ln.get("creditAmountInCurrency") or 0)) == 250
        for ln in oop_lines
    )
    attachments = state["attachments"]
    assert sorted(a["name"] for a in attachments) == sorted(
        [f"{rows[card['accountingEntryId']].reference}-1.pdf"]
        + [f"{rows[split['accountingEntryId']].reference}-{n}.pdf" for n in (1, 2)]
    )
    assert AttachmentUpload.objects.filter(status="uploaded").count() == 3

    # Pleo holds every item's outcome and the job's end.
    pleo_job = sandbox.job(job["id"])
    assert pleo_job["status"] == "completed_with_errors"
    pleo_items = sandbox.job_items(job["id"])
    for raw in booked:
        entry = pleo_items[raw["accountingEntryId"]]
        assert entry["status"] == "successful"
        assert entry["externalId"] == rows[raw["accountingEntryId"]].visma_number
    failed = pleo_items[inactive["accountingEntryId"]]
    assert failed["status"] == "failed" and failed["failureReasonType"] == old.failure_reason_type

    # Every remote call of the run is linked to it, item calls to their item.
    creates = ApiCall.objects.filter(method="POST", path__endswith="/v2/journaltransaction")
    assert creates.count() == len(booked)
    assert set(creates.values_list("export_run_id", flat=True)) == {run.pk}
    assert set(creates.values_list("export_item_id", flat=True)) == {
        rows[raw["accountingEntryId"]].pk for raw in booked
    }


def test_one_journal_per_export_puts_receipts_on_each_items_line(
    sandbox: Sandbox, demo: Any
) -> None:
    settings_change(demo, one_journal_per_export=True)
    first = card_payload("500.00", "100.00", files=[receipt("a.pdf")])
    second = payload(
        "card_purchase",
        [
            line("400.00", "office", tax_=tax("1", "0.25", amount="80.00")),
            line("115.00", "meals", tax_=tax("11", "0.15", amount="15.00")),
        ],
        files=[receipt("b.pdf")],
    )

    job = sandbox.job_create([first, second])

    run = run_for(job)
    assert run.status == ExportRun.Status.COMPLETED
    state = sandbox.visma_state()
    assert len(state["journalTransactions"]) == 1
    batch = state["journalTransactions"][0]["batchNumber"]
    rows = list(ExportItem.objects.filter(run=run).order_by("id"))
    assert {r.visma_number for r in rows} == {batch}
    assert rows[0].document_id == rows[1].document_id is not None
    lines = {ln["lineNumber"]: ln for ln in _lines_of(state, batch)}
    # Each receipt sits on the first line of its own expense.
    for row in rows:
        assert lines[row.line_number]["referenceNumber"] == row.reference
    uploaded = AttachmentUpload.objects.filter(item__run=run).order_by("item_id")
    assert [u.line_number for u in uploaded] == [r.line_number for r in rows]
    assert all(u.status == "uploaded" for u in uploaded)
    assert {i["status"] for i in sandbox.job_items(job["id"]).values()} == {"successful"}


def test_invoice_mode_books_card_purchases_and_refunds_as_released_supplier_documents(
    sandbox: Sandbox, demo: Any
) -> None:
    settings_change(
        demo,
        card_expenses_as_invoices=True,
        auto_release_invoices=True,
        invoice_payment_method="PLEO",
    )
    purchase = card_payload(files=[receipt("bill.pdf")])
    refund = card_payload("125.00", "25.00", type="refund")

    job = sandbox.job_create([purchase, refund])

    run = run_for(job)
    assert run.status == ExportRun.Status.COMPLETED, list(
        ExportItem.objects.values_list("failure_reason", flat=True)
    )
    rows = {i.accounting_entry_id: i for i in ExportItem.objects.filter(run=run)}
    assert rows[purchase["accountingEntryId"]].visma_document_type == "Invoice"
    assert rows[refund["accountingEntryId"]].visma_document_type == "CreditAdj"
    invoices = sandbox.visma_state()["supplierInvoices"]
    assert len(invoices) == 2
    assert {inv["supplier"]["number"] for inv in invoices} == {"50001"}
    assert all(inv["status"] not in ("Hold", "Balanced") for inv in invoices)
    assert all(r.step == "reported" and r.released_at is not None for r in rows.values())
    assert len(sandbox.visma_state()["attachments"]) == 1
