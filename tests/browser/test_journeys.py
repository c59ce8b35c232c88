"""Journeys through the pages as finance and support staff walk them, in a real browser against the
sandboxes; screenshots of each key step go to test-results/journeys/ (README names the folder).

The second demo company, Fjord Start AS, from the start: connect Pleo and Visma.net (the company
chosen on Visma Connect's page), sync, create in Visma.net the Pleo Wallet account and the default
vendor its books lack, map and configure; export the README's sample job with the progress bar
moving; its out-of-pocket expense fails because no out-of-pocket account exists, is fixed on the
page its fix link leads to (the account is created there) and retried, and the first run keeps
its history; a support user finds the failed expense by its Pleo id on the exports list.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from django.contrib.auth.models import Group, User

from integrations.connections.access import connection_member_add
from integrations.connections.models import AccountMapping, Connection
from integrations.core.roles import SUPPORT, roles_sync
from integrations.exports.models import ExportItem, ExportRun
from tests.browser.conftest import FINANCE_PASSWORD, RESULTS, SandboxServer
from tests.browser.test_setup_walkthrough import (
    _categories,
    _export_settings,
    _message,
    _nav,
    _sync,
    _tags,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

COMPANY = "Fjord Start AS"
SHOTS = RESULTS / "journeys"
SAMPLE_JOB = Path(__file__).resolve().parents[2] / "docs" / "sample-export-job-fjord-start.json"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# How long the test waits for the worker (runs inline in the live server) to finish a run.
RUN_WAIT_S = 60


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _wait_for(what: str, check: Any) -> Any:
    """Wait (not assert) until `check()` gives something truthy: the worker runs in the live
    server's threads, outside the page."""
    deadline = time.monotonic() + RUN_WAIT_S
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


# -- (a) the whole setup of the second demo company ------------------------------------------


def _connect(page: Any) -> int:
    page.get_by_role("link", name="Connect your first company").click()
    page.get_by_label("Name").fill(COMPANY)
    page.get_by_role("button", name="Create connection").click()
    _message(page, f"Connection “{COMPANY}” created.")
    connection_id = int(re.search(r"/connections/(\d+)/", page.url).group(1))  # type: ignore[union-attr]

    page.get_by_role("button", name="Connect Pleo").click()
    page.wait_for_url(re.compile(r"/sandbox/pleo/oauth/authorize"))
    page.get_by_label("Company").select_option(label=COMPANY)
    _shot(page, "a1-pleo-consent")
    page.get_by_role("button", name="Allow").click()
    _message(page, "Pleo is connected.")

    # Visma.net: no tenant id typed; the company is chosen on Visma Connect's page.
    page.get_by_role("button", name=re.compile("Sign in to Visma.net")).click()
    page.wait_for_url(re.compile(r"/sandbox/visma/connect/authorize"))
    page.get_by_label(re.compile(rf"{COMPANY} \(Company tenant")).check()
    _shot(page, "a2-visma-connect-company")
    page.get_by_role("button", name="Allow").click()
    _message(page, "Visma.net is connected.")
    assert COMPANY in page.locator("main").inner_text()

    page.locator("#branch select").select_option("1")
    page.get_by_role("button", name="Save branch").click()
    _message(page, "Branch saved.")
    page.get_by_role("button", name="Run the permission check").click()
    checklist = page.locator("table.checklist")
    checklist.wait_for()
    assert checklist.locator("td.state-broken").count() == 0, checklist.inner_text()
    return connection_id


def _accounts_with_preparation(page: Any) -> None:
    _nav(page, "Accounts")
    missing = page.locator("#missing")
    missing.wait_for()
    # What will be created is shown before anything is.
    wallet = page.locator("#create-wallet_NOK")
    assert "1925" in wallet.inner_text() and "Pleo Wallet NOK" in wallet.inner_text()
    assert "Account class" in wallet.inner_text()
    assert page.locator("#create-out_of_pocket_account").is_visible()
    assert "Pleo Default Vendor" in page.locator("#create-default_vendor_number").inner_text()
    _shot(page, "a3-accounts-missing-in-visma")
    # The preview fits a phone too.
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(page, "e1-accounts-missing-at-390px")
    page.set_viewport_size(DESKTOP)

    wallet.get_by_role("button", name="Create it in Visma.net").click()
    _message(page, "is created in Visma.net and is mapped")
    page.locator("#create-default_vendor_number").get_by_role(
        "button", name="Create it in Visma.net"
    ).click()
    _message(page, "is created in Visma.net and is mapped")
    # The out-of-pocket account is optional: left for later (the failure journey needs it).
    assert page.get_by_label("Pleo Wallet account (NOK)").input_value() == "1925"
    assert page.get_by_label("Default vendor").input_value() != ""
    page.get_by_label("Tax account").select_option("2710")
    page.get_by_label("Output VAT account").select_option("2700")
    page.get_by_role("button", name="Save").click()
    _message(page, "saved")
    assert page.locator("#history").get_by_text("Created in Visma.net").count() >= 2
    _shot(page, "a4-accounts-created-and-mapped")


def _setup(page: Any) -> int:
    connection_id = _connect(page)
    _sync(page)
    _accounts_with_preparation(page)
    _tags(page)
    _categories(page)
    _export_settings(page)
    _nav(page, "Overview")
    page.get_by_text("Everything is set up: exports can run.").wait_for()
    _shot(page, "a5-setup-done")
    return connection_id


# -- (b) an export with its progress bar moving ----------------------------------------------


def _progress(page: Any) -> tuple[str, str, str]:
    box = page.locator(".run-progress").first
    return (
        page.locator("[data-run-state]").first.inner_text(),
        box.locator("[data-count]").inner_text(),
        box.locator("[data-bar]").evaluate("el => el.style.width"),
    )


def _export(page: Any, sandbox: SandboxServer, connection: Connection) -> ExportRun:
    # Visma.net answering slowly keeps the run going long enough to be watched. Pleo's webhook
    # is delivered inside the call that creates the job, so the export (run inline by the test
    # settings' task queue) is the only writer meanwhile: the test database is SQLite in memory,
    # where concurrent writers fail at once instead of waiting.
    requests.post(f"{sandbox.visma}/_control/latency", json={"ms": 300}, timeout=30)
    requests.post(f"{sandbox.pleo}/_control/webhooks", json={"sync": True}, timeout=30)
    job = json.loads(SAMPLE_JOB.read_text())
    pleo = threading.Thread(
        target=requests.post,
        args=(f"{sandbox.pleo}/_control/export-jobs",),
        kwargs={"json": job, "timeout": RUN_WAIT_S},
        daemon=True,
    )
    pleo.start()
    run = _wait_for(
        "the export run",
        lambda: ExportRun.objects.filter(connection=connection).order_by("-pk").first(),
    )
    page.get_by_role("navigation").get_by_role("link", name="Exports").first.click()
    page.locator(f"a[href='/exports/run/{run.pk}/']").first.click()
    page.wait_for_url(re.compile(rf"/exports/run/{run.pk}/$"))
    first = _progress(page)
    _shot(page, "b1-export-running")
    page.locator("[data-run-state]", has_text="Completed with errors").wait_for(
        timeout=RUN_WAIT_S * 1000
    )
    last = _progress(page)
    _shot(page, "b2-export-finished")
    requests.post(f"{sandbox.visma}/_control/latency", json={"ms": 0}, timeout=30)
    pleo.join(RUN_WAIT_S)
    assert first != last, (first, last)
    assert first[0] != "Completed with errors", first  # seen while it ran
    assert last[1:] == ("2 / 2", "100%"), last
    run.refresh_from_db()
    return run


# -- (c) a failure fixed on the page its link leads to, then retried --------------------------


def _fix_and_retry(page: Any, run: ExportRun) -> ExportRun:
    failures = page.locator("#failures")
    assert failures.get_by_text("No out-of-pocket account").is_visible()
    _shot(page, "c1-failure-explained")
    failures.locator("a.fix-link").first.click()
    page.wait_for_url(re.compile(r"/setup/\d+/accounts/"))
    pocket = page.locator("#create-out_of_pocket_account")
    assert "2915" in pocket.inner_text() and "Pleo Out of pocket" in pocket.inner_text()
    _shot(page, "c2-fix-page")
    pocket.get_by_role("button", name="Create it in Visma.net").click()
    _message(page, "is created in Visma.net and is mapped")
    _shot(page, "c3-fixed")
    # The fix page, shown again after the change, still offers the way back to the run.
    back = page.locator("[data-return-to]")
    assert back.inner_text() == f"← Back to run #{run.number}"
    back.click()
    page.wait_for_url(re.compile(rf"/exports/run/{run.pk}/(#failures)?$"))
    page.locator("#failures").get_by_role("button", name="Retry the affected items").click()
    _message(page, "Retry of 1 item started")
    retry = _wait_for(
        "the retry run",
        lambda: (
            ExportRun.objects.filter(connection=run.connection, pk__gt=run.pk)
            .exclude(status__in=ExportRun.ACTIVE_STATUSES)
            .exclude(status="pending")
            .first()
        ),
    )
    page.goto(f"/exports/run/{retry.pk}/")
    page.locator("[data-run-state]", has_text=re.compile(r"^Completed$")).wait_for()
    _shot(page, "c4-retry-succeeded")
    # The first run keeps its history: its counts, the expense it booked, and the retried
    # expense with a link to the run that retried it…
    page.goto(f"/exports/run/{run.pk}/")
    assert _progress(page) == ("Completed with errors", "2 / 2", "100%")
    booked = run.items.get(status=ExportItem.Status.SUCCESSFUL).accounting_entry_id
    assert page.locator(f'#results tr[data-entry="{booked}"]').is_visible()
    retried = page.locator("#results [data-moved-to]")
    assert retried.inner_text() == f"run #{retry.number}"
    assert f"Retried in run #{retry.number}: now Successful" in retried.locator("..").inner_text()
    _shot(page, "c5-first-run-history")
    # …which leads there, and the retry run's row leads back.
    retried.click()
    page.wait_for_url(re.compile(rf"/exports/run/{retry.pk}/#item-\d+$"))
    came_from = page.locator("#results [data-came-from]")
    assert came_from.inner_text() == f"run #{run.number}"
    assert f"Retry of run #{run.number}" in came_from.locator("..").inner_text()
    came_from.click()
    page.wait_for_url(re.compile(rf"/exports/run/{run.pk}/#item-\d+$"))
    return retry


# -- (d) support finds a failed expense by its Pleo id ---------------------------------------


def _support_finds(
    browser: Any, sandbox: SandboxServer, connection: Connection, entry: str
) -> None:
    roles_sync()
    user = User.objects.create_user("support", password=FINANCE_PASSWORD)
    user.groups.add(Group.objects.get(name=SUPPORT))
    connection_member_add(connection=connection, user=user)
    context = browser.new_context(base_url=sandbox.url)
    page = context.new_page()
    try:
        page.goto("/login/")
        page.get_by_label("Username").fill("support")
        page.get_by_label("Password").fill(FINANCE_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/$"))
        page.get_by_role("navigation").get_by_role("link", name="Exports").first.click()
        page.get_by_role("heading", name=COMPANY).get_by_role("link", name=COMPANY).click()
        search = page.locator("#search")
        search.get_by_label("Search").fill(entry)
        search.get_by_role("button", name="Search").click()
        row = search.locator(f'tr[data-entry="{entry}"]').first
        row.wait_for()
        assert "Ola Nordmann" in row.inner_text()
        _shot(page, "d1-support-finds-by-pleo-id")
        # Each result links to its row on the run page.
        row.get_by_role("link").first.click()
        page.locator(f'#results tr[data-entry="{entry}"]').wait_for()
    finally:
        context.close()


def test_second_company_from_setup_to_a_fixed_failure(
    browser: Any, finance_page: Any, sandbox_live_server: SandboxServer
) -> None:
    page = finance_page
    page.set_viewport_size(DESKTOP)
    connection_id = _setup(page)
    connection = Connection.objects.get(pk=connection_id)
    assert AccountMapping.objects.get(connection=connection).out_of_pocket_account == ""

    run = _export(page, sandbox_live_server, connection)
    failed = run.items.get(status=ExportItem.Status.FAILED)
    assert failed.item_type == "out_of_pocket"

    _fix_and_retry(page, run)
    failed.refresh_from_db()
    _support_finds(browser, sandbox_live_server, connection, failed.accounting_entry_id)
