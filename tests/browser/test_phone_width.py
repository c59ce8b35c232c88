"""The main pages at a phone's width (390 px): nothing scrolls sideways, the header wraps and
"Log out" stays on the screen. Screenshots of each page go to test-results/phone/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from integrations.connections.access import connection_member_add
from integrations.connections.models import Connection
from integrations.exports.models import ExportRun
from tests.browser.conftest import FINANCE_PASSWORD, RESULTS, SandboxServer
from tests.exports import ui_factories as f

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PHONE = {"width": 390, "height": 844}


def test_main_pages_fit_a_phone(
    browser: Any, sandbox_live_server: SandboxServer, finance_user: Any
) -> None:
    call_command("demo_connect")
    connection = Connection.objects.get(name="Nordlys Demo AS")
    connection_member_add(connection=connection, user=finance_user)
    run = f.run_make(connection, status=ExportRun.Status.COMPLETED, items_total=2, items_done=2)
    f.item_make(
        run,
        "e-1",
        visma_number="000201",
        supplier="Nordisk Kontorrekvisita og Datautstyr Aksjeselskap Avdeling Vest",
        user="Kari Nordmann-Johannessen",
    )
    f.item_make(
        run,
        "e-2",
        status="failed",
        reason_type="account_unknown",
        reason="Category 'Reise og diett, innenlands og utenlands' has no Visma.net account.",
        supplier="Scandinavian Airlines System Denmark-Norway-Sweden",
    )

    pages = {
        "home": reverse("home"),
        "connections": reverse("connections:list"),
        "connection": reverse("connections:detail", args=[connection.pk]),
        "export-settings": reverse("connections:export_settings", args=[connection.pk]),
        "exports": reverse("exports:index"),
        "exports-connection": reverse("exports:connection", args=[connection.pk]),
        "run": reverse("exports:run", args=[run.pk]),
        "dashboard": reverse("exports:dashboard", args=[connection.pk]),
        "setup": reverse("masterdata:setup_overview", args=[connection.pk]),
        "accounts": reverse("masterdata:setup_accounts", args=[connection.pk]),
        "tags": reverse("masterdata:setup_tags", args=[connection.pk]),
        "categories": reverse("masterdata:setup_categories", args=[connection.pk]),
        "sync": reverse("masterdata:sync", args=[connection.pk]),
        "vendors": reverse("masterdata:vendors", args=[connection.pk]),
    }

    context = browser.new_context(base_url=sandbox_live_server.url, viewport=PHONE)
    page = context.new_page()
    try:
        page.goto("/login/")
        page.get_by_label("Username").fill(finance_user.username)
        page.get_by_label("Password").fill(FINANCE_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/$"))
        folder = RESULTS / "phone"
        folder.mkdir(parents=True, exist_ok=True)
        too_wide = {}
        for name, path in pages.items():
            answer = page.goto(path)
            assert answer is not None and answer.status == 200, (name, path)
            page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                too_wide[name] = width
            logout = page.get_by_role("button", name="Log out").bounding_box()
            assert logout is not None, name
            assert logout["x"] >= 0 and logout["x"] + logout["width"] <= PHONE["width"], name
        assert too_wide == {}, f"pages wider than the phone: {too_wide}"
    finally:
        page.goto("about:blank")
        context.close()
