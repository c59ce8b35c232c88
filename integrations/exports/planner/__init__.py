"""The export planner: pure functions from a Pleo export item and the connection's mappings and
settings to a Visma.net document (DESIGN §4 step 4, accounting rules in §5). No I/O."""

from __future__ import annotations

from integrations.exports.planner.merge import MergedJournal, merge_journal_plans
from integrations.exports.planner.plan import financial_period, plan_item
from integrations.exports.planner.text import item_reference, merged_reference
from integrations.exports.planner.types import (
    AccountUse,
    CategoryTarget,
    ExportConfig,
    InvoicePlan,
    JournalPlan,
    PlanFailure,
    PlanSources,
    SegmentUse,
    VatInfo,
    VendorRef,
)

__all__ = [
    "AccountUse",
    "CategoryTarget",
    "ExportConfig",
    "InvoicePlan",
    "JournalPlan",
    "MergedJournal",
    "PlanFailure",
    "PlanSources",
    "SegmentUse",
    "VatInfo",
    "VendorRef",
    "financial_period",
    "item_reference",
    "merge_journal_plans",
    "merged_reference",
    "plan_item",
]
