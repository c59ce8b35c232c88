"""Release actions that answer `Queued`/`InProcess` and settle later.

The contract's action result (`ReleaseJournalTransactionActionResultDto`,
`ReleaseSupplierInvoiceActionResultDto`: `actionId`, `actionResult` Queued|InProcess|Failed|Done,
`errorInfo`) says a release may still be under way when the call returns; the notes (§5,
"Lifecycle") say to re-GET the document and check its `status`. The company settings
`releaseAnswer`, `releaseSettlesAfterPolls`, `releaseSettlesAfterSeconds` and `releaseOutcome`
make the sandbox answer that way; until the release settles, a GET shows the document as it was
before (Balanced), afterwards released (journal Posted, invoice Open) or, when it failed, still
Balanced.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from integrations.sandbox.visma.api import VismaError
from integrations.sandbox.visma.models import Company, JournalTransaction, SupplierInvoice

Document = JournalTransaction | SupplierInvoice
ANSWERS = ("Done", "Queued", "InProcess")
OUTCOMES = ("Released", "Failed")


def action_result(result: str, error: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"actionId": str(uuid.uuid4()), "actionResult": result}
    if error:
        body["errorInfo"] = error
    return body


def release_request(
    company: Company,
    doc: Document,
    *,
    error: str | None,
    finish: Callable[[], None],
    refusal_raises: bool = False,
) -> dict[str, Any]:
    """Answer a release action. `error` is why it cannot be released; `finish` releases."""
    if doc.release_polls_left is not None:
        # Already queued: asking again changes nothing.
        return action_result("InProcess")
    if error:
        if refusal_raises and company.refusal_status == 500:
            # Supplier invoice actions: "BadRequest or InternalServerError if POST operation
            # failed" (contract); with the switch on, answered as the error, not as a result.
            raise VismaError(error)
        return action_result("Failed", error)
    if company.release_answer == "Done":
        finish()
        return action_result("Done")
    doc.release_polls_left = company.release_settle_polls
    doc.release_due_at = (
        timezone.now() + timedelta(seconds=company.release_settle_seconds)
        if company.release_settle_seconds is not None
        else None
    )
    doc.release_outcome = company.release_outcome
    doc.release_error = ""
    doc.save(update_fields=["release_polls_left", "release_due_at", "release_outcome",
                            "release_error"])  # fmt: skip
    return action_result(company.release_answer)


def release_settle(doc: Document, finish: Callable[[], None], *, poll: bool) -> None:
    """Before a document is shown: settle a pending release once its polls or its time are
    used up. `poll` is a GET of this very document (lists and the control state only let the
    time run)."""
    if doc.release_polls_left is None:
        return
    due_by_time = doc.release_due_at is not None and timezone.now() >= doc.release_due_at
    if not due_by_time and (not poll or doc.release_polls_left > 0):
        if poll:
            doc.release_polls_left -= 1
            doc.save(update_fields=["release_polls_left"])
        return
    failed = doc.release_outcome == "Failed"
    doc.release_polls_left = None
    doc.release_due_at = None
    doc.release_error = "The release failed in the background." if failed else ""
    doc.save(update_fields=["release_polls_left", "release_due_at", "release_error"])
    if not failed:
        finish()
