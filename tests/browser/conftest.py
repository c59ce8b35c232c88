"""Fixtures for the browser tests: Debian's Chromium driven by Playwright, against a live server
that also serves both sandboxes (seeded with the demo preset).

* `browser`: a Chromium instance; skips with the reason when `/usr/bin/chromium` or Playwright
  is missing (`make test` installs Chromium when it can).
* `sandbox_live_server`: the live server with every client setting pointed at its own
  `/sandbox/...`, both sandboxes seeded with the `demo` preset. Gives `.url`, `.pleo_state()`,
  `.visma_state()`.
* `browser_page`: a fresh page whose relative URLs go to the live server; a failing test leaves
  a screenshot in `test-results/`.
* `finance_user` (password `FINANCE_PASSWORD`), `finance_page`: a page signed in as that user
  through the login form.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from integrations.core.roles import FINANCE, roles_sync

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
RESULTS = Path(__file__).resolve().parents[2] / "test-results"
FINANCE_PASSWORD = "finance-pw-4711"
# Long enough for a sync served by the live server, short enough to fail a stuck page quickly.
PAGE_TIMEOUT_MS = 20_000


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Lets `browser_page` know whether the test body failed, to keep a screenshot.
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright from PyPI")
    # Playwright's sync API keeps an event loop running in this thread, so Django would refuse
    # the test's own (synchronous) database reads between browser steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class SandboxServer:
    """The live server's address and the sandboxes' control API."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pleo = f"{url}/sandbox/pleo"
        self.visma = f"{url}/sandbox/visma"

    def pleo_state(self, company: str | None = None) -> dict[str, Any]:
        params = {"companyId": company} if company else {}
        answer = requests.get(f"{self.pleo}/_control/state", params=params, timeout=30)
        answer.raise_for_status()
        return dict(answer.json())

    def visma_state(self) -> dict[str, Any]:
        answer = requests.get(f"{self.visma}/_control/state", timeout=30)
        answer.raise_for_status()
        return dict(answer.json())


@pytest.fixture
def sandbox_live_server(live_server: Any, settings: Any, transactional_db: None) -> SandboxServer:
    base = live_server.url
    settings.PUBLIC_BASE_URL = base
    settings.VISMA_CONNECT_URL = settings.VISMA_API_URL = f"{base}/sandbox/visma"
    settings.PLEO_AUTH_URL = settings.PLEO_API_URL = f"{base}/sandbox/pleo"
    settings.VISMA_CLIENT_ID, settings.VISMA_CLIENT_SECRET = (
        "demo-visma-client",
        "demo-visma-secret",
    )
    settings.PLEO_CLIENT_ID, settings.PLEO_CLIENT_SECRET = "demo-pleo-client", "demo-pleo-secret"
    settings.REMOTE_MAX_RETRY_WAIT = 0.0
    call_command("sandbox_seed", preset="demo")
    return SandboxServer(base)


@pytest.fixture
def browser_page(
    browser: Any, sandbox_live_server: SandboxServer, request: pytest.FixtureRequest
) -> Iterator[Any]:
    context = browser.new_context(base_url=sandbox_live_server.url)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        if request.node.stash.get(_CALL_FAILED, False):
            RESULTS.mkdir(exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-120:]
            page.screenshot(path=str(RESULTS / f"failed-{name}.png"), full_page=True)
        context.close()


@pytest.fixture
def finance_user(transactional_db: None) -> User:
    roles_sync()
    user = User.objects.create_user("finance", password=FINANCE_PASSWORD)
    user.groups.add(Group.objects.get(name=FINANCE))
    return user


@pytest.fixture
def finance_page(browser_page: Any, finance_user: User) -> Any:
    """`browser_page`, signed in as `finance_user` through the login form."""
    browser_page.goto("/login/")
    browser_page.get_by_label("Username").fill(finance_user.username)
    browser_page.get_by_label("Password").fill(FINANCE_PASSWORD)
    browser_page.get_by_role("button", name="Log in").click()
    browser_page.wait_for_url(re.compile(r"/$"))
    return browser_page
