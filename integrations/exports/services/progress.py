"""Recording outcomes on items and keeping the run's progress counters in step."""

from __future__ import annotations

from django.db.models import Count, Q

from integrations.connections.fixes import FixTarget
from integrations.exports.models import ExportItem, ExportRun
from integrations.pleo.enums import FailureReason

# Pleo shows failureReason to finance staff; long Visma.net error bodies are cut to this.
REASON_MAX = 1000


def item_fail(
    item: ExportItem, reason_type: FailureReason, message: str, fix: FixTarget | None = None
) -> None:
    """The item failed; the others carry on. Its step stays where it got to, so a document that
    exists is remembered and never created again. The reason and the fix are stored as data,
    the message for people."""
    item.status = ExportItem.Status.FAILED
    item.failure_reason_type = reason_type
    item.failure_reason = message[:REASON_MAX]
    item.fix_page = fix.page if fix is not None else ""
    item.fix_field = fix.field if fix is not None else ""
    item.save(
        update_fields=[
            "status", "failure_reason_type", "failure_reason", "fix_page", "fix_field",
            "updated_at",
        ]
    )  # fmt: skip


def run_counts_update(run: ExportRun) -> None:
    """items_done counts items with an outcome (booked or failed); items_failed the failed."""
    counts = run.items.aggregate(
        total=Count("id"),
        done=Count(
            "id",
            filter=Q(
                status__in=(
                    ExportItem.Status.POSTED,
                    ExportItem.Status.SUCCESSFUL,
                    ExportItem.Status.FAILED,
                )
            ),
        ),
        failed=Count("id", filter=Q(status=ExportItem.Status.FAILED)),
    )
    total = max(counts["total"], run.items_total)
    ExportRun.objects.filter(id=run.pk).update(
        items_total=total, items_done=counts["done"], items_failed=counts["failed"]
    )
    run.items_total, run.items_done, run.items_failed = total, counts["done"], counts["failed"]
