"""Posting: plan → preflight → `sending` → create → `created` → receipts → release (DESIGN §4).

Each step is saved (and committed: no transaction is open here) before the remote call it
guards. A create whose outcome is unknown (timeout, lost answer, crash while `sending`) is
resolved by looking the document up in Visma.net by its reference before anything is sent again:
Visma.net has no idempotency key, so this lookup is what keeps exports free of duplicates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from integrations.core import errors
from integrations.core.bulk import row_update
from integrations.core.context import call_links
from integrations.core.parallel import units_work
from integrations.exports.models import ExportDocument, ExportItem, Step
from integrations.exports.planner import JournalPlan, PlanFailure, merge_journal_plans, plan_item
from integrations.exports.preflight import preflight_check
from integrations.exports.refusals import refusal_failure
from integrations.exports.services.adopt import (
    VALIDATION,
    CreateRefused,
    Finder,
    invoice_finder,
    journal_finder,
)
from integrations.exports.services.attachments import item_attachments_transfer
from integrations.exports.services.codec import invoice_from_json, journal_from_json, plan_json
from integrations.exports.services.context import (
    MAX_SEND_ATTEMPTS,
    UNKNOWN_RECHECK_SECONDS,
    RunContext,
    RunDeferred,
    RunParked,
)
from integrations.exports.services.progress import item_fail, run_counts_update
from integrations.exports.services.release import invoice_release
from integrations.exports.services.remote import remote_error_raise
from integrations.exports.services.reporting import export_run_report_due
from integrations.pleo.enums import FailureReason, JobFailureReason
from integrations.pleo.types import ExportItem as PleoItem

logger = logging.getLogger(__name__)

# Items posted side by side are read this many at a time.
ITEM_PAGE = 500
# Items handed out ahead of the threads, per item worked at once: enough to keep every thread
# busy while the calling thread reads the next page (a few hundred milliseconds at most).
ITEMS_AHEAD = 4
# Look-ups in a row that Visma.net leaves unanswered before the run is parked.
MAX_LOOKUP_FAILURES = 5
OPEN = (ExportItem.Status.PENDING, ExportItem.Status.PLANNED)

Unit = ExportItem | ExportDocument


def export_run_post(ctx: RunContext) -> None:
    """Post every open item of the run; a failed item never blocks the others. Documents,
    receipts and releases of separate items go out side by side, at most `ctx.concurrency`
    calls at once (the run's call slots), from `ctx.units_at_once` items worked at once."""
    run = ctx.run
    # Read once here, not by the threads: the mappings and the mirror for planning.
    ctx.config, ctx.snapshot  # noqa: B018
    if ctx.export_settings.one_journal_per_export:
        # Shared journals are built from the plans of all items: plan them all first, the
        # plans recorded PLAN_CHUNK at a time in one statement (an item planned but not yet
        # recorded when the worker stops is planned again: nothing was sent for it). Otherwise
        # each item is planned by the thread that posts it, and its plan recorded together with
        # the step `sending` (one write, not two).
        planned_items: list[ExportItem] = []
        for item in _pages(run.items.filter(status=ExportItem.Status.PENDING, step=Step.FETCHED)):
            with call_links(export_item_id=item.pk):
                planned = export_item_plan(ctx, item, record=False)
            if planned:
                planned_items.append(item)
                if len(planned_items) >= PLAN_CHUNK:
                    _plans_record(planned_items)
                    planned_items = []
            ctx.tick()
            export_run_report_due(ctx, finished=0 if planned else 1)
        _plans_record(planned_items)
        _documents_build(ctx)
        units_work(
            list(run.documents.exclude(step=Step.CREATED).order_by("id")),
            lambda document: _document_post(ctx, document),
            concurrency=ctx.units_at_once,
            finished=lambda document: ctx.tick(),
            idle=ctx.tick,
        )
        _documents_propagate(ctx)

    def finished(item: ExportItem) -> None:
        ctx.tick()
        export_run_report_due(ctx, finished=0 if item.status in OPEN else 1)

    # The open items a page at a time, so the worker holds at most ITEM_PAGE of them (with
    # their payloads) and the few handed out ahead, whatever the size of the export: its memory
    # stays flat. The next page is read while the threads work the last items of the one
    # before (`units_work` takes the items lazily), never with every thread waiting for it.
    units_work(
        _pages(run.items.filter(status__in=OPEN).prefetch_related("uploads")),
        lambda item: export_item_post(ctx, item),
        concurrency=ctx.units_at_once,
        finished=finished,
        idle=ctx.tick,
        ahead=ITEMS_AHEAD * ctx.units_at_once,
    )
    run_counts_update(run)


def export_item_post(ctx: RunContext, item: ExportItem) -> None:
    """One item from where it stands to booked (or failed): create, receipts, release."""
    with call_links(export_item_id=item.pk):
        planned: list[str] = []
        if item.step == Step.FETCHED and item.status == ExportItem.Status.PENDING:
            if not export_item_plan(ctx, item, record=False):
                return
            planned = PLAN_FIELDS
        if item.document_id is None and item.step in (Step.PLANNED, Step.SENDING, Step.UNKNOWN):
            _item_post(ctx, item, planned=planned)
        if item.status in OPEN and item.step in (Step.CREATED, Step.ATTACHED, Step.RELEASING):
            export_item_complete(ctx, item)


def _pages(items: QuerySet[ExportItem]) -> Iterator[ExportItem]:
    """The items by id, read ITEM_PAGE at a time (each page a query of its own, so writes to
    the items meanwhile never disturb an open cursor)."""
    last_id = 0
    while True:
        page = list(items.filter(id__gt=last_id).order_by("id")[:ITEM_PAGE])
        if not page:
            return
        last_id = page[-1].pk
        yield from page


# -- plan and preflight ----------------------------------------------------------------------

# Plans of a shared journal's items recorded this many at a time (one UPDATE each time).
PLAN_CHUNK = 500


def _plans_record(items: list[ExportItem]) -> None:
    now = timezone.now()
    for item in items:
        item.updated_at = now
    ExportItem.objects.bulk_update(items, [*PLAN_FIELDS, "updated_at"], batch_size=PLAN_CHUNK)


# What planning sets on an item (recorded at once, or with the step `sending`).
PLAN_FIELDS = [
    "plan", "reference", "financial_period", "visma_document_type", "supplier_number", "step",
    "status",
]  # fmt: skip


def export_item_plan(ctx: RunContext, item: ExportItem, *, record: bool = True) -> bool:
    """Plan one item with the connection's current mappings; False when it failed (recorded).
    With `record` off, a plan that passed is only set on `item`: the caller records it."""
    try:
        parsed = PleoItem.from_api(item.payload)
    except ValueError as exc:
        item_fail(
            item,
            FailureReason.VALIDATION_FAILURE,
            f"Pleo sent an expense that cannot be read: {exc}",
        )
        return False
    plan = plan_item(parsed, ctx.config)
    if isinstance(plan, PlanFailure):
        item_fail(item, plan.reason_type, plan.message, plan.fix)
        return False
    checked = preflight_check(
        plan, ctx.snapshot, closed_period_policy=ctx.export_settings.closed_period_policy
    )
    item.plan = plan_json(plan if isinstance(checked, PlanFailure) else checked)
    if isinstance(checked, PlanFailure):
        item.save(update_fields=["plan", "updated_at"])
        item_fail(item, checked.reason_type, checked.message, checked.fix)
        return False
    item.reference = checked.reference
    if isinstance(checked, JournalPlan):
        item.financial_period = checked.transaction.financial_period
        item.visma_document_type = ExportItem.DocumentType.JOURNAL
        item.supplier_number = ""
    else:
        item.financial_period = checked.invoice.financial_period
        item.visma_document_type = checked.invoice.document_type
        item.supplier_number = checked.invoice.supplier_number
    item.step = Step.PLANNED
    item.status = ExportItem.Status.PLANNED
    if record:
        item.save(update_fields=[*PLAN_FIELDS, "updated_at"])
    return True


# -- creating documents ----------------------------------------------------------------------


def _save(unit: Unit, **changes: Any) -> None:
    changes["updated_at"] = timezone.now()
    row_update(type(unit), unit.pk, changes)
    for name, value in changes.items():
        setattr(unit, name, value)


def document_url(document_type: str, number: str) -> str:
    """The document's address in the Visma.net API (what its `Location` header names)."""
    base = settings.VISMA_API_URL.rstrip("/")
    if document_type == ExportItem.DocumentType.JOURNAL:
        return f"{base}/v2/journaltransaction/{number}"
    return f"{base}/v1/supplierInvoice/{document_type}/{number}"


def refused_by_visma(message: str) -> CreateRefused:
    """Visma.net's refusal as the item's failure: its own words, or the setting that fixes it
    when the refusal is one we recognise (DESIGN §5: 'VAT entry from general ledger')."""
    failure = refusal_failure(message)
    return CreateRefused(failure.reason_type, failure.message, failure.fix)


def lookup_since(unit: Unit) -> datetime | None:
    """Where a look-up for `unit`'s document starts: the first send less the margin (a document
    created by that send was changed in Visma.net at or after it), or None when the send time
    was not recorded."""
    if unit.sent_at is None:
        return None
    return unit.sent_at - timedelta(seconds=settings.EXPORT_LOOKUP_MARGIN_SECONDS)


def _look_up(unit: Unit, find: Finder) -> str | None:
    """The document already created for `unit`, if any. A look-up Visma.net does not answer
    (timeout, 5xx, dropped connection) is counted: after `MAX_LOOKUP_FAILURES` in a row the run
    is parked with the reason instead of being deferred again and again."""
    try:
        number = find(lookup_since(unit))
    except errors.TransientError as exc:
        if isinstance(exc, errors.RateLimited):
            raise  # waited out like any rate limit: not a failing look-up
        failures = unit.lookup_failures + 1
        _save(unit, lookup_failures=failures, last_error=str(exc)[:5000])
        if failures >= MAX_LOOKUP_FAILURES:
            raise RunParked(
                JobFailureReason.ACCOUNTING_SYSTEM_UNREACHABLE,
                f"Visma.net did not answer the look-up for document {unit.reference} "
                f"{failures} times in a row (the last: {exc}), so it is unknown whether its "
                "create went through. The expenses go back to Pleo's export queue; the next "
                "export looks the document up again before anything is sent.",
            ) from exc
        raise
    if unit.lookup_failures:
        _save(unit, lookup_failures=0)
    return number


def create_once(
    ctx: RunContext,
    unit: Unit,
    *,
    send: Callable[[], str],
    find: Finder,
    planned: list[str] | tuple[str, ...] = (),
) -> str:
    """Create the document of `unit` at most once; returns its Visma.net number.

    Raises `CreateRefused` when Visma.net refused it (the item fails), `RunDeferred` when the
    run must continue later, and auth errors for the caller to fail the job.
    """
    if unit.step in (Step.SENDING, Step.UNKNOWN):
        # Reference: GET /v2/journaltransaction?periodId=… or GET /v1/supplierInvoice?supplier=…
        number = _look_up(unit, find)
        if number:
            logger.info("Adopted %s %s found by its reference %s", unit, number, unit.reference)
            return number
    # Refused sends reset the step to `planned`, so only unresolved ones count towards the cap.
    if unit.step in (Step.SENDING, Step.UNKNOWN) and unit.attempts >= MAX_SEND_ATTEMPTS:
        raise CreateRefused(
            FailureReason.ACCOUNTING_SYSTEM_TIMEOUT,
            f"Visma.net did not confirm the document {unit.reference} after {unit.attempts} "
            f"attempts and it cannot be found there. Check Visma.net for a document with "
            f"reference {unit.reference} before exporting the expense again.",
        )
    # The claim check and the step `sending` (with a plan made just now) in one statement.
    sending: dict[str, Any] = {name: getattr(unit, name) for name in planned}
    sending.update(step=Step.SENDING, attempts=unit.attempts + 1)
    if unit.sent_at is None:
        # Saved before the send: the document, if created, was changed in Visma.net after it.
        sending["sent_at"] = timezone.now()
    ctx.guard(unit, **sending)
    try:
        return send()
    except errors.RefusedWithServerError as exc:
        # Visma.net refused with a 500 and its message. A 500 may still have left a document
        # behind, so look once; then the item fails with Visma's words, never resent in a loop.
        _save(unit, step=Step.UNKNOWN, last_error=str(exc)[:5000])
        number = _look_up(unit, find)
        if number:
            return number
        _save(unit, step=Step.PLANNED)
        raise refused_by_visma(exc.message) from exc
    except errors.ApiError as exc:
        if exc.outcome_unknown:
            _save(unit, step=Step.UNKNOWN, last_error=str(exc)[:5000])
            number = _look_up(unit, find)
            if number:
                return number
            raise RunDeferred(
                UNKNOWN_RECHECK_SECONDS, f"Outcome of {unit.reference} unknown"
            ) from exc
        # The request was not carried out: nothing to look up next time.
        _save(unit, step=Step.PLANNED, last_error=str(exc)[:5000])
        remote_error_raise(exc)
        raise refused_by_visma(exc.message) from exc


def _item_post(ctx: RunContext, item: ExportItem, *, planned: list[str]) -> None:
    plan = item.plan
    send: Callable[[], str]
    if plan.get("kind") == "invoice":
        invoice = invoice_from_json(plan["invoice"])
        # Reference: POST /v1/supplierInvoice (SupplierInvoice_Post)
        send = lambda: ctx.visma.supplier_invoice_create(invoice)  # noqa: E731
        find = invoice_finder(ctx, reference=item.reference, invoice=invoice)
    else:
        journal = journal_from_json(plan["transaction"])
        # Reference: POST /v2/journaltransaction (JournalTransactionV2_Post)
        send = lambda: ctx.visma.journal_transaction_create(journal)  # noqa: E731
        find = journal_finder(ctx, reference=item.reference, journal=journal, by_line=True)
    try:
        number = create_once(ctx, item, send=send, find=find, planned=planned)
    except CreateRefused as refused:
        item_fail(item, refused.reason_type, refused.message, refused.fix)
        return
    _save(
        item,
        step=Step.CREATED,
        visma_number=number,
        visma_url=document_url(item.visma_document_type, number),
        last_error="",
    )


# -- one journal per export ------------------------------------------------------------------


def _documents_build(ctx: RunContext) -> None:
    """Group the planned journal items that have no document yet into shared journals."""
    items = list(
        ctx.run.items.filter(
            status=ExportItem.Status.PLANNED,
            step=Step.PLANNED,
            document__isnull=True,
            visma_document_type=ExportItem.DocumentType.JOURNAL,
        ).order_by("id")
    )
    if not items:
        return
    by_entry = {item.accounting_entry_id: item for item in items}
    plans = [
        JournalPlan(
            reference=item.reference,
            transaction=journal_from_json(item.plan["transaction"]),
            files=(),
            item_id=item.accounting_entry_id,
        )
        for item in items
    ]
    max_lines = max(1, ctx.export_settings.journal_batch_max_lines)
    for merged in merge_journal_plans(plans, max_lines=max_lines):
        with transaction.atomic():
            document, _ = ExportDocument.objects.get_or_create(
                connection_id=ctx.run.connection_id,
                reference=merged.reference,
                defaults={
                    "run": ctx.run,
                    "financial_period": merged.transaction.financial_period,
                    "line_owners": list(merged.line_owners),
                    "plan": plan_json(merged),
                },
            )
            if document.run_id != ctx.run.pk:
                # A new run looks an unknown create up again, with its own count of failures.
                document.run = ctx.run
                document.lookup_failures = 0
                document.save(update_fields=["run", "lookup_failures", "updated_at"])
            if document.step == Step.PLANNED:
                # The same expenses again after a refusal: send what today's mappings give.
                document.plan = plan_json(merged)
                document.line_owners = list(merged.line_owners)
                document.financial_period = merged.transaction.financial_period
                document.save(
                    update_fields=["plan", "line_owners", "financial_period", "updated_at"]
                )
            linked = []
            for entry_id in dict.fromkeys(merged.line_owners):
                item = by_entry[entry_id]
                item.document = document
                item.line_number = merged.line_owners.index(entry_id) + 1
                linked.append(item)
            # The items' links to their journal in one statement (PLAN_CHUNK at a time).
            ExportItem.objects.bulk_update(
                linked, ["document", "line_number"], batch_size=PLAN_CHUNK
            )


def _document_post(ctx: RunContext, document: ExportDocument) -> None:
    journal = journal_from_json(document.plan["transaction"])
    with call_links(export_item_id=None):
        try:
            number = create_once(
                ctx,
                document,
                # Reference: POST /v2/journaltransaction (JournalTransactionV2_Post)
                send=lambda: ctx.visma.journal_transaction_create(journal),
                find=journal_finder(
                    ctx, reference=document.reference, journal=journal, by_line=False
                ),
            )
        except CreateRefused as refused:
            _save(document, last_error=refused.message)
            for item in document.items.filter(status__in=OPEN):
                item_fail(item, refused.reason_type, refused.message, refused.fix)
            return
    _save(
        document,
        step=Step.CREATED,
        visma_number=number,
        visma_url=document_url(ExportItem.DocumentType.JOURNAL, number),
        last_error="",
    )


def _documents_propagate(ctx: RunContext) -> None:
    """Items of a created shared journal are created too (also after a crash in between)."""
    for document in ctx.run.documents.filter(step=Step.CREATED):
        document.items.filter(
            status__in=OPEN, step__in=(Step.PLANNED, Step.SENDING, Step.UNKNOWN)
        ).update(
            step=Step.CREATED,
            visma_number=document.visma_number,
            visma_url=document.visma_url,
            visma_document_type=ExportItem.DocumentType.JOURNAL,
        )


# -- after the document exists ---------------------------------------------------------------


def export_item_complete(ctx: RunContext, item: ExportItem) -> None:
    """Receipts, then release, then the item is booked and waits to be reported."""
    claim_checked = False
    if item.step == Step.CREATED:
        transfer = item_attachments_transfer(ctx, item)
        if transfer.failure is not None:
            item_fail(item, transfer.failure.reason_type, transfer.failure.message)
            return
        if not _release_wanted(ctx, item):
            # Nothing more to do in Visma.net: one write for the step and the outcome.
            _save(item, step=Step.ATTACHED, status=ExportItem.Status.POSTED)
            return
        # Receipts done, release next. When the last receipt's upload has just recorded its
        # end with the claim check, the release goes out on that check (see `invoice_release`);
        # otherwise the release records its step `releasing` with the check.
        item.step = Step.ATTACHED
        claim_checked = transfer.claim_checked
    if item.step == Step.RELEASING or (item.step == Step.ATTACHED and _release_wanted(ctx, item)):
        problem = invoice_release(ctx, item, claim_checked=claim_checked)
        if problem:
            item_fail(
                item,
                VALIDATION,
                f"Booked in Visma.net as {_label(item)}, but it could not be released: {problem}. "
                "Release it in Visma.net, or fix the cause and export the expense again.",
            )
            return
        # The step and the outcome in one write.
        _save(
            item,
            step=Step.RELEASED,
            released_at=timezone.now(),
            status=ExportItem.Status.POSTED,
        )
        return
    _save(item, status=ExportItem.Status.POSTED)


def _label(item: ExportItem) -> str:
    if item.visma_document_type == ExportItem.DocumentType.JOURNAL:
        return f"journal transaction {item.visma_number}"
    return f"supplier {item.visma_document_type.lower()} {item.visma_number}"


def _release_wanted(ctx: RunContext, item: ExportItem) -> bool:
    # Only supplier invoices have a release setting; journals stay balanced for review.
    return (
        item.visma_document_type != ExportItem.DocumentType.JOURNAL
        and ctx.export_settings.auto_release_invoices
    )
