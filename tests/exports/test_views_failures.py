"""Which setup page fixes which failure, and what counts as the same cause."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.exports.selectors import failure_cause, fix_link

pytestmark = pytest.mark.django_db

CASES = [
    # (reason type, message, url name of the fixing page, label)
    (
        "account_unknown",
        "Account 6999 is inactive in Visma.net: activate it or map category 'Old' to another account on the Categories page",
        "masterdata:setup_categories",
        "Categories page",
    ),
    (
        "account_unknown",
        "Account 1999 is inactive in Visma.net: activate it or map the Pleo Wallet account for NOK to another account on the Accounts page",
        "masterdata:setup_accounts",
        "Accounts page",
    ),
    (
        "tax_code_unknown",
        "VAT category 9 (from category 'Travel') is inactive in Visma.net: activate it there, or archive the tax code in Pleo and choose another default VAT category on the Categories page",
        "masterdata:setup_categories",
        "Categories page",
    ),
    (
        "tag_unknown",
        "Value '200' of subaccount segment 2 is inactive in Visma.net",
        "masterdata:setup_tags",
        "Tags page",
    ),
    (
        "missing_configuration",
        "No Pleo Wallet account for EUR: set it on the Accounts page",
        "masterdata:setup_accounts",
        "Accounts page",
    ),
    (
        "missing_configuration",
        "No out-of-pocket account for employee expenses",
        "masterdata:setup_accounts",
        "Accounts page",
    ),
    (
        "missing_configuration",
        "No tax account for input VAT",
        "masterdata:setup_accounts",
        "Accounts page",
    ),
    (
        "missing_configuration",
        "No default vendor for purchase invoices",
        "masterdata:setup_accounts",
        "Accounts page",
    ),
    (
        "missing_configuration",
        "Category 'Travel' has no Visma account: map it on the Categories page",
        "masterdata:setup_categories",
        "Categories page",
    ),
    (
        "missing_configuration",
        "Subaccount segment 1 has no tag on this expense and no default value: choose a default value on the Tags page",
        "masterdata:setup_tags",
        "Tags page",
    ),
    (
        "missing_configuration",
        "No payment method for purchase invoices: choose one in Export settings",
        "connections:export_settings",
        "Export settings",
    ),
    (
        "vendor_unknown",
        "Supplier 50004 (the default vendor) is inactive in Visma.net",
        "masterdata:vendors",
        "Vendors page",
    ),
    (
        "validation_failure",
        "Period 2026-01 is closed in the general ledger: reopen it in Visma.net or choose 'post in the first open period' in Export settings",
        "connections:export_settings",
        "Export settings",
    ),
    (
        "accounting_system_authentication_failure",
        "Visma.net refused the token",
        "connections:detail",
        "Connection page",
    ),
    ("authorization_failure", "Access was revoked", "connections:detail", "Connection page"),
]


def _reverse(name: str, pk: int) -> str:
    if name.startswith("connections:"):
        return reverse(name, kwargs={"pk": pk})
    return reverse(name, kwargs={"connection_id": pk})


@pytest.mark.parametrize(("reason_type", "message", "url_name", "label"), CASES)
def test_each_failure_links_the_page_that_fixes_it(
    reason_type: str, message: str, url_name: str, label: str
) -> None:
    fix = fix_link(connection_id=7, reason_type=reason_type, message=message)
    assert fix is not None
    assert (fix.url, fix.label) == (_reverse(url_name, 7), label)


@pytest.mark.parametrize(
    ("reason_type", "message"),
    [
        ("receipt_download_failure", "The receipt could not be downloaded from Pleo"),
        ("validation_failure", "Invoices are not exported by this integration"),
        ("accounting_system_validation_failure", "Visma.net: Subaccount is required"),
    ],
)
def test_failures_no_setting_fixes_have_no_link(reason_type: str, message: str) -> None:
    assert fix_link(connection_id=7, reason_type=reason_type, message=message) is None


def test_same_cause_ignores_numbers_ids_and_names() -> None:
    a = failure_cause("Account 7140 is inactive: map category 'Travel' on the Categories page")
    b = failure_cause("Account 6540 is inactive: map category 'Equipment' on the Categories page")
    c = failure_cause(
        "Account 6540 does not exist: map category 'Equipment' on the Categories page"
    )
    assert a == b == "Account # is inactive: map category '…' on the Categories page"
    assert c != a
    assert failure_cause("Item 5954a1c2-3b4d-4e5f-8a9b-0c1d2e3f4a5b failed") == failure_cause(
        "Item 00000000-3b4d-4e5f-8a9b-0c1d2e3f4a5b failed"
    )
