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
