"""A Visma.net refusal of a created document as the item's failure (reason and fix)."""

from __future__ import annotations

from integrations.connections.fixes import FixPage, FixTarget
from integrations.exports.planner.types import PlanFailure
from integrations.pleo.enums import FailureReason
from integrations.visma.refusals import RefusalKind, refusal_kind

VAT_ENTRY_FROM_GL_FIX = (
    "Visma.net does not accept journals with VAT as VAT transactions: switch on 'VAT entry "
    "from general ledger' in Enable/disable functionalities (CS100000) in Visma.net, then "
    "export the expense again"
)


def refusal_failure(message: str) -> PlanFailure:
    """`invalid_configuration` naming CS100000 when 'VAT entry from general ledger' is off
    (DESIGN §5); otherwise Visma.net's own words as `accounting_system_validation_failure`."""
    if refusal_kind(message) is RefusalKind.VAT_ENTRY_FROM_GL_DISABLED:
        # The setup overview's permission check lists CS100000.
        return PlanFailure(
            FailureReason.INVALID_CONFIGURATION,
            f"{VAT_ENTRY_FROM_GL_FIX}. Visma.net said: {message}",
            FixTarget(FixPage.OVERVIEW),
        )
    return PlanFailure(
        FailureReason.ACCOUNTING_SYSTEM_VALIDATION_FAILURE,
        f"Visma.net refused the document: {message}",
    )
