"""Resolving one Pleo line: its Visma account, its VAT and its subaccount; amounts in the wallet
currency with the sign taken out."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from integrations.connections.fixes import FixPage, FixTarget
from integrations.core.money import balance_remainder, quantize, quantum
from integrations.exports.planner.types import (
    AccountUse,
    ExportConfig,
    PlanError,
    SegmentUse,
)
from integrations.pleo.enums import FailureReason
from integrations.pleo.types import ExportAccountRef, ExportItem, ExportItemLine, ExportItemTag
from integrations.visma.types import SubaccountSegment

ACCOUNTS_PAGE = FixPage.ACCOUNTS.heading
CATEGORIES_PAGE = FixPage.CATEGORIES.heading
TAGS_PAGE = FixPage.TAGS.heading
EXPORT_SETTINGS_PAGE = FixPage.EXPORT_SETTINGS.heading


# -- amounts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemAmounts:
    """The item's amounts in the wallet currency, made positive in the direction of its type.

    Pleo may send refunds, chargebacks and cashback with either sign (DESIGN §5); the type gives
    the direction. A line whose sign differs from the item's (a discount on a split) stays
    negative and lands on the other side of the journal.
    """

    currency: str
    total: Decimal
    lines: tuple[Decimal, ...]


def item_amounts(item: ExportItem) -> ItemAmounts:
    currency = item.amount.in_wallet.currency
    for line in item.lines:
        if line.line_amount.in_wallet.currency != currency:
            raise PlanError(
                FailureReason.VALIDATION_FAILURE,
                f"Line {line.line_id} is in {line.line_amount.in_wallet.currency} but the "
                f"expense was paid in {currency}: correct the expense in Pleo",
            )
    values = [line.line_amount.in_wallet.value for line in item.lines]
    total = item.amount.in_wallet.value
    basis = total if total != 0 else sum(values, Decimal(0))
    sign = Decimal(-1) if basis < 0 else Decimal(1)
    total = sign * total
    values = [sign * v for v in values]
    if total == 0 and not any(values):
        raise PlanError(
            FailureReason.VALIDATION_FAILURE, "The expense amount is zero: there is nothing to book"
        )
    # Pleo converts each line to the wallet currency on its own, so their sum can miss the
    # amount that left the wallet by a minor unit per line. The wallet line must match the bank
    # movement, so the last expense line absorbs that remainder; anything larger is an error.
    difference = total - sum(values, Decimal(0))
    if abs(difference) > quantum(currency) * len(values):
        raise PlanError(
            FailureReason.VALIDATION_FAILURE,
            f"The lines of this expense add up to {currency} {sum(values, Decimal(0))} but the "
            f"expense amount is {currency} {total}: correct the split in Pleo",
        )
    parts = balance_remainder(values, total, currency)
    return ItemAmounts(currency=currency, total=quantize(total, currency), lines=tuple(parts))


# -- accounts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedAccount:
    number: str
    default_vat_category: str | None
    use: AccountUse
    vat_fix: FixTarget | None = None  # where its default VAT category is chosen


def account_label(ref: ExportAccountRef | None) -> str:
    if ref is None:
        return "(none)"
    return ref.name or ref.code or ref.identifier or ref.id or "(unnamed)"


def resolve_account(
    ref: ExportAccountRef | None, config: ExportConfig, *, kind: str = "Category"
) -> ResolvedAccount:
    """Pleo category (or any Pleo account) → Visma account: mapping first, then the code."""
    if ref is None:
        raise PlanError(
            FailureReason.ACCOUNT_UNKNOWN,
            f"{kind} is missing on this expense: choose one in Pleo and export again",
            FixTarget(FixPage.CATEGORIES),
        )
    label = account_label(ref)
    what = f"{kind.lower()} '{label}'"
    # The Categories page names its fields by the Pleo account id.
    fix = FixTarget(FixPage.CATEGORIES, f"account_{ref.id}" if ref.id else "")
    vat_fix = FixTarget(FixPage.CATEGORIES, f"vat_{ref.id}" if ref.id else "")
    for key in (ref.id, ref.code, ref.identifier):
        target = config.categories.get(key) if key else None
        if target is not None:
            use = AccountUse(target.account_number, what, fix)
            return ResolvedAccount(target.account_number, target.default_vat_category, use, vat_fix)
    # Pleo's chart is pushed from Visma.net with the account number as code, so an unmapped
    # category can still name a real Visma account; its own default VAT category then applies.
    for key in (ref.code, ref.identifier):
        if key and key in config.visma_accounts:
            use = AccountUse(key, what, fix)
            return ResolvedAccount(key, config.visma_accounts[key], use, vat_fix)
    raise PlanError(
        FailureReason.ACCOUNT_UNKNOWN,
        f"{kind} '{label}' has no Visma account: map it on the {CATEGORIES_PAGE} page",
        fix,
    )


def wallet_account(config: ExportConfig, currency: str) -> AccountUse:
    number = config.wallet_accounts.get(currency)
    fix = FixTarget(FixPage.ACCOUNTS, f"wallet_{currency}")
    if not number:
        raise PlanError(
            FailureReason.MISSING_CONFIGURATION,
            f"No Pleo Wallet account for {currency}: set it on the {ACCOUNTS_PAGE} page",
            fix,
        )
    return AccountUse(number, f"the Pleo Wallet account for {currency}", fix)


def out_of_pocket_account(config: ExportConfig) -> AccountUse:
    fix = FixTarget(FixPage.ACCOUNTS, "out_of_pocket_account")
    if not config.out_of_pocket_account:
        raise PlanError(
            FailureReason.MISSING_CONFIGURATION,
            f"No out-of-pocket account for employee expenses: set it on the {ACCOUNTS_PAGE} page",
            fix,
        )
    return AccountUse(config.out_of_pocket_account, "the out-of-pocket account", fix)


def tax_account(config: ExportConfig) -> AccountUse:
    fix = FixTarget(FixPage.ACCOUNTS, "tax_account")
    if not config.tax_account:
        raise PlanError(
            FailureReason.MISSING_CONFIGURATION,
            f"No tax account for input VAT: set it on the {ACCOUNTS_PAGE} page",
            fix,
        )
    return AccountUse(config.tax_account, "the tax account", fix)


def output_vat_account(config: ExportConfig) -> AccountUse:
    fix = FixTarget(FixPage.ACCOUNTS, "output_vat_account")
    if not config.output_vat_account:
        raise PlanError(
            FailureReason.MISSING_CONFIGURATION,
            f"No output VAT account for reverse-charge VAT: set it on the {ACCOUNTS_PAGE} page",
            fix,
        )
    return AccountUse(config.output_vat_account, "the output VAT account", fix)


# -- VAT -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineVat:
    category: str | None  # Visma VAT category id, sent as `vatCodeId`
    source: str | None
    amount: Decimal  # same sign as the line's gross amount
    reverse_charge: bool
    vat_id: str | None = None  # the category's purchase (or reverse) VAT, sent as `vatId`


def line_vat(
    line: ExportItemLine, account: ResolvedAccount, gross: Decimal, currency: str,
    config: ExportConfig,
) -> LineVat:  # fmt: skip
    """The line's VAT category, amount and VAT id.

    DESIGN §5: a tax code chosen in Pleo is used as given and fails the item when Visma.net does
    not know it; the category's default VAT category applies only to a line without one.
    """
    tax = line.tax
    code = tax.code if tax is not None else None
    if code:
        if code not in config.vat_rates:
            raise PlanError(
                FailureReason.TAX_CODE_UNKNOWN,
                f"Tax code '{code}' on this expense does not exist in Visma.net: choose another "
                "tax code on the expense in Pleo, or create the VAT category in Visma.net and "
                f"sync tax codes on the {FixPage.SYNC.heading} page",
                FixTarget(FixPage.SYNC),
            )
        category, source = code, f"Pleo tax code '{code}'"
    elif account.default_vat_category:
        category = account.default_vat_category
        source = f"the default VAT category of {account.use.what}"
    else:
        return LineVat(None, None, quantize(Decimal(0), currency), False)
    from_pleo = bool(code)
    info = config.vat_rates.get(category)
    reverse = (tax is not None and tax.type == "reverse") or bool(info and info.reverse_charge)
    vat_id = info.vat_id if info is not None else None

    if from_pleo and tax is not None and tax.amount is not None:
        if tax.amount.in_wallet.currency != currency:
            raise PlanError(
                FailureReason.VALIDATION_FAILURE,
                f"The VAT of line {line.line_id} is in {tax.amount.in_wallet.currency}, not "
                f"{currency}: correct the expense in Pleo",
            )
        amount = abs(tax.amount.in_wallet.value).copy_sign(gross)
        return LineVat(category, source, quantize(amount, currency), reverse, vat_id)

    if from_pleo and tax is not None and tax.rate is not None:
        rate = tax.rate  # Pleo: a fraction
    elif info is not None:
        rate = info.rate / 100  # Visma.net: a percentage
    else:
        raise PlanError(
            FailureReason.TAX_CODE_UNKNOWN,
            f"VAT category '{category}' ({source}) does not exist in Visma.net: choose another "
            f"default VAT category for {account.use.what} on the {CATEGORIES_PAGE} page",
            account.vat_fix,
        )
    # Card amounts include VAT; reverse-charge VAT comes on top of what was paid.
    amount = gross * rate if reverse else gross * rate / (1 + rate)
    return LineVat(category, source, quantize(amount, currency), reverse, vat_id)


# -- subaccounts -----------------------------------------------------------------------------


def line_subaccount(
    tags: tuple[ExportItemTag, ...], config: ExportConfig
) -> tuple[tuple[SubaccountSegment, ...], tuple[SegmentUse, ...]]:
    """Every configured segment: from the line's tag in the synced group, else the default."""
    groups = {code.lower(): segment for code, segment in config.tag_segments.items()}
    chosen: dict[int, SegmentUse] = {}
    for tag in tags:
        segment = groups.get(tag.group_code.lower())
        if segment is None or segment not in config.segment_ids or segment in chosen:
            continue
        known = config.segment_values.get(segment)
        if known is not None and tag.code not in known:
            raise PlanError(
                FailureReason.TAG_UNKNOWN,
                f"Tag '{tag.code}' of group '{tag.group_code}' does not exist in Visma.net "
                f"(segment {segment}): sync tags on the {TAGS_PAGE} page or correct the tag "
                "in Pleo",
                FixTarget(FixPage.TAGS, f"synced_{segment}"),
            )
        chosen[segment] = SegmentUse(
            segment, tag.code, f"tag '{tag.code}' of group '{tag.group_code}'"
        )
    for segment in config.segment_ids:
        if segment in chosen:
            continue
        default = config.segment_defaults.get(segment)
        if not default:
            raise PlanError(
                FailureReason.MISSING_CONFIGURATION,
                f"Subaccount segment {segment} has no tag on this expense and no default "
                f"value: choose a default value on the {TAGS_PAGE} page",
                FixTarget(FixPage.TAGS, f"default_{segment}"),
            )
        chosen[segment] = SegmentUse(segment, default, f"the default value of segment {segment}")
    uses = tuple(chosen[s] for s in config.segment_ids)
    return tuple(SubaccountSegment(u.segment_id, u.value) for u in uses), uses


def default_subaccount(
    config: ExportConfig,
) -> tuple[tuple[SubaccountSegment, ...], tuple[SegmentUse, ...]]:
    """Balance-sheet lines (wallet, out-of-pocket, VAT) carry the default values only."""
    uses = tuple(
        SegmentUse(s, config.segment_defaults[s], f"the default value of segment {s}")
        for s in config.segment_ids
        if config.segment_defaults.get(s)
    )
    return tuple(SubaccountSegment(u.segment_id, u.value) for u in uses), uses
