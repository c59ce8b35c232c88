"""The Exports run page in a real browser: the progress bar moves while the run works and the
results appear when it ends."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from integrations.connections.fixes import FixPage, FixTarget
from integrations.exports.models import ExportRun
from tests.exports import ui_factories as f

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)",
    ),
]


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the test's own database reads
    # between browser steps are ordinary synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page()
        try:
            yield page
        finally:
            # Leave the live server idle before it is torn down: no poll or page load in flight.
            page.goto("about:blank")
            page.wait_for_load_state("networkidle")
            browser.close()


def _login(page: Any, base: str) -> None:
    client = Client()
    client.force_login(f.finance())
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base}]
    )


def test_run_page_shows_live_progress_then_results(live_server: Any, page: Any) -> None:
    connection = f.connection_make()
    run = f.run_make(connection, status=ExportRun.Status.POSTING, items_total=4, items_done=1)
    f.item_make(run, "e-1", visma_number="000201", supplier="Clas Ohlson", user="Jane Doe")
    for entry in ("e-2", "e-3"):
        f.item_make(run, entry, status="planned", supplier="Narvesen")
    f.item_make(
        run,
        "e-4",
        status="failed",
        reason_type="account_unknown",
        reason="Account 6999 is inactive in Visma.net: activate it or map category 'Old' to "
        "another account on the Categories page",
        fix=FixTarget(FixPage.CATEGORIES, "account_cat-old"),
        supplier="Gammel Butikk",
    )
    _login(page, live_server.url)

    page.goto(f"{live_server.url}/exports/run/{run.pk}/")
    bar = page.locator(".run-progress [data-bar]")
    assert bar.evaluate("el => el.style.width") == "25%"
    assert page.locator("[data-count]").inner_text() == "1 / 4"
    first = page.locator('#results tr[data-entry="e-1"]')
    assert "Clas Ohlson" in first.inner_text() and "000201" in first.inner_text()

    # The worker moves on: the page follows without a reload…
    ExportRun.objects.filter(pk=run.pk).update(items_done=3)
    page.wait_for_function(
        "document.querySelector('[data-count]').textContent === '3 / 4'", timeout=5000
    )
    assert bar.evaluate("el => el.style.width") == "75%"

    # …and once the run ends it shows the final results and the grouped failure.
    run.items.filter(status="planned").update(status="successful", visma_number="000202")
    ExportRun.objects.filter(pk=run.pk).update(
        items_done=4, status=ExportRun.Status.COMPLETED_WITH_ERRORS
    )
    page.wait_for_selector("text=Completed with errors", timeout=5000)
    assert page.locator(".run-progress [data-bar]").evaluate("el => el.style.width") == "100%"
    assert page.locator("[data-count]").inner_text() == "4 / 4"
    rows = page.locator("#results tbody tr")
    assert rows.count() == 4
    assert page.locator("#results").get_by_text("000202").count() == 2
    failures = page.locator("#failures")
    assert failures.get_by_text("Account 6999 is inactive in Visma.net").is_visible()
    # The fix opens the category's field and carries the way back to this run.
    assert failures.get_by_role("link", name="Categories page").get_attribute("href") == (
        f"/setup/{connection.pk}/categories/?next=%2Fexports%2Frun%2F{run.pk}%2F%23failures"
        f"&back_run={run.number}#id_account_cat-old"
    )
    assert failures.get_by_role("button", name="Retry the affected items").is_visible()


def test_lists_of_every_connection_follow_new_runs_and_failures(
    live_server: Any, page: Any
) -> None:
    # Home, Connections and Exports ask for their list again every few seconds, as a
    # connection's runs list does: what happened meanwhile appears without a reload.
    connection = f.connection_make()
    first = f.run_make(connection, job_id="job-1", status=ExportRun.Status.COMPLETED)
    f.item_make(first, "e-1")
    # Three tabs of one signed-in browser context, watched side by side.
    context = page.context.browser.new_context()
    client = Client()
    client.force_login(f.finance())
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )
    opened = {}
    for path in ("/", "/connections/", "/exports/"):
        opened[path] = context.new_page()
        opened[path].goto(f"{live_server.url}{path}")
        assert opened[path].locator("[data-attention]").count() == 0

    second = f.run_make(connection, job_id="job-2")
    f.item_make(second, "e-2", status="failed", reason_type="vendor_unknown", reason="No vendor.")
    for path in ("/", "/connections/"):
        opened[path].wait_for_selector("[data-attention]", timeout=15_000)
        assert "1 item needs attention" in opened[path].locator("[data-attention]").inner_text()
    opened["/exports/"].wait_for_selector(f'tr[data-run="{second.pk}"]', timeout=15_000)
    for tab in opened.values():
        tab.goto("about:blank")
    context.close()
