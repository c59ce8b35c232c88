"""Releasing a booked supplier invoice, and following a release that Visma.net queued.

Visma.net answers a release with an action result: `Done`, `Failed`, or `Queued`/`InProcess`
when it carries the release out later (notes: "A JT release can return Queued/InProcess; re-GET
and check status"; spec `ReleaseJournalTransactionActionResultDto`). A queued release is followed
by reading the invoice's status a few times with growing waits, until it shows released or the
waits are spent; the item then says which. For an invoice without a receipt to upload, the step
`releasing` is recorded before the release is asked for, so a worker that stops meanwhile reads
the status before asking again; after an upload, the release goes out on the upload's claim check
and a worker that stops meanwhile asks again, which Visma.net refuses for a released invoice (see
`invoice_release`).
"""

from __future__ import annotations

from integrations.core import errors
from integrations.exports.models import ExportItem, Step
from integrations.exports.services.context import (
    RunContext,
)
from integrations.exports.services.remote import Action, remote_action, remote_error_raise

# Supplier invoice statuses once released (Visma.net AP301000: a released invoice is Open until
# paid, then Closed); Balanced and Hold are not released yet.
RELEASED_STATUSES = frozenset({"Open", "Closed"})
# Statuses from which a queued release will not come: the release failed.
DEAD_STATUSES = frozenset({"Voided", "Rejected", "Canceled", "Cancelled"})
# Seconds between the reads of a queued release's document (about half a minute in all).
RELEASE_POLL_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0)
SETTLING = ("Queued", "InProcess")


def invoice_release(ctx: RunContext, item: ExportItem, *, claim_checked: bool = False) -> str:
    """Release the item's invoice; "" once it is released, else what went wrong.

    `claim_checked`: the write just before (the end of the item's last receipt upload) checked
    the run's claim and nothing was sent since, so the release goes out on that check and the
    step `releasing` is not written: one write less per invoice. That is as safe, because a
    release is not a create: asked for twice it never books anything twice. A worker that
    stops after this release went out finds the item at `created` with its receipts uploaded
    and asks again; Visma.net refuses a release of a released invoice (or answers `Failed`),
    and both answers are followed by reading the invoice's status, which shows it released.
    An item with no receipt to upload records `releasing` with the check, as before."""
    if item.step == Step.RELEASING:
        # Asked for before a stop: the release may have been carried out meanwhile.
        status = _status(ctx, item)
        if status in RELEASED_STATUSES:
            return ""
        claim_checked = False
    if not claim_checked:
        # The claim check and the step `releasing` in one statement.
        ctx.guard(item, step=Step.RELEASING)
    try:
        # Reference: POST /v1/supplierInvoice/{documentType}/{invoiceNumber}/action/release
        result = ctx.visma.supplier_invoice_release(item.visma_document_type, item.visma_number)
    except errors.ApiError as exc:
        if isinstance(exc, errors.Unauthorized | errors.Forbidden | errors.RateLimited):
            remote_error_raise(exc)
        if exc.outcome_unknown or isinstance(exc, errors.TransientError):
            # The release may be under way: follow the document as for a queued one.
            return _follow(ctx, item, answered=f"no answer ({exc.message})")
        # Refused, but maybe because it was released already (a resend after a lost answer).
        return "" if _status(ctx, item, quiet=True) in RELEASED_STATUSES else exc.message
    if result.result == "Done":
        return ""
    if result.result == "Failed":
        if _status(ctx, item, quiet=True) in RELEASED_STATUSES:
            return ""  # "already released": an earlier request of ours got through
        return result.error or "Visma.net reported the release as failed"
    return _follow(ctx, item, answered=result.result)


def _follow(ctx: RunContext, item: ExportItem, *, answered: str) -> str:
    status = ""
    for delay in RELEASE_POLL_DELAYS:
        ctx.visma.sleep(delay)
        status = _status(ctx, item)
        if status in RELEASED_STATUSES:
            return ""
        if status in DEAD_STATUSES:
            return (
                f"Visma.net answered the release with {answered}, then the invoice became {status}"
            )
        ctx.beat()
    waited = sum(RELEASE_POLL_DELAYS)
    return (
        f"Visma.net answered the release with {answered} and the invoice was still "
        f"{status or 'not released'} after {waited:.0f} seconds"
    )


def _status(ctx: RunContext, item: ExportItem, *, quiet: bool = False) -> str:
    try:
        # Reference: GET /v1/supplierInvoice/{documentType}/{invoiceNumber}
        invoice = ctx.visma.supplier_invoice_get(item.visma_document_type, item.visma_number)
    except errors.ApiError as exc:
        if quiet and remote_action(exc).action is not Action.REAUTHORISE:
            return ""
        remote_error_raise(exc)
        raise
    return invoice.status
