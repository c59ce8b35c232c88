"""Preflight: each rule against the demo company's mirror."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from integrations.connections.fixes import FixPage, FixTarget
from integrations.exports.planner import InvoicePlan, JournalPlan, PlanFailure, plan_item
from integrations.exports.preflight import (
    CashAccountState,
    PeriodState,
    preflight_check,
    preflight_problems,
)
from tests.exports.planner_factories import REFERENCE, demo_config, demo_snapshot, item, line

ADOBE = {"name": "Adobe", "code": "ADOBE"}

POLICY = FixTarget(FixPage.EXPORT_SETTINGS, "closed_period_policy")


def journal(**kwargs: Any) -> JournalPlan:
    config = kwargs.pop("config", demo_config())
    plan = plan_item(item(**kwargs), config)
    assert isinstance(plan, JournalPlan), plan
    return plan


def invoice(**kwargs: Any) -> InvoicePlan:
    config = kwargs.pop("config", demo_config(card_expenses_as_invoices=True))
    kwargs.setdefault("vendor", ADOBE)
    plan = plan_item(item(**kwargs), config)
    assert isinstance(plan, InvoicePlan), plan
    return plan


def check(plan: JournalPlan | InvoicePlan, policy: str = "fail", **snapshot: Any) -> Any:
    return preflight_check(plan, demo_snapshot(**snapshot), closed_period_policy=policy)


def test_a_sound_journal_passes_unchanged() -> None:
    plan = journal(lines=[line("500.00", tags={"DEPARTMENT": "10", "PROJECT": "100"})])

    assert check(plan) == plan


def test_a_sound_invoice_passes_unchanged() -> None:
    plan = invoice()

    assert check(plan) == plan


def test_inactive_account_names_the_category_to_remap() -> None:
    result = check(journal(lines=[line("500.00", "old")]))

    assert result == PlanFailure(
        "account_unknown",
        "Account 6999 is inactive in Visma.net: activate it or map category 'Old expenses' "
        "to another account on the Categories page",
        FixTarget(FixPage.CATEGORIES, "account_cat-old"),
    )


def test_missing_wallet_account_names_the_accounts_page() -> None:
    accounts = {n: True for n in ("6540", "2710")}

    result = check(journal(), accounts=accounts)

    assert result == PlanFailure(
        "account_unknown",
        "Account 1925 does not exist in Visma.net: create it there or map the Pleo Wallet "
        "account for NOK to another account on the Accounts page",
        FixTarget(FixPage.ACCOUNTS, "wallet_NOK"),
    )


def test_missing_cash_account_of_an_invoice_is_found() -> None:
    accounts = {"6540": True}

    result = check(invoice(), accounts=accounts)

    assert isinstance(result, PlanFailure)
    assert result.reason_type == "account_unknown"
    assert result.message.startswith("Account 1925 does not exist in Visma.net")


def test_inactive_vat_category() -> None:
    config = demo_config(vat_rates={**demo_config().vat_rates, "5": demo_config().vat_rates["1"]})
    plan = journal(lines=[line("500.00", tax_={"code": "5", "rate": 0.25, "type": "inclusive"})],
                   config=config)  # fmt: skip

    result = check(plan)

    assert result == PlanFailure(
        "tax_code_unknown",
        "VAT category 5 (from Pleo tax code '5') is inactive in Visma.net: activate it there, "
        "or archive the tax code in Pleo and choose another default VAT category on the "
        "Categories page",
        FixTarget(FixPage.CATEGORIES),
    )


def test_missing_vat_category() -> None:
    result = check(journal(), vat_categories={"0": True})

    assert isinstance(result, PlanFailure)
    assert result.reason_type == "tax_code_unknown"
    assert result.message.startswith("VAT category 1 (from Pleo tax code '1') does not exist")


def test_inactive_segment_value_names_the_tag() -> None:
    result = check(journal(lines=[line("500.00", tags={"PROJECT": "200"})]))

    assert result == PlanFailure(
        "tag_unknown",
        "Value '200' of subaccount segment 2 (tag '200' of group 'PROJECT') is inactive in "
        "Visma.net: activate it there, or archive the tag in Pleo and sync tags on the Tags page",
        FixTarget(FixPage.TAGS, "synced_2"),
    )


def test_unknown_segment_value_when_the_planner_had_no_value_list() -> None:
    plan = journal(
        lines=[line("500.00", tags={"DEPARTMENT": "99"})],
        config=demo_config(segment_values={}),
    )

    result = check(plan)

    assert isinstance(result, PlanFailure)
    assert result.reason_type == "tag_unknown"
    assert result.message.startswith(
        "Value '99' of subaccount segment 1 (tag '99' of group 'DEPARTMENT') does not exist"
    )


def test_segment_without_a_value_list_accepts_any_value() -> None:
    plan = journal(
        lines=[line("500.00", tags={"PROJECT": "999"})], config=demo_config(segment_values={})
    )
    values = {key: True for key in demo_snapshot().segment_values if key[0] == 1}

    assert check(plan, segment_values=values) == plan


def test_inactive_supplier_of_an_invoice() -> None:
    plan = invoice(
        vendor={"name": "Unknown shop"},
        config=demo_config(card_expenses_as_invoices=True, default_vendor_number="50099"),
    )

    result = check(plan)

    assert result == PlanFailure(
        "vendor_unknown",
        "Supplier 50099 (the default vendor) is inactive in Visma.net: activate the supplier "
        "there, or link the vendor in Pleo to an active supplier or choose another default "
        "vendor on the Accounts page",
        FixTarget(FixPage.VENDORS),
    )


def test_missing_supplier_of_an_invoice() -> None:
    result = check(invoice(), suppliers={"50000": True})

    assert isinstance(result, PlanFailure)
    assert result.reason_type == "vendor_unknown"
    assert result.message.startswith(
        "Supplier 50012 (vendor 'Adobe' (matched by vendor code ADOBE)) does not exist"
    )


def test_unbalanced_journal_is_refused() -> None:
    plan = journal()
    lines = list(plan.transaction.lines)
    lines[-1] = replace(lines[-1], credit=Decimal("499.99"))
    broken = replace(plan, transaction=replace(plan.transaction, lines=tuple(lines)))

    result = check(broken)

    assert result == PlanFailure(
        "unexpected_failure",
        "The planned document does not balance (debit 500.00, credit 499.99): nothing was "
        "posted; report this to support",
    )


def test_all_problems_are_listed_for_the_preview() -> None:
    plan = journal(lines=[line("500.00", "old", tags={"PROJECT": "200"})])

    problems = preflight_problems(plan, demo_snapshot())

    assert [p.reason_type for p in problems] == ["account_unknown", "tag_unknown"]


# -- financial periods -------------------------------------------------------------------


def test_closed_period_fails_by_default() -> None:
    result = check(journal(date="2026-01-20T12:00:00Z"))

    assert result == PlanFailure(
        "validation_failure",
        "Period 2026-01 is closed in the general ledger: reopen it in Visma.net or choose "
        "'post in the first open period' in Export settings",
        POLICY,
    )


def test_closed_period_moves_to_the_first_open_one_when_chosen() -> None:
    plan = journal(date="2026-01-20T12:00:00Z")

    result = check(plan, policy="first_open")

    assert isinstance(result, JournalPlan)
    # 2026-02 is open in the general ledger (closed only in the supplier ledger)
    assert result.transaction.financial_period == "202602"
    assert result.transaction.transaction_date == date(2026, 2, 1)
    assert result.transaction.description == (
        f"{REFERENCE} Clas Ohlson \u2013 Jane Doe \u2013 Printer ink "
        "(period 2026-01 closed, moved to 2026-02)"
    )
    assert result.transaction.lines == plan.transaction.lines


def test_invoices_need_the_period_open_in_the_supplier_ledger() -> None:
    plan = invoice(date="2026-02-10T12:00:00Z")

    failed = check(plan)
    moved = check(plan, policy="first_open")

    assert failed == PlanFailure(
        "validation_failure",
        "Period 2026-02 is closed in the supplier ledger: reopen it in Visma.net or choose "
        "'post in the first open period' in Export settings",
        POLICY,
    )
    assert isinstance(moved, InvoicePlan)
    assert (moved.invoice.financial_period, moved.invoice.date) == ("202603", date(2026, 3, 1))
    assert moved.invoice.description.endswith("(period 2026-02 closed, moved to 2026-03)")


def test_a_journal_in_a_period_closed_only_in_the_supplier_ledger_passes() -> None:
    plan = journal(date="2026-02-10T12:00:00Z")

    assert check(plan) == plan


def test_moving_uses_the_period_start_date_when_known_and_skips_inactive_periods() -> None:
    periods = dict(demo_snapshot().periods)
    periods["202604"] = PeriodState(False, False, active=False)
    periods["202606"] = PeriodState(False, False, active=True, start_date=date(2026, 5, 28))
    plan = journal(date="2026-03-31T12:00:00Z")
    closed = {**periods, "202603": PeriodState(True, True, active=True)}

    result = check(plan, policy="first_open", periods=closed)

    assert isinstance(result, JournalPlan)
    assert result.transaction.financial_period == "202606"
    assert result.transaction.transaction_date == date(2026, 5, 28)


def test_inactive_period_counts_as_closed() -> None:
    result = check(journal(date="2026-05-02T12:00:00Z"))

    assert result == PlanFailure(
        "validation_failure",
        "Period 2026-05 is inactive in the general ledger: reopen it in Visma.net or choose "
        "'post in the first open period' in Export settings",
        POLICY,
    )


def test_no_later_open_period() -> None:
    result = check(journal(date="2026-05-02T12:00:00Z"), policy="first_open")

    assert result == PlanFailure(
        "validation_failure",
        "Period 2026-05 is inactive in the general ledger and no later period is open: open "
        "one in Visma.net",
        POLICY,
    )


def test_missing_period() -> None:
    result = check(journal(date="2027-01-02T12:00:00Z"), policy="first_open")

    assert result == PlanFailure(
        "validation_failure",
        "Period 2027-01 does not exist in Visma.net: create the financial year there and sync "
        "again",
        POLICY,
    )


def test_unknown_policy_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        check(journal(), policy="whatever")


# -- VAT transactions and cash accounts (DESIGN §5) ------------------------------------------


def _without_purchase_vat(category: str) -> Any:
    rates = dict(demo_config().vat_rates)
    rates[category] = replace(rates[category], vat_id=None)
    return demo_config(vat_rates=rates)


def test_a_vat_journal_whose_category_has_no_purchase_vat_fails_naming_the_fix() -> None:
    plan = journal(config=_without_purchase_vat("1"))

    result = check(plan)

    assert result == PlanFailure(
        "invalid_configuration",
        "VAT category 1 (from Pleo tax code '1') has no purchase VAT in Visma.net, so its VAT "
        "cannot reach the VAT report: add the purchase VAT to the category in VAT categories "
        "(TX205500) and sync tax codes, or choose another tax code",
        FixTarget(FixPage.SYNC),
    )


def test_a_journal_without_vat_needs_no_purchase_vat() -> None:
    plan = journal(type="fee", lines=[line("25.00", "fees")], config=_without_purchase_vat("0"))

    assert plan.transaction.create_vat_transaction is False
    assert check(plan) == plan


def test_a_vat_id_visma_no_longer_knows_fails_the_item() -> None:
    plan = journal()

    gone = check(plan, vats={"IN15": True})
    expired = check(plan, vats={"IN25": False})

    assert gone == PlanFailure(
        "invalid_configuration",
        "VAT IN25 does not exist in Visma.net: correct the VAT category's VATs in VAT "
        "categories (TX205500) and sync tax codes",
        FixTarget(FixPage.SYNC),
    )
    assert isinstance(expired, PlanFailure)
    assert expired.message.startswith("VAT IN25 is no longer valid in Visma.net")


def test_invoice_cash_account_must_be_a_visma_cash_account() -> None:
    plan = invoice()
    assert plan.invoice.cash_account == "1925"

    missing = check(plan, cash_accounts={"1920": CashAccountState(active=True, currency="NOK")})
    gone = check(plan, cash_accounts={"1925": CashAccountState(active=False, currency="NOK")})
    other_currency = check(plan, cash_accounts={"1925": CashAccountState(True, currency="EUR")})

    assert missing == PlanFailure(
        "invalid_configuration",
        "Cash account 1925 does not exist in Visma.net: create cash account 1925 for the Pleo "
        "Wallet in Visma.net (Cash accounts, CA202000) and sync reference data, or choose a "
        "Pleo Wallet account for NOK that is a cash account on the Accounts page",
        FixTarget(FixPage.ACCOUNTS, "wallet_NOK"),
    )
    assert isinstance(gone, PlanFailure) and gone.reason_type == "invalid_configuration"
    assert gone.message.startswith("Cash account 1925 is no longer in Visma.net")
    assert other_currency == PlanFailure(
        "invalid_configuration",
        "Cash account 1925 is in EUR, but this expense was paid in NOK: choose the Pleo Wallet "
        "account for NOK on the Accounts page",
        FixTarget(FixPage.ACCOUNTS, "wallet_NOK"),
    )


def test_journals_need_no_cash_account() -> None:
    plan = journal()

    assert check(plan, cash_accounts={}) == plan
