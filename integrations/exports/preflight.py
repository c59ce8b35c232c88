"""Preflight: check a plan against the mirrored Visma.net data before anything is sent.

Pure, like the planner: `exports.config.mirror_snapshot_for_connection` builds the
snapshot from the mirror tables. Each failure carries Pleo's item failureReasonType, the setup
page and field that fix it, and a message naming the fix, using the plan's sources to name the setting behind each account,
segment value or supplier.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from integrations.connections.fixes import FixPage, FixTarget
from integrations.exports.planner.lines import ACCOUNTS_PAGE, EXPORT_SETTINGS_PAGE, TAGS_PAGE
from integrations.exports.planner.text import header_description
from integrations.exports.planner.types import InvoicePlan, JournalPlan, PlanFailure, PlanSources
from integrations.pleo.enums import FailureReason
from integrations.visma.types import SubaccountSegment

CLOSED_PERIOD_POLICIES = ("fail", "first_open")


@dataclass(frozen=True)
class PeriodState:
    closed_in_gl: bool
    closed_in_ap: bool
    active: bool
    start_date: date | None = None  # when unknown, the first day of the YYYYMM month


@dataclass(frozen=True)
class CashAccountState:
    active: bool
    currency: str | None = None


@dataclass(frozen=True)
class MirrorSnapshot:
    accounts: Mapping[str, bool]  # account number -> active
    vat_categories: Mapping[str, bool]  # VAT category id -> active
    segment_values: Mapping[tuple[int, str], bool]  # (segment id, value) -> active
    suppliers: Mapping[str, bool]  # supplier number -> active (status Active)
    periods: Mapping[str, PeriodState]  # "YYYYMM" -> state
    vats: Mapping[str, bool] = field(default_factory=dict)  # VAT id -> usable
    cash_accounts: Mapping[str, CashAccountState] = field(default_factory=dict)  # by number


Plan = JournalPlan | InvoicePlan


def preflight_check(
    plan: Plan, snapshot: MirrorSnapshot, *, closed_period_policy: str
) -> Plan | PlanFailure:
    """The plan (moved to the first open period when the policy allows) or the first problem."""
    problems = preflight_problems(plan, snapshot)
    if problems:
        return problems[0]
    return period_check(plan, snapshot, closed_period_policy=closed_period_policy)


def preflight_problems(plan: Plan, snapshot: MirrorSnapshot) -> list[PlanFailure]:
    """Every problem but the period, for the preview page, most fundamental first."""
    problems: list[PlanFailure] = []
    problems.extend(_balance(plan))
    for number in _accounts(plan):
        problems.extend(_account(number, snapshot, plan.sources))
    for category in _vat_categories(plan):
        problems.extend(_vat_category(category, snapshot, plan.sources))
    if isinstance(plan, JournalPlan):
        problems.extend(_journal_vat(plan, snapshot))
    for segment in _segments(plan):
        problems.extend(_segment(segment, snapshot, plan.sources))
    if isinstance(plan, InvoicePlan):
        problems.extend(_supplier(plan, snapshot))
        problems.extend(_cash_account(plan, snapshot))
    return problems


# -- what a plan refers to -------------------------------------------------------------------


def _accounts(plan: Plan) -> list[str]:
    if isinstance(plan, JournalPlan):
        numbers = [line.account_number for line in plan.transaction.lines]
    else:
        numbers = [line.account_number for line in plan.invoice.lines]
        if plan.invoice.cash_account:
            numbers.append(plan.invoice.cash_account)
    return list(dict.fromkeys(numbers))


def _vat_categories(plan: Plan) -> list[str]:
    lines = plan.transaction.lines if isinstance(plan, JournalPlan) else plan.invoice.lines
    return list(dict.fromkeys(line.vat_code_id for line in lines if line.vat_code_id))


def _segments(plan: Plan) -> list[SubaccountSegment]:
    lines = plan.transaction.lines if isinstance(plan, JournalPlan) else plan.invoice.lines
    return list(dict.fromkeys(s for line in lines for s in line.subaccount))


# -- checks ----------------------------------------------------------------------------------


def _balance(plan: Plan) -> list[PlanFailure]:
    if isinstance(plan, JournalPlan):
        lines = plan.transaction.lines
        debit = sum((line.debit for line in lines), Decimal(0))
        credit = sum((line.credit for line in lines), Decimal(0))
        if lines and debit == credit and debit > 0:
            return []
        detail = f"debit {debit}, credit {credit}"
    else:
        total = sum((line.amount for line in plan.invoice.lines), Decimal(0))
        if plan.invoice.lines and total > 0:
            return []
        detail = f"total {total}"
    return [
        PlanFailure(
            FailureReason.UNEXPECTED_FAILURE,
            f"The planned document does not balance ({detail}): nothing was posted; "
            "report this to support",
        )
    ]


def _account(number: str, snapshot: MirrorSnapshot, sources: PlanSources) -> list[PlanFailure]:
    active = snapshot.accounts.get(number)
    if active:
        return []
    use = sources.account_use(number)
    fix = use.fix if use is not None else FixTarget(FixPage.ACCOUNTS)
    remedy = (
        f"map {use.what} to another account on the {use.fix.page.heading} page"
        if use is not None
        else f"check the mappings on the {ACCOUNTS_PAGE} page"
    )
    if active is None:
        message = f"Account {number} does not exist in Visma.net: create it there or {remedy}"
    else:
        message = f"Account {number} is inactive in Visma.net: activate it or {remedy}"
    return [PlanFailure(FailureReason.ACCOUNT_UNKNOWN, message, fix)]


def _vat_category(
    category: str, snapshot: MirrorSnapshot, sources: PlanSources
) -> list[PlanFailure]:
    active = snapshot.vat_categories.get(category)
    if active:
        return []
    source = sources.vat_source(category)
    where = f" (from {source})" if source else ""
    state = "does not exist" if active is None else "is inactive"
    return [
        PlanFailure(
            FailureReason.TAX_CODE_UNKNOWN,
            f"VAT category {category}{where} {state} in Visma.net: activate it there, or "
            "archive the tax code in Pleo and choose another default VAT category on the "
            f"{FixPage.CATEGORIES.heading} page",
            FixTarget(FixPage.CATEGORIES),
        )
    ]


VAT_CATEGORIES_WINDOW = "VAT categories (TX205500)"


def _journal_vat(plan: JournalPlan, snapshot: MirrorSnapshot) -> list[PlanFailure]:
    """A VAT transaction needs a VAT id on each taxable line (DESIGN §5), one Visma.net knows."""
    if not plan.transaction.create_vat_transaction:
        return []
    problems: list[PlanFailure] = []
    missing = dict.fromkeys(
        line.vat_code_id for line in plan.transaction.lines if line.vat_code_id and not line.vat_id
    )
    for category in missing:
        assert category is not None
        source = plan.sources.vat_source(category)
        where = f" (from {source})" if source else ""
        problems.append(
            PlanFailure(
                FailureReason.INVALID_CONFIGURATION,
                f"VAT category {category}{where} has no purchase VAT in Visma.net, so its VAT "
                f"cannot reach the VAT report: add the purchase VAT to the category in "
                f"{VAT_CATEGORIES_WINDOW} and sync tax codes, or choose another tax code",
                FixTarget(FixPage.SYNC),
            )
        )
    used = dict.fromkeys(line.vat_id for line in plan.transaction.lines if line.vat_id)
    for vat_id in used:
        assert vat_id is not None
        usable = snapshot.vats.get(vat_id)
        if usable or (usable is None and not snapshot.vats):
            # No VATs mirrored yet (tax codes not synced since): Visma.net judges the VAT id.
            continue
        state = "does not exist" if usable is None else "is no longer valid"
        problems.append(
            PlanFailure(
                FailureReason.INVALID_CONFIGURATION,
                f"VAT {vat_id} {state} in Visma.net: correct the VAT category's VATs in "
                f"{VAT_CATEGORIES_WINDOW} and sync tax codes",
                FixTarget(FixPage.SYNC),
            )
        )
    return problems


def _segment(
    segment: SubaccountSegment, snapshot: MirrorSnapshot, sources: PlanSources
) -> list[PlanFailure]:
    # A segment whose values Visma.net does not validate has no value list in the mirror;
    # any value is accepted there.
    if not any(seg == segment.segment_id for seg, _ in snapshot.segment_values):
        return []
    active = snapshot.segment_values.get((segment.segment_id, segment.value))
    if active:
        return []
    use = sources.segment_use(segment.segment_id, segment.value)
    where = f" ({use.what})" if use is not None else ""
    state = "does not exist" if active is None else "is inactive"
    return [
        PlanFailure(
            FailureReason.TAG_UNKNOWN,
            f"Value '{segment.value}' of subaccount segment {segment.segment_id}{where} {state} "
            f"in Visma.net: activate it there, or archive the tag in Pleo and sync tags on the "
            f"{TAGS_PAGE} page",
            FixTarget(FixPage.TAGS, f"synced_{segment.segment_id}"),
        )
    ]


def _supplier(plan: InvoicePlan, snapshot: MirrorSnapshot) -> list[PlanFailure]:
    number = plan.invoice.supplier_number
    active = snapshot.suppliers.get(number)
    if active:
        return []
    how = plan.sources.supplier or "the vendor"
    state = "does not exist" if active is None else "is inactive"
    return [
        PlanFailure(
            FailureReason.VENDOR_UNKNOWN,
            f"Supplier {number} ({how}) {state} in Visma.net: activate the supplier there, or "
            f"link the vendor in Pleo to an active supplier or choose another default vendor "
            f"on the {ACCOUNTS_PAGE} page",
            FixTarget(FixPage.VENDORS),
        )
    ]


def _cash_account(plan: InvoicePlan, snapshot: MirrorSnapshot) -> list[PlanFailure]:
    """The invoice's `cashAccount` must be one of Visma.net's cash accounts (`/v1/cashaccount`):
    it marks the invoice as paid from the Pleo Wallet (DESIGN §5)."""
    number = plan.invoice.cash_account
    if not number:
        return []
    state = snapshot.cash_accounts.get(number)
    currency = plan.invoice.currency_id
    fix = (
        f"create cash account {number} for the Pleo Wallet in Visma.net (Cash accounts, "
        f"CA202000) and sync reference data, or choose a Pleo Wallet account for {currency} "
        f"that is a cash account on the {ACCOUNTS_PAGE} page"
    )
    if state is None:
        message = f"Cash account {number} does not exist in Visma.net: {fix}"
    elif not state.active:
        message = f"Cash account {number} is no longer in Visma.net: {fix}"
    elif state.currency and state.currency != currency:
        message = (
            f"Cash account {number} is in {state.currency}, but this expense was paid in "
            f"{currency}: choose the Pleo Wallet account for {currency} on the {ACCOUNTS_PAGE} "
            "page"
        )
    else:
        return []
    wallet = FixTarget(FixPage.ACCOUNTS, f"wallet_{currency}")
    return [PlanFailure(FailureReason.INVALID_CONFIGURATION, message, wallet)]


# -- financial period ------------------------------------------------------------------------


def _period_label(period_id: str) -> str:
    return f"{period_id[:4]}-{period_id[4:]}"


def _open(state: PeriodState, *, ledger: str) -> bool:
    closed = state.closed_in_gl if ledger == "gl" else state.closed_in_ap
    return state.active and not closed


def period_check(
    plan: Plan, snapshot: MirrorSnapshot, *, closed_period_policy: str
) -> Plan | PlanFailure:
    """Journals need the period open in the general ledger, invoices in accounts payable."""
    if closed_period_policy not in CLOSED_PERIOD_POLICIES:
        raise ValueError(f"Unknown closed period policy {closed_period_policy!r}")
    is_journal = isinstance(plan, JournalPlan)
    ledger, ledger_name = ("gl", "general ledger") if is_journal else ("ap", "supplier ledger")
    period_id = (
        plan.transaction.financial_period
        if isinstance(plan, JournalPlan)
        else plan.invoice.financial_period
    )
    label = _period_label(period_id)
    state = snapshot.periods.get(period_id)
    # Each period failure links the closed-period policy, the one setting that bears on it.
    policy = FixTarget(FixPage.EXPORT_SETTINGS, "closed_period_policy")
    if state is None:
        return PlanFailure(
            FailureReason.VALIDATION_FAILURE,
            f"Period {label} does not exist in Visma.net: create the financial year there and "
            "sync again",
            policy,
        )
    if _open(state, ledger=ledger):
        return plan
    why = "closed" if state.active else "inactive"
    if closed_period_policy == "fail":
        return PlanFailure(
            FailureReason.VALIDATION_FAILURE,
            f"Period {label} is {why} in the {ledger_name}: reopen it in Visma.net or choose "
            f"'post in the first open period' in {EXPORT_SETTINGS_PAGE}",
            policy,
        )
    later = sorted(p for p in snapshot.periods if p > period_id)
    target = next((p for p in later if _open(snapshot.periods[p], ledger=ledger)), None)
    if target is None:
        return PlanFailure(
            FailureReason.VALIDATION_FAILURE,
            f"Period {label} is {why} in the {ledger_name} and no later period is open: open "
            "one in Visma.net",
            policy,
        )
    start = snapshot.periods[target].start_date or date(int(target[:4]), int(target[4:]), 1)
    note = f"(period {label} {why}, moved to {_period_label(target)})"
    return _moved(plan, period_id=target, day=start, note=note)


def _moved(plan: Plan, *, period_id: str, day: date, note: str) -> Plan:
    if isinstance(plan, JournalPlan):
        t = plan.transaction
        text = t.description.removeprefix(plan.reference).strip()
        moved = replace(
            t,
            financial_period=period_id,
            transaction_date=day,
            description=header_description(plan.reference, text, suffix=note),
        )
        return replace(plan, transaction=moved)
    inv = plan.invoice
    text = inv.description.removeprefix(plan.reference).strip()
    invoice = replace(
        inv,
        financial_period=period_id,
        date=day,
        description=header_description(plan.reference, text, suffix=note),
    )
    return replace(plan, invoice=invoice)
