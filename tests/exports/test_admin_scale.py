"""The export item list of the admin stays a fixed number of queries however many items there
are: no query per row, no full count, filters read once (the time at 100,000 rows is measured
by `python -m benchmarks admin`, not here)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection as db
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.exports.models import ExportItem, ExportRun
from tests.exports import ui_factories as f

pytestmark = pytest.mark.django_db

ROWS = 300
MAX_QUERIES = 10


def _items(runs: list[ExportRun], count: int, *, start: int = 0) -> None:
    ExportItem.objects.bulk_create(
        ExportItem(
            run=runs[i % len(runs)],
            connection=runs[i % len(runs)].connection,
            accounting_entry_id=f"entry-{runs[0].connection_id}-{i}",
            item_type="card_purchase",
            status=("successful", "failed", "pending")[i % 3],
            failure_reason_type="receipt_upload_failure" if i % 3 == 1 else "",
            visma_number=str(100000 + i),
        )
        for i in range(start, start + count)
    )


@pytest.fixture
def two_companies() -> tuple[Any, Any]:
    ours = f.connection_make("Nordlys AS")
    theirs = f.connection_make("Fjordkraft AS")
    _items([f.run_make(ours, job_id=f"job-{n}") for n in range(4)], ROWS)
    _items([f.run_make(theirs, job_id=f"other-{n}") for n in range(2)], ROWS // 3)
    return ours, theirs


def _changelist(user: User, query: str = "") -> tuple[Any, int]:
    client = Client()
    client.force_login(user)
    url = reverse("admin:exports_exportitem_changelist") + query
    with CaptureQueriesContext(db) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(queries)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?status__exact=failed",
        "?o=-8",
        "?failure_reason_type__exact=receipt_upload_failure&p=1",
    ],
)
def test_item_list_is_a_fixed_number_of_queries(two_companies: Any, query: str) -> None:
    superuser = User.objects.create_superuser("root", password="pw-12345678")
    response, count = _changelist(superuser, query)

    assert count <= MAX_QUERIES
    assert len(response.context["cl"].result_list) == 100
    # Twice the rows, the same queries: nothing is read per row.
    ours, _ = two_companies
    _items([ExportRun.objects.filter(connection=ours).first()], ROWS, start=ROWS)
    assert _changelist(superuser, query)[1] == count


def test_item_list_of_a_member_shows_only_their_connection(two_companies: Any) -> None:
    ours, theirs = two_companies
    support = f.support(staff=True)
    theirs.memberships.filter(user=support).delete()
    response, count = _changelist(support)

    assert count <= MAX_QUERIES
    shown = {item.connection_id for item in response.context["cl"].result_list}
    assert shown == {ours.pk}
    assert b"Fjordkraft" not in response.content
    assert response.context["cl"].result_count == ROWS


def _choices(response: Any, title: str) -> list[str]:
    """The choices of a filter; none when the filter is not shown (a single choice)."""
    specs = [s for s in response.context["cl"].filter_specs if s.title == title]
    return [str(label) for spec in specs for _, label in spec.lookup_choices]


def test_filters_offer_the_users_connections_and_recent_runs_without_reading_items(
    two_companies: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from integrations.core.admin_paging import RecentRelatedFilter

    monkeypatch.setattr(RecentRelatedFilter, "SHOWN", 2)
    ours, theirs = two_companies
    support = f.support(staff=True)
    theirs.memberships.filter(user=support).delete()
    ExportRun.objects.exclude(connection=ours).update(created_at="2020-01-01T00:00:00Z")
    response, _ = _changelist(support)

    # One connection of their own: nothing to choose, and no other company's name.
    assert _choices(response, "connection") == []
    superuser = User.objects.create_superuser("root", password="pw-12345678")
    assert _choices(_changelist(superuser)[0], "connection") == ["Fjordkraft AS", "Nordlys AS"]
    newest = list(ExportRun.objects.filter(connection=ours).order_by("-created_at", "-id")[:2])
    assert _choices(response, "run") == [str(run) for run in newest]
    # An older run is offered once it is chosen (its link from the run's page).
    oldest = ExportRun.objects.filter(connection=ours).order_by("created_at", "id").first()
    assert oldest is not None
    chosen, _ = _changelist(support, f"?run__id__exact={oldest.pk}")
    assert str(oldest) in _choices(chosen, "run")
    assert {item.run_id for item in chosen.context["cl"].result_list} == {oldest.pk}
    # Another company's run is not offered even when its id is asked for.
    their_run = ExportRun.objects.filter(connection=theirs).first()
    assert their_run is not None
    other, _ = _changelist(support, f"?run__id__exact={their_run.pk}")
    assert str(their_run) not in _choices(other, "run")
    assert list(other.context["cl"].result_list) == []


def test_a_long_list_is_never_counted_whole_on_postgresql(
    two_companies: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.vendor != "postgresql":
        pytest.skip("the estimate is PostgreSQL's; other databases count exactly")
    from integrations.core import admin_paging

    monkeypatch.setattr(admin_paging, "EXACT_UP_TO", 50)
    superuser = User.objects.create_superuser("root", password="pw-12345678")
    client = Client()
    client.force_login(superuser)
    url = reverse("admin:exports_exportitem_changelist")
    with CaptureQueriesContext(db) as queries:
        response = client.get(url)
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    assert counts and all("LIMIT 51" in sql for sql in counts)
    # Above the bound the page count rests on the estimate, never below what was counted.
    assert response.context["cl"].result_count >= 51
    # A short filtered list is counted exactly in one bounded query.
    with CaptureQueriesContext(db) as queries:
        response = client.get(url, {"run__id__exact": ExportRun.objects.first().pk})  # type: ignore[union-attr]
    assert response.context["cl"].result_count == len(response.context["cl"].result_list)
    assert not any("EXPLAIN" in q["sql"] for q in queries.captured_queries)
