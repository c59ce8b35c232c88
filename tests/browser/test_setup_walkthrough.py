"""A finance user sets up the unconfigured Pleo company "Fjord Start AS" through the pages alone,
in a real browser; afterwards Pleo holds Visma.net's master data."""

from __future__ import annotations

import re
from typing import Any

import pytest

from integrations.connections.models import Connection
from tests.browser.conftest import RESULTS, SandboxServer

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

COMPANY = "Fjord Start AS"
COMPANY_SLUG = "setup-company"  # the sandbox preset's unconfigured Pleo company
TENANT = "demo-tenant"


def _message(page: Any, text: str) -> None:
    page.locator(".messages li", has_text=text).wait_for()


def _nav(page: Any, name: str) -> None:
    """Follow a link of the connection's setup navigation, as a person would."""
    page.locator("p.muted").filter(has_text="Overview").get_by_role(
        "link", name=name, exact=True
    ).click()


def _connect(page: Any) -> int:
    page.get_by_role("link", name="Connect your first company").click()
    page.get_by_label("Name").fill(COMPANY)
    page.get_by_role("button", name="Create connection").click()
    _message(page, f"Connection “{COMPANY}” created.")
    connection_id = int(re.search(r"/connections/(\d+)/", page.url).group(1))  # type: ignore[union-attr]

    # Pleo: our page sends the browser to Pleo's consent page, which sends it back.
    page.get_by_role("button", name="Connect Pleo").click()
    page.wait_for_url(re.compile(r"/sandbox/pleo/oauth/authorize"))
    page.get_by_label("Company").select_option(label=COMPANY)
    page.get_by_role("button", name="Allow").click()
    _message(page, "Pleo is connected.")

    page.get_by_label(re.compile("tenant", re.I)).fill(TENANT)
    page.get_by_role("button", name="Connect as a service integration").click()
    _message(page, "Visma.net is connected.")

    page.locator("#branch select").select_option("1")
    page.get_by_role("button", name="Save branch").click()
    _message(page, "Branch saved.")

    page.get_by_role("button", name="Run the permission check").click()
    checklist = page.locator("table.checklist")
    checklist.wait_for()
    assert checklist.locator("td.state-broken").count() == 0, checklist.inner_text()
    assert checklist.locator("td.state-done").count() == 6
    return connection_id


def _sync(page: Any) -> None:
    _nav(page, "Sync")
    page.locator("#sync-kind").select_option("all")
    page.get_by_role("button", name="Sync now").click()
    _message(page, "queued")
    # The run ends in the worker; the page follows it and reloads when it is done.
    page.locator("section.card", has=page.get_by_role("heading", name="Everything")).locator(
        "td.state-succeeded"
    ).first.wait_for()


def _accounts(page: Any) -> None:
    _nav(page, "Accounts")
    page.get_by_label("Pleo Wallet account (NOK)").select_option("1925")
    page.get_by_label("Add a wallet currency").fill("EUR")
    page.get_by_label("Its Pleo Wallet account").select_option("1926")
    page.get_by_label("Out-of-pocket account").select_option("2915")
    page.get_by_label("Tax account").select_option("2710")
    page.get_by_label("Output VAT account").select_option("2700")
    page.get_by_label("Default vendor").select_option("50001")
    page.get_by_role("button", name="Save").click()
    _message(page, "saved")
    assert page.get_by_label("Pleo Wallet account (EUR)").input_value() == "1926"


def _tags(page: Any) -> None:
    _nav(page, "Tags")
    for segment, default in (("DEPARTMENT", "00"), ("PROJECT", "000")):
        page.get_by_label(f"Sync {segment} as a Pleo tag group").check()
        page.get_by_label(f"Default {segment}").select_option(default)
    page.get_by_role("button", name="Save and sync tags").click()
    _message(page, "saved")


def _categories(page: Any) -> None:
    _nav(page, "Categories")
    # Each category comes pre-filled with the account it was made from; Meals take the 15 %
    # tax code here.
    page.get_by_label("Default tax code for Meals").select_option("11")
    page.get_by_role("button", name="Save").click()
    _message(page, "saved")
    assert page.locator(".state-missing", has_text="not mapped").count() == 0


def _export_settings(page: Any) -> None:
    _nav(page, "Export settings")
    page.get_by_label("Transfer attachments").check()
    page.get_by_label(re.compile("first open period", re.I)).check()
    page.get_by_role("button", name="Save export settings").click()
    _message(page, "Export settings saved.")


def test_finance_user_sets_up_a_company_through_the_pages(
    finance_page: Any, sandbox_live_server: SandboxServer
) -> None:
    page = finance_page
    connection_id = _connect(page)
    _sync(page)
    _accounts(page)
    _tags(page)
    _categories(page)
    _export_settings(page)

    _nav(page, "Overview")
    page.get_by_text("Everything is set up: exports can run.").wait_for()
    states = page.locator("tr[data-step] td:nth-child(2)").all_inner_texts()
    assert states and set(states) == {"done"}, states
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "setup-overview.png"), full_page=True)

    connection = Connection.objects.get(pk=connection_id)
    _assert_pleo_mirrors_visma(sandbox_live_server, connection)


def _by(records: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {str(r[key]): r for r in records if r.get(key)}


def _assert_pleo_mirrors_visma(sandbox: SandboxServer, connection: Connection) -> None:
    visma = sandbox.visma_state()
    pleo = sandbox.pleo_state(COMPANY_SLUG)
    [company] = pleo["companies"]
    assert (company["name"], company["id"]) == (COMPANY, connection.pleo_company_id)

    accounts = _by(pleo["chartOfAccounts"], "externalId")
    assert set(accounts) == {a["accountCD"] for a in visma["accounts"]}
    for account in visma["accounts"]:
        pushed = accounts[account["accountCD"]]
        assert pushed["name"] == account["description"]
        assert pushed["archived"] is (not account["active"])
    assert any(a["archived"] for a in accounts.values())  # 6999 Old expenses
    # The tax code chosen on the Categories page is Pleo's default for the category.
    assert accounts["7350"]["taxCodeExternalId"] == "11"

    taxes = _by(pleo["taxCodes"], "code")
    assert set(taxes) == {c["vatCategoryId"] for c in visma["vatCategories"]}
    for category in visma["vatCategories"]:
        assert taxes[category["vatCategoryId"]]["archived"] is (not category["active"])
    assert taxes["86"]["type"] == "reverse"

    groups = {g["code"]: g for g in pleo["tagGroups"]}
    [subaccount] = [d for d in visma["dimensions"] if d["id"] == "SUBACCOUNT"]
    assert set(groups) == {s["description"].upper() for s in subaccount["segments"]}
    for segment in subaccount["segments"]:
        group = groups[segment["description"].upper()]
        assert not group["archived"]
        tags = _by(group["tags"], "code")
        assert set(tags) == {v["valueId"] for v in segment["segmentValues"]}
        for value in segment["segmentValues"]:
            assert tags[value["valueId"]]["archived"] is (not value["active"])

    vendors = _by(pleo["vendors"], "externalId")
    assert set(vendors) == {s["number"] for s in visma["suppliers"]}
    for supplier in visma["suppliers"]:
        vendor = vendors[supplier["number"]]
        assert (vendor["code"], vendor["name"]) == (supplier["number"], supplier["name"])
        assert vendor["state"] == ("ACTIVE" if supplier["status"] == "Active" else "ARCHIVED")
