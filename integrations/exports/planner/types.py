"""What the planner reads (the connection's mappings and settings) and what it produces (plans).

Plain frozen dataclasses, built by `exports.config.export_config_for_connection` from the
database, so the planner itself never touches Django models or the network.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from integrations.connections.fixes import FixTarget
from integrations.pleo.enums import FailureReason
from integrations.pleo.types import ExportFile
from integrations.visma.types import JournalTransactionInput, SupplierInvoiceInput

# -- configuration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryTarget:
    """Where a Pleo category (chart-of-accounts entry) is booked in Visma.net."""

    account_number: str
    default_vat_category: str | None = None


@dataclass(frozen=True)
class VatInfo:
    """A Visma.net VAT category as the planner needs it.

    `rate` is a percentage (Decimal("25") is 25 %), the way Visma.net reports it and the mirror
    stores it; Pleo's own `tax.rate` is a fraction and is converted where it is read.
    """

    rate: Decimal
    reverse_charge: bool = False
    # The VAT id (`GET /v1/vat`) a journal line of this category is booked with: the category's
    # purchase VAT, for reverse charge its reverse VAT. None when the category has none, which
    # preflight reports before a journal with VAT is sent.
    vat_id: str | None = None


@dataclass(frozen=True)
class VendorRef:
    """A Visma.net supplier that expenses can be booked on in invoice mode."""

    number: str
    code: str | None = None  # the vendor code Pleo holds for it, usually the supplier number
    vat_registration_id: str | None = None
    active: bool = True


@dataclass(frozen=True)
class ExportConfig:
    base_currency: str
    branch: str | None
    wallet_accounts: Mapping[str, str]  # wallet currency -> Visma account number
    out_of_pocket_account: str | None
    tax_account: str | None  # input VAT
    output_vat_account: str | None  # reverse charge
    default_vendor_number: str | None
    categories: Mapping[str, CategoryTarget]  # key: Pleo account id, code or identifier
    segment_ids: tuple[int, ...]  # the subaccount segments sent on every expense line
    tag_segments: Mapping[str, int]  # Pleo tag group code -> segment id
    segment_defaults: Mapping[int, str]
    one_journal_per_export: bool
    card_expenses_as_invoices: bool
    invoice_payment_method: str | None
    transfer_attachments: bool
    vat_rates: Mapping[str, VatInfo]  # Visma VAT category id -> rate
    vendors: Sequence[VendorRef] = ()
    # Visma account number -> its default VAT category (`taxCategory`). Used when Pleo's chart
    # was synced from Visma.net and a category carries the Visma account number as its code but
    # has no explicit mapping yet.
    visma_accounts: Mapping[str, str | None] = field(default_factory=dict)
    # Known values per segment; when a segment is listed, a tag whose value is not among them
    # fails the item at planning time (preflight checks activity against the mirror later).
    segment_values: Mapping[int, Collection[str]] = field(default_factory=dict)


# -- plans -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountUse:
    """Why an account is on a plan, so a preflight failure can name the setting that fixes it."""

    account_number: str
    what: str  # "category 'Travel'", "the Pleo Wallet account for NOK", …
    fix: FixTarget  # the setup page and field where that setting lives


@dataclass(frozen=True)
class SegmentUse:
    segment_id: int
    value: str
    what: str  # "tag 'ENG' of group 'DEPARTMENT'" or "the default value of segment 1"


@dataclass(frozen=True)
class PlanSources:
    accounts: tuple[AccountUse, ...] = ()
    segments: tuple[SegmentUse, ...] = ()
    vat_categories: tuple[tuple[str, str], ...] = ()  # (category id, where it came from)
    supplier: str | None = None  # how the supplier of an invoice was chosen

    def account_use(self, number: str) -> AccountUse | None:
        return next((a for a in self.accounts if a.account_number == number), None)

    def segment_use(self, segment_id: int, value: str) -> SegmentUse | None:
        return next(
            (s for s in self.segments if s.segment_id == segment_id and s.value == value), None
        )

    def vat_source(self, category: str) -> str | None:
        return next((what for cat, what in self.vat_categories if cat == category), None)


@dataclass(frozen=True)
class JournalPlan:
    reference: str
    transaction: JournalTransactionInput
    files: tuple[ExportFile, ...]
    item_id: str
    sources: PlanSources = field(default_factory=PlanSources, compare=False)


@dataclass(frozen=True)
class InvoicePlan:
    reference: str
    invoice: SupplierInvoiceInput
    files: tuple[ExportFile, ...]
    item_id: str
    sources: PlanSources = field(default_factory=PlanSources, compare=False)


@dataclass(frozen=True)
class PlanFailure:
    reason_type: FailureReason
    message: str  # for people only: no code reads it
    fix: FixTarget | None = None  # the setting that fixes it; None when no setting can


class PlanError(Exception):
    """Raised inside the planner; `plan_item` turns it into a `PlanFailure`."""

    def __init__(
        self, reason_type: FailureReason, message: str, fix: FixTarget | None = None
    ) -> None:
        super().__init__(message)
        self.reason_type = reason_type
        self.message = message
        self.fix = fix

    def failure(self) -> PlanFailure:
        return PlanFailure(self.reason_type, self.message, self.fix)
