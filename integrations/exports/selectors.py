"""Reads for the Exports pages and the admin: runs with their counts, item rows, failures grouped
by cause with the setup page that fixes them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from integrations.connections.access import connections_for_user
from integrations.connections.fixes import FixLink, fix_link
from integrations.connections.models import Connection
from integrations.core.links import https_url
from integrations.exports.models import ExportItem, ExportItemOutcome, ExportRun
from integrations.exports.planner.spend_types import spend_type_label
from integrations.pleo.enums import FailureReason
from integrations.pleo.types import ExportItem as PleoExportItem

RUNS_PER_PAGE = 50
RUNS_PER_CONNECTION = 5


# -- runs ------------------------------------------------------------------------------------


def _count_with_status(model: type[ExportItem] | type[ExportItemOutcome], status: str) -> Any:
    counted = (
        model.objects.filter(run=OuterRef("pk"), status=status)
        .order_by()
        .values("run")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _run_count(status: str) -> Any:
    # The items the run holds, and those it held until another run exported them again, each
    # in the state it ended in here: a retry never changes what an earlier run reports.
    return _count_with_status(ExportItem, status) + _count_with_status(ExportItemOutcome, status)


def runs_with_counts() -> QuerySet[ExportRun]:
    """Runs annotated with `successful_count` and `failed_count` of the items they held."""
    return ExportRun.objects.select_related("connection").annotate(
        successful_count=_run_count(ExportItem.Status.SUCCESSFUL),
        failed_count=_run_count(ExportItem.Status.FAILED),
    )


@dataclass(frozen=True)
class RunRow:
    run: ExportRun  # annotated with successful_count and failed_count
    percent: int
    active: bool


def run_row(run: ExportRun) -> RunRow:
    return RunRow(run=run, percent=run_percent(run), active=run.status in ExportRun.ACTIVE_STATUSES)


def runs_for_connection(*, connection: Connection, limit: int = RUNS_PER_PAGE) -> list[RunRow]:
    runs = runs_with_counts().filter(connection=connection).order_by("-created_at", "-id")
    return [run_row(run) for run in runs[:limit]]


@dataclass(frozen=True)
class ConnectionRuns:
    connection: Connection
    runs: list[RunRow]


def connections_with_runs(
    *, user: AbstractBaseUser | AnonymousUser, per_connection: int = RUNS_PER_CONNECTION
) -> list[ConnectionRuns]:
    """The user's connections with their latest runs, for the Exports index page."""
    result = []
    for connection in connections_for_user(user):
        runs = runs_for_connection(connection=connection, limit=per_connection)
        result.append(ConnectionRuns(connection=connection, runs=runs))
    return result


def run_with_counts(*, run_id: int) -> ExportRun:
    return runs_with_counts().get(pk=run_id)


def run_percent(run: ExportRun) -> int:
    if run.is_finished:
        return 100
    if not run.items_total:
        return 0
    return min(100, round(100 * run.items_done / run.items_total))


def run_status(*, run: ExportRun) -> dict[str, Any]:
    """What the run page polls while a run is active."""
    counted: Any = runs_with_counts().get(pk=run.pk)  # annotated with the counts
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": run.get_status_display(),
        "finished": run.is_finished,
        "items_done": run.items_done,
        "items_total": run.items_total,
        "percent": run_percent(run),
        "successful": counted.successful_count,
        "failed": counted.failed_count,
    }


# -- items -----------------------------------------------------------------------------------


def expense_type_label(expense_type: str) -> str:
    """Pleo's spend type as a finance user names it (one row of the spend-type table)."""
    return spend_type_label(expense_type)


@dataclass(frozen=True)
class ItemRow:
    item: ExportItem
    expense_type: str
    date: datetime | None
    amount: Decimal | None  # booked: in the wallet's currency
    currency: str
    supplier: str
    user: str
    pleo_url: str | None
    note: str = ""
    receipts: int = 0
    # What the expense cost in the supplier's currency, when that is not the wallet's.
    original_amount: Decimal | None = None
    original_currency: str = ""
    # An item this run held until `moved_to` exported it again; `now` is its state there.
    moved_to: ExportRun | None = None
    now: ExportItem | None = None
    # The run this one took the item over from (it failed there, or was exported again).
    came_from: ExportRun | None = None

    @property
    def moved_by_retry(self) -> bool:
        return bool(self.moved_to and self.moved_to.retry_requested_by)

    @property
    def expense_type_label(self) -> str:
        return expense_type_label(self.expense_type) if self.expense_type else ""

    @property
    def amount_text(self) -> str:
        """ "EUR 59.99 (690.00 NOK)" when the supplier's currency is not the wallet's (what was
        spent, then what was booked), else "690.00 NOK"."""
        if self.amount is None:
            return ""
        if self.original_amount is not None and self.original_currency:
            return (
                f"{self.original_currency} {self.original_amount} ({self.amount} {self.currency})"
            )
        return f"{self.amount} {self.currency}"

    @property
    def document_label(self) -> str:
        """What the Visma.net number is: a journal transaction or a supplier document."""
        kind = self.item.visma_document_type
        if not self.item.visma_number:
            return ""
        if kind == "journal":
            return f"Journal {self.item.visma_number}"
        if kind == "CreditAdj":
            return f"Credit note {self.item.visma_number}"
        if kind == "Invoice":
            return f"Supplier invoice {self.item.visma_number}"
        return self.item.visma_number

    @property
    def document_window(self) -> str:
        """Where a person finds the document in Visma.net: the window, by the name and screen id
        Visma.net's help gives it ("Journal transactions (GL301000)", "Purchase invoices
        (AP301000)", which holds credit notes too; help.visma.net, gl301000-ref and
        ap301000-ref). No link: Visma.net documents no address that opens one document's page,
        and the stored address is the API's, not a page."""
        if not self.item.visma_number:
            return ""
        if self.item.visma_document_type == "journal":
            return "Journal transactions (GL301000)"
        if self.item.visma_document_type in ("Invoice", "CreditAdj"):
            return "Purchase invoices (AP301000)"
        return ""


def item_row(item: ExportItem, **history: Any) -> ItemRow:
    """The item as the pages show it, read from the payload Pleo sent (parsed, not indexed);
    `history` gives `moved_to`, `now` and `came_from` (see `ItemRow`)."""
    try:
        parsed = PleoExportItem.from_api(item.payload) if item.payload else None
    except ValueError:
        parsed = None
    if parsed is None:
        return ItemRow(
            item, item.item_type, None, None, "", "", "", pleo_web_url(item.payload), **history
        )
    supplier = parsed.vendor.name if parsed.vendor and parsed.vendor.name else None
    if not supplier and parsed.supplier:
        supplier = parsed.supplier.name
    wallet, original = parsed.amount.in_wallet, parsed.amount.in_supplier
    differs = original.currency != wallet.currency
    return ItemRow(
        item=item,
        expense_type=parsed.type,
        date=parsed.date,
        amount=wallet.value,
        currency=wallet.currency,
        supplier=supplier or "",
        user=(parsed.user.name or "") if parsed.user else "",
        pleo_url=https_url(parsed.web_url) or None,
        note=parsed.note or "",
        receipts=len(parsed.files),
        original_amount=original.value if differs else None,
        original_currency=original.currency if differs else "",
        **history,
    )


def pleo_web_url(payload: Any) -> str | None:
    """`_links.web` of a stored export item (`LinksResponse`), whatever parsed or not."""
    links = payload.get("_links") if isinstance(payload, dict) else None
    web = links.get("web") if isinstance(links, dict) else None
    if not isinstance(web, dict):
        return None
    url = web.get("exportItem") or next(iter(web.values()), None)
    # Remote data: only an https address is ever offered as a link.
    return https_url(url) or None


def _as_it_was(outcome: ExportItemOutcome) -> ExportItem:
    """The item as it stood when it left the run (not saved: shown only)."""
    item = outcome.item
    return ExportItem(
        pk=item.pk,
        run_id=outcome.run_id,
        connection_id=item.connection_id,
        accounting_entry_id=item.accounting_entry_id,
        item_type=item.item_type,
        payload=outcome.payload,
        status=outcome.status,
        failure_reason_type=outcome.failure_reason_type,
        failure_reason=outcome.failure_reason,
        fix_page=outcome.fix_page,
        fix_field=outcome.fix_field,
        reference=outcome.reference,
        visma_document_type=outcome.visma_document_type,
        visma_number=outcome.visma_number,
    )


def run_item_rows(*, run: ExportRun) -> list[ItemRow]:
    """Every item the run held, in the state it ended in here: those it still holds, and those
    another run exported again (linked to it, with their state there); items it took over from
    an earlier run link back to it. Three queries, whatever the number of items."""
    held = list(run.items.order_by("id"))
    came_from = {
        outcome.item_id: outcome.run
        for outcome in ExportItemOutcome.objects.filter(next_run=run).select_related("run")
    }
    rows = [item_row(item, came_from=came_from.get(item.pk)) for item in held]
    for outcome in run.item_outcomes.select_related("item", "next_run").order_by("id"):
        rows.append(
            item_row(
                _as_it_was(outcome),
                moved_to=outcome.next_run,
                now=outcome.item,
                came_from=came_from.get(outcome.item_id),
            )
        )
    return sorted(rows, key=lambda row: row.item.pk)


# -- failures and their fixes ----------------------------------------------------------------


@dataclass
class FailureGroup:
    """Failed items with the same reason and the same fixing page: one fix repairs them all."""

    reason_type: str
    fix: FixLink | None
    items: list[ExportItem] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # distinct original messages

    @property
    def item_ids(self) -> list[int]:
        return [item.pk for item in self.items]


def failure_groups(
    items: Iterable[ExportItem], *, run: ExportRun | None = None
) -> list[FailureGroup]:
    """Failed items grouped by reason type and the page that fixes them, largest group first.
    Both are stored on the item as data; the messages are only shown."""
    groups: dict[tuple[str, str], FailureGroup] = {}
    for item in items:
        if item.status != ExportItem.Status.FAILED:
            continue
        reason_type = item.failure_reason_type or FailureReason.UNEXPECTED_FAILURE
        key = (reason_type, item.fix_page)
        group = groups.get(key)
        if group is None:
            group = FailureGroup(
                reason_type=reason_type,
                fix=fix_link(
                    connection_id=item.connection_id,
                    fix=item.fix,
                    back=reverse("exports:run", args=[run.pk]) + "#failures" if run else "",
                    run_number=run.number if run else None,
                ),
            )
            groups[key] = group
        group.items.append(item)
        if item.failure_reason and item.failure_reason not in group.messages:
            group.messages.append(item.failure_reason)
    return sorted(groups.values(), key=lambda g: (-len(g.items), g.reason_type, g.item_ids))


def run_failure_groups(*, run: ExportRun) -> list[FailureGroup]:
    return failure_groups(run.items.filter(status=ExportItem.Status.FAILED).order_by("id"), run=run)


def failed_items_of_run(*, run: ExportRun, item_ids: Sequence[int]) -> list[int]:
    """The ids among `item_ids` that are failed items of this run (what may be retried)."""
    return list(
        run.items.filter(pk__in=item_ids, status=ExportItem.Status.FAILED)
        .order_by("id")
        .values_list("pk", flat=True)
    )
