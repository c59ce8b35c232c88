"""Which setup page fixes which failure (read from the failure's data, never its message), and
which failures are shown together."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from integrations.connections.fixes import FIX_PAGES, FixPage, FixTarget, fix_link
from integrations.exports.planner import InvoicePlan, JournalPlan, PlanFailure
from integrations.exports.planner.types import AccountUse, PlanSources, SegmentUse
from integrations.exports.preflight import MirrorSnapshot, PeriodState, preflight_check
from integrations.exports.selectors import failure_groups
from integrations.pleo.enums import FailureReason
from integrations.visma.types import (
    InvoiceLineInput,
    JournalLineInput,
    JournalTransactionInput,
    SubaccountSegment,
    SupplierInvoiceInput,
)
from tests.exports import ui_factories as f

pytestmark = pytest.mark.django_db

CASES = [
    # (fix page, url name of the fixing page, label)
    (FixPage.CATEGORIES, "masterdata:setup_categories", "Categories page"),
    (FixPage.ACCOUNTS, "masterdata:setup_accounts", "Accounts page"),
    (FixPage.TAGS, "masterdata:setup_tags", "Tags page"),
    (FixPage.VENDORS, "masterdata:vendors", "Vendors page"),
    (FixPage.EXPORT_SETTINGS, "connections:export_settings", "Export settings"),
    (FixPage.CONNECTION, "connections:detail", "Connection page"),
    (FixPage.OVERVIEW, "masterdata:setup_overview", "Setup overview"),
]


def _reverse(name: str, pk: int) -> str:
    if name.startswith("connections:"):
        return reverse(name, kwargs={"pk": pk})
    return reverse(name, kwargs={"connection_id": pk})


@pytest.mark.parametrize(("page", "url_name", "label"), CASES)
def test_each_fix_page_links_its_page(page: FixPage, url_name: str, label: str) -> None:
    fix = fix_link(connection_id=7, fix=FixTarget(page, "some_field"))
    assert fix is not None
    # The page, opened at the field (Django's id of the form field).
    assert (fix.url, fix.label) == (_reverse(url_name, 7) + "#id_some_field", label)
    whole_page = fix_link(connection_id=7, fix=FixTarget(page))
    assert whole_page is not None and whole_page.url == _reverse(url_name, 7)


def test_every_fix_page_has_a_row() -> None:
    assert set(FIX_PAGES) == set(FixPage)


def test_failures_no_setting_fixes_have_no_link() -> None:
    assert fix_link(connection_id=7, fix=None) is None


# -- preflight failures carry the page of the setting behind them ----------------------------

WALLET = AccountUse(
    "1920", "the Pleo Wallet account for NOK", FixTarget(FixPage.ACCOUNTS, "wallet_NOK")
)
TRAVEL = AccountUse("7140", "category 'Travel'", FixTarget(FixPage.CATEGORIES, "account_c1"))


def _journal(*, period: str = "202603", vat: str | None = None) -> JournalPlan:
    lines = (
        JournalLineInput("7140", Decimal("100.00"), Decimal("0.00"), "x", "PLEO-1",
                         (SubaccountSegment(1, "200"),), vat),
        JournalLineInput("1920", Decimal("0.00"), Decimal("100.00"), "x", "PLEO-1"),
    )  # fmt: skip
    transaction = JournalTransactionInput(date(2026, 3, 1), period, "PLEO-1 x", "NOK", lines)
    sources = PlanSources(
        accounts=(TRAVEL, WALLET),
        segments=(SegmentUse(1, "200", "tag '200' of group 'DEPARTMENT'"),),
    )
    return JournalPlan("PLEO-1", transaction, (), "e-1", sources)


def _snapshot(**changes: object) -> MirrorSnapshot:
    values: dict[str, object] = {
        "accounts": {"7140": True, "1920": True},
        "vat_categories": {"1": True},
        "segment_values": {(1, "200"): True},
        "suppliers": {"50001": True},
        "periods": {"202603": PeriodState(closed_in_gl=False, closed_in_ap=False, active=True)},
    }
    values.update(changes)
    return MirrorSnapshot(**values)  # type: ignore[arg-type]


PREFLIGHT = [
    ("category account inactive", _journal(), _snapshot(accounts={"7140": False, "1920": True}),
     FailureReason.ACCOUNT_UNKNOWN, FixTarget(FixPage.CATEGORIES, "account_c1")),
    ("wallet account missing", _journal(), _snapshot(accounts={"7140": True}),
     FailureReason.ACCOUNT_UNKNOWN, FixTarget(FixPage.ACCOUNTS, "wallet_NOK")),
    ("VAT category inactive", _journal(vat="1"), _snapshot(vat_categories={"1": False}),
     FailureReason.TAX_CODE_UNKNOWN, FixTarget(FixPage.CATEGORIES)),
    ("segment value inactive", _journal(), _snapshot(segment_values={(1, "200"): False}),
     FailureReason.TAG_UNKNOWN, FixTarget(FixPage.TAGS, "synced_1")),
    ("period closed", _journal(),
     _snapshot(periods={"202603": PeriodState(closed_in_gl=True, closed_in_ap=False, active=True)}),
     FailureReason.VALIDATION_FAILURE, FixTarget(FixPage.EXPORT_SETTINGS, "closed_period_policy")),
    ("period missing", _journal(period="202604"), _snapshot(),
     FailureReason.VALIDATION_FAILURE, FixTarget(FixPage.EXPORT_SETTINGS, "closed_period_policy")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("plan", "snapshot", "reason", "fix"),
    [case[1:] for case in PREFLIGHT],
    ids=[case[0] for case in PREFLIGHT],
)
def test_preflight_failures_name_their_fix(
    plan: JournalPlan, snapshot: MirrorSnapshot, reason: FailureReason, fix: FixTarget
) -> None:
    result = preflight_check(plan, snapshot, closed_period_policy="fail")
    assert isinstance(result, PlanFailure)
    assert (result.reason_type, result.fix) == (reason, fix)


def test_an_inactive_supplier_is_fixed_on_the_vendors_page() -> None:
    invoice = SupplierInvoiceInput(
        document_type="Invoice", supplier_number="50004", date=date(2026, 3, 1),
        financial_period="202603", supplier_reference="PLEO-1", description="PLEO-1 x",
        currency_id="NOK", lines=(InvoiceLineInput("7140", Decimal("100.00"), "x"),),
        cash_account="1920",
    )  # fmt: skip
    plan = InvoicePlan("PLEO-1", invoice, (), "e-1", PlanSources(accounts=(TRAVEL, WALLET)))
    result = preflight_check(
        plan, _snapshot(suppliers={"50004": False}), closed_period_policy="fail"
    )
    assert isinstance(result, PlanFailure)
    assert (result.reason_type, result.fix) == (
        FailureReason.VENDOR_UNKNOWN,
        FixTarget(FixPage.VENDORS),
    )


# -- grouping --------------------------------------------------------------------------------


def test_failures_are_grouped_by_reason_and_fixing_page_not_by_wording() -> None:
    connection = f.connection_make()
    run = f.run_make(connection)
    same = [
        f.item_make(run, f"e-{n}", status="failed", reason_type="account_unknown",
                    reason=f"Account {n} is inactive in Visma.net: whatever the words",
                    fix=FixTarget(FixPage.CATEGORIES, f"account_c{n}"))
        for n in (1, 2)
    ]  # fmt: skip
    # Same reason, another page: another fix, so another group, whatever the message says.
    wallet = f.item_make(
        run, "e-3", status="failed", reason_type="account_unknown",
        reason="Account 3 is inactive in Visma.net: whatever the words",
        fix=FixTarget(FixPage.ACCOUNTS, "wallet_NOK"),
    )  # fmt: skip
    unfixable = f.item_make(
        run, "e-4", status="failed", reason_type="validation_failure",
        reason="The Categories page and the Accounts page cannot fix this",
    )  # fmt: skip

    groups = failure_groups(run.items.order_by("id"))

    assert [(g.reason_type, g.item_ids) for g in groups] == [
        ("account_unknown", [same[0].pk, same[1].pk]),
        ("account_unknown", [wallet.pk]),
        ("validation_failure", [unfixable.pk]),
    ]
    assert [g.fix.label if g.fix else None for g in groups] == [
        "Categories page",
        "Accounts page",
        None,
    ]
