"""Pleo's spend types: one row each, read by the journal and invoice planners and the pages.

The accounting table of DESIGN §5 as data. Adding a type is one row here and one row of the
planner's table tests; a type Pleo sends that has no row is refused with a clear reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from integrations.exports.planner.types import PlanError
from integrations.pleo.enums import FailureReason


class Booking(StrEnum):
    """How a journal books the type (DESIGN §5, journal mode)."""

    SPEND_FROM_WALLET = "spend_from_wallet"  # expense lines + VAT debit, wallet credit
    RETURNED_TO_WALLET = "returned_to_wallet"  # wallet debit, expense lines + VAT credit
    SPEND_BY_EMPLOYEE = "spend_by_employee"  # expense lines + VAT debit, out-of-pocket credit
    REIMBURSEMENT = "reimbursement"  # out-of-pocket against the wallet (or contra account)
    WALLET_TOPUP = "wallet_topup"  # wallet debit, the line's account credit
    WALLET_UNLOAD = "wallet_unload"  # the line's account debit, wallet credit
    NOT_EXPORTED = "not_exported"


# Pleo invoices (bills) and their payments belong to Pleo's own accounts-payable flow, which
# this integration does not cover. The item failureReasonType enum has no "unsupported" value:
# `validation_failure` fits best because the item itself is what cannot be exported, whereas
# `invalid_configuration`/`missing_configuration` would send finance staff looking for a setting
# that does not exist.
INVOICES_NOT_EXPORTED = (
    "Invoices are not exported by this integration: book this invoice in Visma.net directly "
    "and mark it as exported in Pleo"
)


@dataclass(frozen=True)
class SpendType:
    name: str  # Pleo's `type` of an export item
    label: str  # as a finance user names it
    booking: Booking
    # In invoice mode ("card expenses as invoices"): the supplier document it becomes, or None
    # when it stays a journal. DESIGN §5: purchases become `Invoice`, money the merchant gives
    # back becomes `CreditAdj`.
    invoice_document_type: str | None = None
    not_exported_because: str = ""  # the item's failure message when it is not exported

    @property
    def exported(self) -> bool:
        return self.booking is not Booking.NOT_EXPORTED


_ROWS = (
    SpendType("card_purchase", "Card purchase", Booking.SPEND_FROM_WALLET, "Invoice"),
    SpendType("fee", "Fee", Booking.SPEND_FROM_WALLET),
    SpendType("atm_withdrawal", "ATM withdrawal", Booking.SPEND_FROM_WALLET),
    SpendType("personal_spend", "Personal spend", Booking.SPEND_FROM_WALLET),
    SpendType("refund", "Refund", Booking.RETURNED_TO_WALLET, "CreditAdj"),
    SpendType("chargeback", "Chargeback", Booking.RETURNED_TO_WALLET, "CreditAdj"),
    SpendType("cashback", "Cashback", Booking.RETURNED_TO_WALLET),
    SpendType("out_of_pocket", "Out of pocket", Booking.SPEND_BY_EMPLOYEE),
    SpendType("mileage", "Mileage", Booking.SPEND_BY_EMPLOYEE),
    SpendType("per_diem", "Per diem", Booking.SPEND_BY_EMPLOYEE),
    SpendType("external_reimbursement", "Reimbursement (external)", Booking.REIMBURSEMENT),
    SpendType("direct_reimbursement", "Reimbursement", Booking.REIMBURSEMENT),
    SpendType("wallet_topup", "Wallet top-up", Booking.WALLET_TOPUP),
    SpendType("wallet_unload", "Wallet unload", Booking.WALLET_UNLOAD),
    SpendType("invoice", "Invoice", Booking.NOT_EXPORTED,
              not_exported_because=INVOICES_NOT_EXPORTED),
    SpendType("invoice_payment", "Invoice payment", Booking.NOT_EXPORTED,
              not_exported_because=INVOICES_NOT_EXPORTED),
    SpendType("card_invoice", "Card invoice", Booking.NOT_EXPORTED,
              not_exported_because=INVOICES_NOT_EXPORTED),
)  # fmt: skip
SPEND_TYPES: dict[str, SpendType] = {row.name: row for row in _ROWS}


def spend_type(name: str) -> SpendType | None:
    return SPEND_TYPES.get(name)


def spend_type_label(name: str) -> str:
    row = SPEND_TYPES.get(name)
    return row.label if row is not None else name.replace("_", " ").capitalize()


def exported_spend_type(name: str) -> SpendType:
    """The row of a type this integration exports; the item fails when it has none."""
    row = SPEND_TYPES.get(name)
    if row is None:
        raise PlanError(
            FailureReason.VALIDATION_FAILURE,
            f"Pleo expense type '{name}' is not supported by this integration",
        )
    if not row.exported:
        raise PlanError(FailureReason.VALIDATION_FAILURE, row.not_exported_because)
    return row
