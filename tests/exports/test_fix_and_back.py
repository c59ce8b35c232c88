"""One click from a failure to its fix and back: the run page's fix link opens the setup page at
the field with the way back; the page offers "Back to run #N", also after saving (the page is
shown again at its own address); only addresses on this site are offered."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from integrations.connections.fixes import FixPage, FixTarget
from integrations.connections.models import Connection
from integrations.exports.models import ExportRun
from tests.exports import ui_factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection() -> Connection:
    return f.connection_make()


@pytest.fixture
def client() -> Client:
    client = Client()
    user: User = f.finance()
    client.force_login(user)
    return client


@pytest.fixture
def run(connection: Connection) -> ExportRun:
    f.run_make(connection, job_id="job-0")  # so this run is #2 of the connection
    run = f.run_make(connection, job_id="job-1")
    f.item_make(run, "e-1", status="failed", reason_type="account_unknown",
                reason="Account 7140 is inactive", fix=FixTarget(FixPage.CATEGORIES, "account_cat-1"))  # fmt: skip
    return run


def _back_link(html: str) -> tuple[str, str] | None:
    found = re.search(r'<a href="([^"]*)" data-return-to>← ([^<]*)</a>', html)
    return (unescape(found.group(1)), found.group(2)) if found else None


def test_from_the_failure_to_its_fix_and_back(run: ExportRun, client: Client) -> None:
    run_url = reverse("exports:run", args=[run.pk])
    html = client.get(run_url).content.decode()
    fix = unescape(re.search(r'<a class="fix-link" href="([^"]+)"', html).group(1))  # type: ignore[union-attr]
    page = reverse("masterdata:setup_categories", kwargs={"connection_id": run.connection_id})
    assert fix.startswith(page + "?") and fix.endswith("#id_account_cat-1")
    response = client.get(fix.split("#")[0])
    assert response.status_code == 200
    assert _back_link(response.content.decode()) == (f"{run_url}#failures", "Back to run #2")
    # Saving posts and shows the page again at its own address: the way back is still there.
    again = client.get(page).content.decode()
    assert _back_link(again) == (f"{run_url}#failures", "Back to run #2")
    # Another page does not inherit it.
    tags = reverse("masterdata:setup_tags", kwargs={"connection_id": run.connection_id})
    assert _back_link(client.get(tags).content.decode()) is None
    # Back on the run page, the retry is offered.
    assert "Retry the affected items" in client.get(run_url).content.decode()


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/exports/run/1/",
        "//evil.example/x",
        "javascript:alert(1)",
        "/\\evil.example",
        "exports/run/1/",
        "",
    ],
)
def test_only_an_address_on_this_site_is_offered(
    connection: Connection, client: Client, target: str
) -> None:
    page = reverse("masterdata:setup_categories", kwargs={"connection_id": connection.pk})
    response = client.get(page, {"next": target, "back_run": "3"})
    assert response.status_code == 200
    assert _back_link(response.content.decode()) is None
    assert _back_link(client.get(page).content.decode()) is None


def test_the_label_is_only_ever_a_run_number(connection: Connection, client: Client) -> None:
    page = reverse("connections:export_settings", args=[connection.pk])
    html = client.get(page, {"next": "/exports/", "back_run": "<b>pwned</b>"}).content.decode()
    assert _back_link(html) == ("/exports/", "Back")
    assert "pwned" not in html
