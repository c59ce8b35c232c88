"""The dashboard of a connection: exports per day as an accessible server-drawn chart, last and
next sync per kind, sign-ins with a reconnect prompt before they end, Visma.net's call budget
from the rate-limit headers, the last webhook; a bounded number of queries; members only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection as db
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from integrations.connections.models import Connection
from integrations.connections.token_health import token_health
from integrations.core.models import ApiCall
from integrations.core.tokens import OAuthToken
from integrations.exports.chart import DayCount, exports_chart_svg
from integrations.exports.dashboard import exports_per_day
from integrations.exports.models import ExportItem
from integrations.masterdata.models import SyncRun
from integrations.masterdata.schedules import schedules_ensure
from integrations.pleo.models import WebhookEvent
from tests.exports import ui_factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection() -> Connection:
    return f.connection_make()


def _page(connection: Connection, client: Client | None = None) -> object:
    if client is None:
        client = Client()
        client.force_login(f.finance())
    return client.get(reverse("exports:dashboard", args=[connection.pk]))


def _items(connection: Connection, *, days_ago: int, ok: int, failed: int, job: str) -> None:
    run = f.run_make(connection, job_id=job)
    at = timezone.now() - timedelta(days=days_ago)
    for n in range(ok + failed):
        item = f.item_make(
            run,
            f"{job}-{n}",
            status=ExportItem.Status.SUCCESSFUL if n < ok else ExportItem.Status.FAILED,
        )
        ExportItem.objects.filter(pk=item.pk).update(pleo_reported_at=at)


def test_exports_per_day_counts_outcomes_per_day(connection: Connection) -> None:
    _items(connection, days_ago=0, ok=3, failed=1, job="today")
    _items(connection, days_ago=2, ok=0, failed=2, job="two-days")
    _items(connection, days_ago=40, ok=5, failed=0, job="too-old")
    other = Connection.objects.create(name="Other AS")
    _items(other, days_ago=0, ok=7, failed=7, job="other")
    days = exports_per_day(connection=connection)
    assert len(days) == 30
    today = timezone.localdate()
    assert days[-1] == DayCount(day=today, successful=3, failed=1)
    assert days[-3] == DayCount(day=today - timedelta(days=2), successful=0, failed=2)
    assert sum(d.total for d in days) == 6


def test_chart_is_svg_with_title_description_and_a_bar_per_day() -> None:
    today = timezone.localdate()
    days = [DayCount(today - timedelta(days=1), 2, 0), DayCount(today, 1, 1)]
    svg = str(exports_chart_svg(days, title="Exports <per> day"))
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert 'aria-labelledby="chart-title chart-desc"' in svg
    assert '<title id="chart-title">Exports &lt;per&gt; day</title>' in svg
    assert "3 items exported, 1 failed." in svg
    assert svg.count('class="ok"') == 2 and svg.count('class="failed"') == 2
    assert f"{today.day} {today:%b %Y}: 1 successful, 1 failed" in svg  # the pages' date format


def test_page_shows_every_block(connection: Connection) -> None:
    _items(connection, days_ago=1, ok=2, failed=1, job="j")
    schedules_ensure()
    soon = timezone.now() + timedelta(hours=1)
    Schedule.objects.filter(name__contains="tags and vendors").update(next_run=soon)
    Schedule.objects.exclude(name__contains="tags and vendors").update(
        next_run=soon + timedelta(hours=5)
    )
    SyncRun.objects.create(
        connection=connection,
        kind="accounts",
        kinds=["accounts"],
        status=SyncRun.Status.SUCCEEDED,
        finished_at=timezone.now() - timedelta(hours=2),
    )
    ApiCall.objects.create(
        service=ApiCall.Service.VISMA,
        method="GET",
        url="https://x/v1/account",
        path="/v1/account",
        status_code=200,
        connection_id=connection.pk,
        response_headers={
            "X-RateLimit-Limit": "1000",
            "X-RateLimit-Remaining": "850",
            "X-RateLimit-Reset": "1200",
        },
    )
    # A later answer without the headers does not hide the budget.
    ApiCall.objects.create(
        service=ApiCall.Service.VISMA, method="GET", url="https://x", path="/", status_code=200,
        connection_id=connection.pk,
    )  # fmt: skip
    WebhookEvent.objects.create(
        delivery_id="d-1",
        event_type="v1.export-job.created",
        connection_id=connection.pk,
        accepted=True,
        status=WebhookEvent.Status.PROCESSED,
    )
    WebhookEvent.objects.create(
        delivery_id="d-2", event_type="forged", connection_id=connection.pk, accepted=False,
        status=WebhookEvent.Status.REJECTED,
    )  # fmt: skip
    page = _page(connection)
    assert page.status_code == 200  # type: ignore[attr-defined]
    html = page.content.decode()  # type: ignore[attr-defined]
    dashboard = page.context["dashboard"]  # type: ignore[attr-defined]
    assert (dashboard.exported, dashboard.failed) == (2, 1)
    assert "<svg" in html and "The same figures as a table" in html
    syncs = {s.kind: s for s in dashboard.syncs}
    assert syncs["accounts"].last is not None and syncs["tags"].last is None
    assert syncs["tags"].next_at == soon
    assert syncs["accounts"].next_at == soon + timedelta(hours=5)
    budget = dashboard.budget
    assert (budget.limit, budget.remaining, budget.used_percent) == (1000, 850, 15)
    assert budget.resets_at == budget.seen_at + timedelta(seconds=1200)
    assert "<strong>850</strong> of 1000 calls left" in html
    assert dashboard.webhook.event_type == "v1.export-job.created"
    assert "Someone clicked Export in Pleo, received" in html and "(processed)" in html
    assert "v1.export-job.created" not in html
    assert "Never synced" in html
    # Each kind says how often its schedule runs, and that the schedules are shared.
    assert syncs["tags"].every_text == "every hour"
    assert syncs["accounts"].every_text == "every day"
    assert "(every hour)" in html and "shared by every connected company" in html
    # One date format on every page: "29 Nov 2026, 18:34".
    assert re.search(r"\d{4}-\d{2}-\d{2}", html.split("<svg")[0] + html.split("</svg>")[-1]) is None


def test_sign_in_ending_soon_prompts_a_reconnect(connection: Connection) -> None:
    Connection.objects.filter(pk=connection.pk).update(
        pleo_refresh_token="r", pleo_refresh_expires_at=timezone.now() + timedelta(days=3)
    )
    page = _page(connection)
    html = page.content.decode()  # type: ignore[attr-defined]
    detail = reverse("connections:detail", args=[connection.pk])
    assert f'href="{detail}#pleo">Connect Pleo again</a>' in html
    [pleo, visma] = page.context["dashboard"].tokens  # type: ignore[attr-defined]
    assert pleo.state == "warn" and "The sign-in ends" in pleo.message
    assert visma.state == "missing"


def test_token_health_states(connection: Connection) -> None:
    now = timezone.now()
    Connection.objects.filter(pk=connection.pk).update(
        pleo_refresh_token="r",
        pleo_refresh_expires_at=now + timedelta(days=30),
        visma_auth_mode=Connection.VismaAuthMode.INTERACTIVE,
        visma_tenant_id="t",
        visma_refresh_token="v",
        visma_refresh_expires_at=now - timedelta(minutes=1),
    )
    connection.refresh_from_db()
    pleo, visma = token_health(connection=connection, now=now)
    assert pleo.state == "ok" and "Renews itself" in pleo.message
    assert visma.state == "expired" and visma.needs_reconnect
    Connection.objects.filter(pk=connection.pk).update(
        visma_auth_mode=Connection.VismaAuthMode.SERVICE, visma_connected_at=now
    )
    connection.refresh_from_db()
    assert token_health(connection=connection, now=now)[1].state == "ok"


def test_refresh_token_end_from_the_answer_or_the_documented_lifetime() -> None:
    token = OAuthToken.from_response(
        {"access_token": "a", "refresh_token": "r", "expires_in": 900},
        refresh_lifetime=timedelta(days=60),
    )
    assert token.refresh_expires_at is not None
    assert timedelta(days=59) < token.refresh_expires_at - timezone.now() <= timedelta(days=60)
    told = OAuthToken.from_response(
        {"access_token": "a", "refresh_token": "r", "refresh_token_expires_in": 3600},
        refresh_lifetime=timedelta(days=60),
    )
    assert told.refresh_expires_at is not None
    assert told.refresh_expires_at - timezone.now() <= timedelta(hours=1)
    # No new refresh token: the old one, and its end, still hold.
    kept = OAuthToken.from_response({"access_token": "b"}, previous=told)
    assert kept.refresh_expires_at == told.refresh_expires_at
    assert OAuthToken.from_response({"access_token": "c"}).refresh_expires_at is None


def test_queries_do_not_grow_with_history(connection: Connection) -> None:
    client = Client()
    client.force_login(f.finance())
    _items(connection, days_ago=1, ok=1, failed=0, job="a")
    with CaptureQueriesContext(db) as few:
        assert _page(connection, client).status_code == 200  # type: ignore[attr-defined]
    for day in range(10):
        _items(connection, days_ago=day, ok=3, failed=2, job=f"b{day}")
        SyncRun.objects.create(
            connection=connection, kind="all", status=SyncRun.Status.SUCCEEDED,
            finished_at=timezone.now(),
        )  # fmt: skip
    with CaptureQueriesContext(db) as many:
        assert _page(connection, client).status_code == 200  # type: ignore[attr-defined]
    assert len(many) == len(few)
    assert len(many) <= 12, [q["sql"] for q in many.captured_queries]


def test_another_companys_dashboard_is_404(connection: Connection) -> None:
    client = Client()
    client.force_login(f.finance())  # a member of the connections that exist now
    other = Connection.objects.create(name="Zulu AS")
    assert _page(other, client).status_code == 404  # type: ignore[attr-defined]
    anonymous = Client().get(reverse("exports:dashboard", args=[connection.pk]))
    assert anonymous.status_code == 302


def test_connection_page_prompts_a_reconnect_before_the_sign_in_ends(
    connection: Connection,
) -> None:
    client = Client()
    client.force_login(f.finance())
    page = client.get(reverse("connections:detail", args=[connection.pk]))
    assert "Connect Pleo again" not in page.content.decode()
    Connection.objects.filter(pk=connection.pk).update(
        pleo_access_token="a",
        pleo_refresh_token="r",
        pleo_refresh_expires_at=timezone.now() + timedelta(days=2),
    )
    html = client.get(reverse("connections:detail", args=[connection.pk])).content.decode()
    assert "Pleo: The sign-in ends" in html
    assert '<a href="#pleo">Connect Pleo again</a>' in html
    assert reverse("exports:dashboard", args=[connection.pk]) in html
