"""Against the sandboxes: a release that Visma.net queues is followed until it settles, a refusal
answered 500 fails the item after one look-up, and a document found by reference is adopted only
when its figures are the planned ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from integrations.core import errors
from integrations.exports.models import ExportItem, ExportRun
from integrations.visma.client import VismaClient
from integrations.visma.types import ActionResult
from tests.exports.runtime_support import *  # noqa: F403
from tests.exports.runtime_support import (
    Sandbox,
    card_payload,
    run_for,
    settings_change,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

JOURNALS = "/v2/journaltransaction"
INVOICES = "/v1/supplierInvoice"


def _calls(sandbox: Sandbox, method: str, path: str) -> list[dict[str, Any]]:
    return [
        r
        for r in sandbox.requests("visma")
        if r["method"] == method and r["path"].rstrip("/") == path
    ]


def _invoice_mode(demo: Any) -> None:
    settings_change(
        demo,
        card_expenses_as_invoices=True,
        auto_release_invoices=True,
        invoice_payment_method="PLEO",
    )


# -- a release answered Queued or InProcess ---------------------------------------------------


def _release_answered(monkeypatch: pytest.MonkeyPatch, answer: str, *, carried_out: bool) -> None:
    """Visma.net answers the release with `answer`; the release is done (or not) behind it."""
    original = VismaClient.supplier_invoice_release

    def release(self: VismaClient, document_type: str, number: str) -> ActionResult:
        if carried_out:
            original(self, document_type, number)
        return ActionResult(action_id="a-1", result=answer, error=None)

    monkeypatch.setattr(VismaClient, "supplier_invoice_release", release)


@pytest.mark.parametrize("answer", ["Queued", "InProcess"])
def test_a_queued_release_is_followed_until_the_invoice_is_released(
    sandbox: Sandbox, demo: Any, waits: list[float], monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    _invoice_mode(demo)
    _release_answered(monkeypatch, answer, carried_out=True)

    job = sandbox.job_create([card_payload()])

    item = ExportItem.objects.get(run=run_for(job))
    assert item.status == ExportItem.Status.SUCCESSFUL and item.step == "reported"
    assert item.released_at is not None
    (invoice,) = sandbox.visma_state()["supplierInvoices"]
    assert invoice["status"] == "Open"
    # The invoice was read after the queued answer (once: it had settled by then).
    reads = _calls(sandbox, "GET", f"{INVOICES}/Invoice/{item.visma_number}")
    assert len(reads) == 1
    assert waits[:1] == [1.0]
    assert sandbox.job_items(job["id"])[item.accounting_entry_id]["status"] == "successful"


def test_a_queued_release_that_never_settles_fails_the_item_with_the_invoice_kept(
    sandbox: Sandbox, demo: Any, waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    _invoice_mode(demo)
    _release_answered(monkeypatch, "Queued", carried_out=False)

    job = sandbox.job_create([card_payload()])

    run = run_for(job)
    assert run.status == ExportRun.Status.COMPLETED_WITH_ERRORS
    item = ExportItem.objects.get(run=run)
    assert item.status == ExportItem.Status.FAILED and item.step == "releasing"
    assert item.failure_reason_type == "accounting_system_validation_failure"
    assert "Queued" in item.failure_reason and "Balanced" in item.failure_reason
    assert item.visma_number in item.failure_reason
    (invoice,) = sandbox.visma_state()["supplierInvoices"]
    assert invoice["status"] == "Balanced"
    # Bounded: five reads with growing waits, then the item says what happened.
    assert len(_calls(sandbox, "GET", f"{INVOICES}/Invoice/{item.visma_number}")) == 5
    assert waits == [1.0, 2.0, 4.0, 8.0, 15.0]
    pleo_item = sandbox.job_items(job["id"])[item.accounting_entry_id]
    assert pleo_item["status"] == "failed"
    assert pleo_item["externalId"] == item.visma_number


# -- refusals answered 500 ---------------------------------------------------------------------


def test_a_refusal_answered_500_fails_the_item_with_visma_message_after_one_lookup(
    sandbox: Sandbox, demo: Any
) -> None:
    # The sandbox answers an injected 500 with Visma.net's error body (ExceptionMessage, …).
    sandbox.fault("visma", path=JOURNALS, method="POST", fault="status:500", times=2)
    first, second = card_payload(), card_payload("250.00", "50.00")

    job = sandbox.job_create([first, second])

    run = run_for(job)
    assert run.status == ExportRun.Status.COMPLETED_WITH_ERRORS
    rows = list(ExportItem.objects.filter(run=run))
    assert {r.status for r in rows} == {ExportItem.Status.FAILED}
    for row in rows:
        assert row.failure_reason_type == "accounting_system_validation_failure"
        assert "Injected fault: status 500" in row.failure_reason
        assert row.attempts == 1 and row.step == "planned"
    # No document and no resend: one create and one look-up per item, nothing else.
    assert sandbox.visma_state()["journalTransactions"] == []
    assert [r["status"] for r in _calls(sandbox, "POST", JOURNALS)] == [500, 500]
    assert len(_calls(sandbox, "GET", JOURNALS)) == 2
    statuses = {i["status"] for i in sandbox.job_items(job["id"]).values()}
    assert statuses == {"failed"}


def test_a_refusal_answered_500_whose_document_exists_is_adopted(
    sandbox: Sandbox, demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = VismaClient.journal_transaction_create

    def create(self: VismaClient, jt: Any) -> str:
        original(self, jt)  # Visma.net booked it, then answered 500 with an error body.
        raise errors.RefusedWithServerError("Object reference not set", service="visma", status=500)

    monkeypatch.setattr(VismaClient, "journal_transaction_create", create)

    job = sandbox.job_create([card_payload()])

    item = ExportItem.objects.get(run=run_for(job))
    (journal,) = sandbox.visma_state()["journalTransactions"]
    assert item.status == ExportItem.Status.SUCCESSFUL
    assert item.visma_number == journal["batchNumber"]


# -- adopting after an unknown outcome ---------------------------------------------------------


def _lost_answer_after(monkeypatch: pytest.MonkeyPatch, change: dict[str, Any]) -> None:
    """The create is answered with nothing; what Visma.net holds under our reference differs
    from what was sent by `change` (another booking, or edited there)."""
    original = VismaClient.journal_transaction_create

    def create(self: VismaClient, jt: Any) -> str:
        lines = jt.lines
        if "factor" in change:
            lines = tuple(
                replace(
                    line, debit=line.debit * change["factor"], credit=line.credit * change["factor"]
                )
                for line in jt.lines
            )
        other = replace(jt, lines=lines, transaction_date=change.get("date", jt.transaction_date))
        original(self, other)
        raise errors.TransientError("read timed out", service="visma", outcome_unknown=True)

    monkeypatch.setattr(VismaClient, "journal_transaction_create", create)


@pytest.mark.parametrize("change", ["amount", "date"])
def test_a_reference_match_with_other_figures_is_a_conflict_not_an_adoption(
    sandbox: Sandbox, demo: Any, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    expense = card_payload()
    if change == "amount":
        _lost_answer_after(monkeypatch, {"factor": Decimal(2)})
    else:
        day = date.fromisoformat(expense["date"][:10]) - timedelta(days=1)
        _lost_answer_after(monkeypatch, {"date": day})

    job = sandbox.job_create([expense])

    run = run_for(job)
    item = ExportItem.objects.get(run=run)
    (journal,) = sandbox.visma_state()["journalTransactions"]
    assert item.status == ExportItem.Status.FAILED
    assert item.failure_reason_type == "accounting_system_validation_failure"
    assert journal["batchNumber"] in item.failure_reason and item.reference in item.failure_reason
    assert not item.visma_number
    # Loud, and never sent again: one create in all, the conflicting document left alone.
    assert len(_calls(sandbox, "POST", JOURNALS)) == 1
    assert sandbox.job_items(job["id"])[item.accounting_entry_id]["status"] == "failed"
