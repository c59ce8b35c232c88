"""Against the sandboxes: after a create whose answer was lost, the document is looked up among
what Visma.net changed since the create was sent (not the whole period), and a look-up that
Visma.net keeps leaving unanswered parks the run instead of deferring it for ever, without
holding back the next job."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from integrations.core.pacing import pacing_forget
from integrations.exports.models import ExportItem, ExportRun
from integrations.exports.services import poster
from integrations.exports.services.context import clients_for
from integrations.exports.services.runs import export_run_process
from integrations.sandbox.visma.models import JournalTransaction as SandboxJournal
from integrations.sandbox.visma.models import SupplierInvoice as SandboxInvoice
from integrations.visma.base import since_param
from tests.exports.runtime_support import *  # noqa: F403
from tests.exports.runtime_support import Sandbox, card_payload, run_for, settings_change

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

JOURNALS = "/v2/journaltransaction"
INVOICES = "/v1/supplierInvoice"


def _calls(sandbox: Sandbox, method: str, path: str) -> list[dict[str, Any]]:
    return [
        r
        for r in sandbox.requests("visma")
        if r["method"] == method and r["path"].rstrip("/") == path
    ]


def _age_documents(hours: int) -> None:
    """Documents booked before this test's send, as in a period that already holds many."""
    earlier = timezone.now() - timedelta(hours=hours)
    SandboxJournal.objects.update(last_modified=earlier)
    SandboxInvoice.objects.update(last_modified=earlier)


@pytest.mark.parametrize(
    "margin_seconds",
    [900, 30 * 24 * 3600],
    ids=["narrow", "wide-as-if-the-filter-were-ignored"],
)
def test_a_lost_journal_create_is_found_among_what_changed_since_its_send(
    sandbox: Sandbox, demo: Any, settings: Any, margin_seconds: int
) -> None:
    settings.EXPORT_LOOKUP_MARGIN_SECONDS = margin_seconds
    earlier = sandbox.job_create([card_payload()])
    assert run_for(earlier).status == ExportRun.Status.COMPLETED
    _age_documents(hours=3)
    sandbox.fault("visma", path=JOURNALS, method="POST", fault="lose_response", times=1)

    job = sandbox.job_create([card_payload("250.00", "50.00")])

    assert run_for(job).status == ExportRun.Status.COMPLETED
    journals = sandbox.visma_state()["journalTransactions"]
    assert len(journals) == 2
    assert len(_calls(sandbox, "POST", JOURNALS)) == 2
    item = ExportItem.objects.get(run=run_for(job))
    old = ExportItem.objects.get(run=run_for(earlier))
    assert item.visma_number not in ("", old.visma_number)
    assert item.sent_at is not None and item.lookup_failures == 0
    since = item.sent_at - timedelta(seconds=margin_seconds)
    lookups = _calls(sandbox, "GET", JOURNALS)
    assert [c["query"].get("lastModifiedDateTime") for c in lookups] == [since_param(since)]
    assert lookups[0]["query"]["periodId"] == item.financial_period
    # The sandbox lists only what changed since then, as Visma.net's filter promises.
    _, visma = clients_for(connection=demo)
    listed = {
        tx.batch_number
        for tx in visma.journal_transactions_find(
            financial_period=item.financial_period, modified_since=since
        )
    }
    if margin_seconds == 900:
        assert listed == {item.visma_number}
    else:
        assert listed == {item.visma_number, old.visma_number}


def test_a_lost_invoice_create_is_found_among_what_changed_since_its_send(
    sandbox: Sandbox, demo: Any
) -> None:
    settings_change(demo, card_expenses_as_invoices=True, auto_release_invoices=True)
    earlier = sandbox.job_create([card_payload()])
    assert run_for(earlier).status == ExportRun.Status.COMPLETED
    _age_documents(hours=3)
    sandbox.fault("visma", path=INVOICES, method="POST", fault="lose_response", times=1)

    job = sandbox.job_create([card_payload("250.00", "50.00")])

    assert run_for(job).status == ExportRun.Status.COMPLETED
    assert len(sandbox.visma_state()["supplierInvoices"]) == 2
    assert len(_calls(sandbox, "POST", INVOICES)) == 2
    item = ExportItem.objects.get(run=run_for(job))
    assert item.sent_at is not None
    since = item.sent_at - timedelta(seconds=900)
    lookups = _calls(sandbox, "GET", INVOICES)
    assert [c["query"].get("lastModifiedDateTime") for c in lookups] == [since_param(since)]
    assert lookups[0]["query"]["lastModifiedDateTimeCondition"] == ">="
    _, visma = clients_for(connection=demo)
    listed = visma.supplier_invoices_find(
        supplier_number=item.supplier_number,
        document_type=item.visma_document_type,
        modified_since=since,
    )
    assert [i.reference_number for i in listed] == [item.visma_number]


def test_a_look_up_left_unanswered_parks_the_run_and_the_next_export_adopts_the_document(
    sandbox: Sandbox, demo: Any, no_autorun: list[int], waits: list[float]
) -> None:
    expense = card_payload()
    sandbox.fault("visma", path=JOURNALS, method="POST", fault="lose_response", times=1)
    sandbox.fault("visma", path=JOURNALS, method="GET", fault="status:503", times=None)
    job = sandbox.job_create([expense])
    run = run_for(job)

    for failures in range(1, poster.MAX_LOOKUP_FAILURES):
        export_run_process(run_id=run.pk)
        run.refresh_from_db()
        item = ExportItem.objects.get(run=run)
        assert run.status == ExportRun.Status.POSTING and run.claimed_by == ""
        assert run.not_before is not None and run.not_before > timezone.now()
        assert item.step == "unknown" and item.lookup_failures == failures
        ExportRun.objects.filter(id=run.pk).update(not_before=timezone.now())
        # Five minutes pass: the same failed request may be sent again (core.pacing).
        pacing_forget()

    export_run_process(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == ExportRun.Status.PARKED and run.finished_at is not None
    assert run.failure_reason_type == "accounting_system_unreachable"
    assert "did not answer the look-up" in run.failure_reason
    assert f"{poster.MAX_LOOKUP_FAILURES} times in a row" in run.failure_reason
    # Pleo is told, so the next job can start; the create went through but was never sent twice.
    assert sandbox.job(job["id"])["status"] == "failed"
    assert len(sandbox.visma_state()["journalTransactions"]) == 1
    assert len(_calls(sandbox, "POST", JOURNALS)) == 1

    response = sandbox.http.delete(sandbox._url("visma", "_control/faults"), timeout=60)
    assert response.status_code == 204
    later = sandbox.job_create([expense, card_payload("75.00", "15.00")])
    export_run_process(run_id=run_for(later).pk)

    assert run_for(later).status == ExportRun.Status.COMPLETED
    journals = sandbox.visma_state()["journalTransactions"]
    assert len(journals) == 2
    assert len(_calls(sandbox, "POST", JOURNALS)) == 2
    adopted = ExportItem.objects.get(accounting_entry_id=expense["accountingEntryId"])
    assert adopted.lookup_failures == 0
    assert adopted.visma_number in {j["batchNumber"] for j in journals}
    statuses = {i["status"] for i in sandbox.job_items(later["id"]).values()}
    assert statuses == {"successful"}
