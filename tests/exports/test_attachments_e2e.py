"""Receipts over real HTTP: expired links are fetched again, a receipt that cannot be moved
fails only its item's receipt part (the document stays booked), and a retry attaches it without
booking the document twice."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from integrations.core import errors
from integrations.core.models import ApiCall
from integrations.core.receipts import Receipt
from integrations.exports.models import AttachmentUpload, ExportItem, ExportRun
from integrations.exports.services import export_items_retry
from integrations.pleo.client import PleoClient
from tests.exports.runtime_support import *  # noqa: F403
from tests.exports.runtime_support import Sandbox, card_payload, receipt, run_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_expired_link_is_fetched_again_through_the_item(
    sandbox: Sandbox, demo: Any, no_autorun: list[int]
) -> None:
    job = sandbox.job_create([card_payload(files=[receipt()])])
    file_url = job["items"][0]["files"][0]["url"]
    file_path = urlsplit(file_url).path.removeprefix("/sandbox/pleo")
    sandbox.fault("pleo", path=file_path, method="GET", fault="status:403", times=1)

    from integrations.exports.services.runs import export_run_process

    export_run_process(run_id=run_for(job).pk)

    item = ExportItem.objects.get(run=run_for(job))
    assert item.status == ExportItem.Status.SUCCESSFUL
    downloads = ApiCall.objects.filter(path=f"/sandbox/pleo{file_path}").order_by("id")
    assert [c.status_code for c in downloads] == [403, 200]
    assert all(c.export_item_id == item.pk for c in downloads)
    upload = AttachmentUpload.objects.get(item=item)
    assert upload.status == "uploaded" and upload.visma_attachment_id
    assert len(sandbox.visma_state()["attachments"]) == 1


def test_a_receipt_that_cannot_be_downloaded_fails_the_item_and_a_retry_attaches_it_once(
    sandbox: Sandbox, demo: Any
) -> None:
    # Every link handed out now is already expired, also the fresh one.
    sandbox.post("pleo", "_control/file-link-expiry", {"seconds": 0})
    job = sandbox.job_create([card_payload(files=[receipt()]), card_payload("250.00", "50.00")])

    run = run_for(job)
    assert run.status == ExportRun.Status.COMPLETED_WITH_ERRORS
    broken = ExportItem.objects.get(run=run, uploads__isnull=False)
    assert broken.status == ExportItem.Status.FAILED
    assert broken.failure_reason_type == "receipt_download_failure"
    assert broken.visma_number and broken.visma_number in broken.failure_reason
    pleo_item = sandbox.job_items(job["id"])[broken.accounting_entry_id]
    assert pleo_item["status"] == "failed"
    assert pleo_item["failureReasonType"] == "receipt_download_failure"
    assert pleo_item["externalId"] == broken.visma_number
    journals = sandbox.visma_state()["journalTransactions"]
    assert len(journals) == 2 and sandbox.visma_state()["attachments"] == []

    sandbox.post("pleo", "_control/file-link-expiry", {"seconds": 3600})
    result = export_items_retry(item_ids=[broken.pk], by="fiona")

    assert len(result.runs) == 1
    retry_run = ExportRun.objects.get(id=result.runs[0].pk)
    assert retry_run.pleo_job_id != job["id"] and retry_run.retry_requested_by == "fiona"
    assert retry_run.status == ExportRun.Status.COMPLETED
    broken.refresh_from_db()
    assert broken.run_id == retry_run.pk and broken.status == ExportItem.Status.SUCCESSFUL
    state = sandbox.visma_state()
    assert len(state["journalTransactions"]) == 2
    assert [a["name"] for a in state["attachments"]] == [f"{broken.reference}-1.pdf"]
    # One read: the item's receipt links carry their expiry time, so two reads a second apart
    # differ in the links.
    reported = sandbox.job_items(retry_run.pleo_job_id)[broken.accounting_entry_id]
    assert (reported["status"], reported["externalId"]) == ("successful", broken.visma_number)


def test_a_receipt_over_the_size_limit_fails_only_that_part(
    sandbox: Sandbox, demo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def too_large(self: PleoClient, url: str) -> Receipt:
        raise errors.ValidationFailed(
            "The receipt is larger than 30 MB", code="receipt_file_size_limit_exceeded"
        )

    monkeypatch.setattr(PleoClient, "file_download", too_large)

    job = sandbox.job_create([card_payload(files=[receipt()])])

    item = ExportItem.objects.get(run=run_for(job))
    assert item.failure_reason_type == "receipt_file_size_limit_exceeded"
    assert item.visma_number and item.step == "created"
    assert AttachmentUpload.objects.get(item=item).status == "failed"
    assert len(sandbox.visma_state()["journalTransactions"]) == 1


def test_retrying_an_item_whose_export_still_runs_is_refused(
    sandbox: Sandbox, demo: Any, no_autorun: list[int]
) -> None:
    job = sandbox.job_create([card_payload()])
    item = ExportItem.objects.create(
        run=run_for(job),
        connection=demo,
        accounting_entry_id="00000000-0000-4000-8000-000000000001",
        status=ExportItem.Status.FAILED,
    )

    from integrations.exports.services import ExportRetryError

    with pytest.raises(ExportRetryError, match="still running"):
        export_items_retry(item_ids=[item.pk], by="fiona")
