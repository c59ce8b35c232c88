"""The Exports pages: runs with progress, a run's results and grouped failures, rights, retry."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from integrations.connections.fixes import FixPage, FixTarget
from integrations.connections.models import Connection
from integrations.exports import services as export_services
from integrations.exports.models import ExportItem, ExportRun
from tests.exports import ui_factories as f

pytestmark = pytest.mark.django_db

WALLET_MISSING = "No Pleo Wallet account for EUR: set it on the Accounts page"
INACTIVE_7140 = (
    "Account 7140 is inactive in Visma.net: activate it or map category 'Travel' to another "
    "account on the Categories page"
)
INACTIVE_6540 = (
    "Account 6540 is inactive in Visma.net: activate it or map category 'Equipment' to another "
    "account on the Categories page"
)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def connection() -> Connection:
    return f.connection_make()


@pytest.fixture
def run(connection: Connection) -> ExportRun:
    run = f.run_make(connection, items_total=5, items_done=5, items_failed=3)
    f.item_make(
        run,
        "e-ok",
        visma_number="000123",
        visma_document_type="journal",
        supplier="Clas Ohlson",
        user="Jane Doe",
    )
    # As the poster stores them: the reason and the fixing page as data, the message for people.
    f.item_make(run, "e-f1", status="failed", reason_type="account_unknown", reason=INACTIVE_7140,
                fix=FixTarget(FixPage.CATEGORIES, "account_cat-travel"))  # fmt: skip
    f.item_make(run, "e-f2", status="failed", reason_type="account_unknown", reason=INACTIVE_6540,
                fix=FixTarget(FixPage.CATEGORIES, "account_cat-1"))  # fmt: skip
    f.item_make(
        run, "e-f3", status="failed", reason_type="missing_configuration", reason=WALLET_MISSING,
        fix=FixTarget(FixPage.ACCOUNTS, "wallet_EUR"),
    )  # fmt: skip
    f.item_make(run, "e-pending", status="pending")
    return run


@pytest.fixture
def finance_client() -> Client:
    return _client(f.finance())


@pytest.fixture
def support_client() -> Client:
    return _client(f.support())


@pytest.fixture
def retries(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def fake(**kwargs: Any) -> export_services.RetryResult:
        calls.append(kwargs)
        return export_services.RetryResult(runs=[ExportRun(pleo_job_id="job-retry")])

    monkeypatch.setattr(export_services, "export_items_retry", fake)
    return calls


def _pages(run: ExportRun) -> list[str]:
    return [
        reverse("exports:index"),
        reverse("exports:connection", args=[run.connection_id]),
        reverse("exports:run", args=[run.pk]),
        reverse("exports:run_status", args=[run.pk]),
    ]


@pytest.mark.parametrize("who", ["finance", "support"])
def test_pages_render_for_finance_and_support(
    who: str, run: ExportRun, finance_client: Client, support_client: Client
) -> None:
    client = finance_client if who == "finance" else support_client
    for url in _pages(run):
        response = client.get(url)
        assert response.status_code == 200, url


def test_anonymous_users_are_sent_to_the_login_page(run: ExportRun) -> None:
    for url in _pages(run):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_users_without_a_role_are_refused(run: ExportRun) -> None:
    client = _client(f.user_with_role(None, "nobody"))
    assert client.get(reverse("exports:run", args=[run.pk])).status_code == 403


def test_connection_page_lists_runs_newest_first_with_counts(
    connection: Connection, run: ExportRun, finance_client: Client
) -> None:
    older = f.run_make(connection, job_id="job-0", status=ExportRun.Status.COMPLETED)
    ExportRun.objects.filter(pk=older.pk).update(created_at=f.at(1))
    active = f.run_make(connection, job_id="job-2", status="posting", items_total=4, items_done=1)
    html = finance_client.get(reverse("exports:connection", args=[connection.pk])).content.decode()
    assert html.index("job-2") < html.index("job-1") < html.index("job-0")
    # The active run is polled; its bar is 1 of 4 done.
    assert reverse("exports:run_status", args=[active.pk]) in html
    assert "width: 25%" in html
    assert "1 / 4" in html
    # job-1: 1 successful, 3 failed.
    assert '<span class="state-done" data-successful>1</span>' in html
    assert '<span class="state-failed" data-failed>3</span>' in html


def test_run_page_shows_each_item_with_its_result(run: ExportRun, finance_client: Client) -> None:
    html = finance_client.get(reverse("exports:run", args=[run.pk])).content.decode()
    assert "Card purchase" in html
    assert "14 Mar 2026" in html  # the one date format of the pages
    assert "500.00 NOK" in html
    assert "Clas Ohlson" in html and "Jane Doe" in html
    # The Visma.net number says what kind of document it is; the API address is no page for
    # a finance user, so it is not linked.
    assert "Journal 000123" in html
    assert "journaltransaction/000123" not in html
    assert INACTIVE_7140.replace("'", "&#x27;") in html
    # A finished run is not polled.
    assert "data-status-url=" not in html


def test_failures_are_grouped_by_cause_with_the_page_that_fixes_them(
    run: ExportRun, finance_client: Client
) -> None:
    response = finance_client.get(reverse("exports:run", args=[run.pk]))
    groups = response.context["groups"]
    # The two inactive accounts are one cause (numbers and names differ), the wallet another.
    assert [(g.reason_type, len(g.items)) for g in groups] == [
        ("account_unknown", 2),
        ("missing_configuration", 1),
    ]
    html = response.content.decode()
    categories = reverse("masterdata:setup_categories", kwargs={"connection_id": run.connection_id})
    accounts = reverse("masterdata:setup_accounts", kwargs={"connection_id": run.connection_id})
    # Each fix link opens the page at the field and carries the way back to this run.
    back = f"next=%2Fexports%2Frun%2F{run.pk}%2F%23failures&amp;back_run={run.number}"
    assert (
        f'<a class="fix-link" href="{categories}?{back}#id_account_cat-travel">Categories page</a>'
        in html
    )
    assert f'<a class="fix-link" href="{accounts}?{back}#id_wallet_EUR">Accounts page</a>' in html
    assert html.count("Retry the affected items") == 2


def test_support_sees_no_retry_button(run: ExportRun, support_client: Client) -> None:
    html = support_client.get(reverse("exports:run", args=[run.pk])).content.decode()
    assert "Retry the affected items" not in html
    assert "Only finance staff can retry items." in html


def test_retry_calls_the_service_with_the_failed_items_of_the_run(
    run: ExportRun, finance_client: Client, retries: list[dict[str, Any]]
) -> None:
    failed = list(run.items.filter(status="failed").values_list("pk", flat=True))
    ok = run.items.get(accounting_entry_id="e-ok").pk
    other_run = f.run_make(run.connection, job_id="job-other")
    stranger = f.item_make(other_run, "e-other", status="failed", reason_type="x", reason="y")
    response = finance_client.post(
        reverse("exports:run_retry", args=[run.pk]),
        {"item": [*failed, ok, stranger.pk]},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("exports:run", args=[run.pk])
    # Only this run's failed items are retried, by the user who asked.
    assert retries == [{"item_ids": sorted(failed), "by": "fiona"}]
    assert "Retry of 3 items started with the current mappings (new Pleo job job-retry)" in (
        response.content.decode()
    )


def test_retry_refused_by_the_service_says_why(
    run: ExportRun, finance_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(**kwargs: Any) -> None:
        raise export_services.ExportRetryError("Pleo has an export running for this company")

    monkeypatch.setattr(export_services, "export_items_retry", refuse)
    failed = list(run.items.filter(status="failed").values_list("pk", flat=True))
    response = finance_client.post(
        reverse("exports:run_retry", args=[run.pk]), {"item": failed}, follow=True
    )
    assert "Pleo has an export running for this company" in response.content.decode()


def test_retry_with_nothing_failed_calls_nothing(
    run: ExportRun, finance_client: Client, retries: list[dict[str, Any]]
) -> None:
    ok = run.items.get(accounting_entry_id="e-ok").pk
    response = finance_client.post(
        reverse("exports:run_retry", args=[run.pk]), {"item": [ok]}, follow=True
    )
    assert retries == []
    assert "nothing to retry" in response.content.decode()


def test_support_cannot_retry(
    run: ExportRun, support_client: Client, retries: list[dict[str, Any]]
) -> None:
    failed = list(run.items.filter(status="failed").values_list("pk", flat=True))
    response = support_client.post(reverse("exports:run_retry", args=[run.pk]), {"item": failed})
    assert response.status_code == 403
    assert retries == []


def test_retry_needs_post_and_a_csrf_token(run: ExportRun, retries: list[dict[str, Any]]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(f.finance())
    url = reverse("exports:run_retry", args=[run.pk])
    failed = list(run.items.filter(status="failed").values_list("pk", flat=True))
    assert client.get(url).status_code == 405
    assert client.post(url, {"item": failed}).status_code == 403
    assert retries == []
    # With the token from the page's form the same request goes through.
    page = client.get(reverse("exports:run", args=[run.pk]))
    token = page.context["csrf_token"]
    assert client.post(url, {"item": failed, "csrfmiddlewaretoken": str(token)}).status_code == 302
    assert len(retries) == 1


def test_status_endpoint_reports_progress_and_counts(
    connection: Connection, finance_client: Client
) -> None:
    run = f.run_make(connection, job_id="job-live", status="posting", items_total=4, items_done=3)
    f.item_make(run, "a", status="successful", visma_number="1")
    f.item_make(run, "b", status="successful", visma_number="2")
    f.item_make(run, "c", status="failed", reason_type="tag_unknown", reason="…")
    f.item_make(run, "d", status="planned")
    data = finance_client.get(reverse("exports:run_status", args=[run.pk])).json()
    assert data == {
        "id": run.pk,
        "status": "posting",
        "status_label": "Posting to Visma.net",
        "finished": False,
        "items_done": 3,
        "items_total": 4,
        "percent": 75,
        "successful": 2,
        "failed": 1,
    }


def test_active_run_page_polls_its_status(connection: Connection, finance_client: Client) -> None:
    run = f.run_make(connection, job_id="job-live", status="fetching", items_total=0)
    html = finance_client.get(reverse("exports:run", args=[run.pk])).content.decode()
    assert f'data-status-url="{reverse("exports:run_status", args=[run.pk])}"' in html
    assert "setTimeout(tick, 1000)" in html


def test_unknown_run_is_404(finance_client: Client, db: None) -> None:
    assert finance_client.get(reverse("exports:run", args=[999])).status_code == 404


def test_items_are_kept_when_the_payload_cannot_be_read(
    run: ExportRun, finance_client: Client
) -> None:
    ExportItem.objects.create(
        run=run, connection=run.connection, accounting_entry_id="broken", item_type="fee",
        payload={"accountingEntryId": "broken"}, status="failed",
        failure_reason_type="validation_failure", failure_reason="Pleo sent a broken item",
    )  # fmt: skip
    html = finance_client.get(reverse("exports:run", args=[run.pk])).content.decode()
    assert 'data-entry="broken"' in html
    assert "Pleo sent a broken item" in html


def test_run_colours_follow_the_state(connection: Connection, finance_client: Client) -> None:
    all_failed = f.run_make(connection, job_id="job-all-failed")
    f.item_make(all_failed, "e-1", status=ExportItem.Status.FAILED, reason_type="account_unknown")
    f.item_make(all_failed, "e-2", status=ExportItem.Status.FAILED, reason_type="account_unknown")
    all_ok = f.run_make(connection, job_id="job-all-ok", status=ExportRun.Status.COMPLETED)
    f.item_make(all_ok, "e-3")

    failed_page = finance_client.get(reverse("exports:run", args=[all_failed.pk])).content.decode()
    # Every item failed: the bar is red, not the in-progress blue; "0 successful" is not green.
    assert 'class="progress progress-failed"' in failed_page
    assert '<span class="muted" data-successful>0</span>' in failed_page
    assert '<span class="state-failed" data-failed>2</span>' in failed_page

    ok_page = finance_client.get(reverse("exports:run", args=[all_ok.pk])).content.decode()
    # Nothing failed: "0 failed" is not red and the bar is green.
    assert '<span class="muted" data-failed>0</span>' in ok_page
    assert 'class="progress progress-ok"' in ok_page


def test_failures_surface_on_home_connections_and_the_connection_page(
    connection: Connection, finance_client: Client
) -> None:
    older = f.run_make(connection, job_id="job-old")
    f.item_make(older, "e-old", status=ExportItem.Status.FAILED, reason_type="account_unknown")
    ExportItem.objects.filter(accounting_entry_id="e-old").update(created_at=f.at(3))
    newer = f.run_make(connection, job_id="job-new")
    f.item_make(newer, "e-new", status=ExportItem.Status.FAILED, reason_type="account_unknown")
    f.item_make(newer, "e-fine")
    oldest_run = reverse("exports:run", args=[older.pk])
    for url in (
        reverse("home"),
        reverse("connections:list"),
        reverse("connections:detail", args=[connection.pk]),
    ):
        html = finance_client.get(url).content.decode()
        assert f'href="{oldest_run}" data-attention>2 items need attention</a>' in html, url
        assert "Ready to export." not in html


def test_nothing_needs_attention_without_failures(
    connection: Connection, finance_client: Client
) -> None:
    run = f.run_make(connection, job_id="job-ok", status=ExportRun.Status.COMPLETED)
    f.item_make(run, "e-ok")
    html = finance_client.get(reverse("connections:detail", args=[connection.pk])).content.decode()
    assert "data-attention" not in html and "need attention" not in html
