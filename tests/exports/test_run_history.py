"""Runs keep their history: a run's page lists every item it held with the state it ended in,
also after a retry moved the failed ones to a new run, and the two runs link to each other.
Runs are numbered per connection."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection as db_connection
from django.db import connections
from django.test import Client
from django.urls import reverse

from integrations.connections.fixes import FixPage, FixTarget
from integrations.connections.models import Connection
from integrations.exports.models import ExportItem, ExportItemOutcome, ExportRun
from integrations.exports.services.runs import export_item_upsert
from tests.exports import ui_factories as f

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace(" :", ":")


@pytest.fixture
def connection() -> Connection:
    return f.connection_make()


@pytest.fixture
def finance_client() -> Client:
    return _client(f.finance())


@pytest.fixture
def retried(connection: Connection) -> dict[str, Any]:
    """The first run: 1 successful, 2 failed; a retry run took the two failed items over and
    booked one of them."""
    first = f.run_make(connection, job_id="job-first", items_total=3, items_done=3)
    ok = f.item_make(first, "e-ok", visma_number="000123", visma_document_type="journal")
    bad = [
        f.item_make(first, f"e-f{n}", status="failed", reason_type="account_unknown",
                    reason="Account 7140 is inactive",
                    fix=FixTarget(FixPage.CATEGORIES, "account_cat-1"))
        for n in (1, 2)
    ]  # fmt: skip
    second = f.run_make(
        connection, job_id="job-retry", retry_requested_by="fiona", status="completed"
    )
    for item in bad:
        export_item_upsert(run=second, payload=item.payload, item_type=item.item_type)
    ExportItem.objects.filter(pk=bad[0].pk).update(
        status=ExportItem.Status.SUCCESSFUL, visma_number="000124", visma_document_type="journal"
    )
    ExportItem.objects.filter(pk=bad[1].pk).update(
        status=ExportItem.Status.FAILED, failure_reason_type="tag_unknown", failure_reason="Tag x"
    )
    return {"first": first, "second": second, "ok": ok, "bad": bad}


def test_a_retry_keeps_the_first_runs_items_with_their_final_state(
    retried: dict[str, Any], finance_client: Client
) -> None:
    first, second, bad = retried["first"], retried["second"], retried["bad"]
    # The item rows moved; the first run keeps what it did with them.
    assert list(first.items.values_list("accounting_entry_id", flat=True)) == ["e-ok"]
    kept = ExportItemOutcome.objects.filter(run=first).order_by("item_id")
    assert [(o.item_id, o.status, o.next_run_id) for o in kept] == [
        (bad[0].pk, "failed", second.pk),
        (bad[1].pk, "failed", second.pk),
    ]
    response = finance_client.get(reverse("exports:run", args=[first.pk]))
    rows = response.context["rows"]
    assert [(r.item.accounting_entry_id, r.item.status) for r in rows] == [
        ("e-ok", "successful"),
        ("e-f1", "failed"),
        ("e-f2", "failed"),
    ]
    html = response.content.decode()
    # Its counts are what it did: 1 successful, 2 failed, as before the retry.
    assert '<span class="state-done" data-successful>1</span>' in html
    assert '<span class="state-failed" data-failed>2</span>' in html
    # Each retried item links to its row in the run that retried it, with its state there.
    for item in bad:
        assert f'href="{reverse("exports:run", args=[second.pk])}#item-{item.pk}"' in html
    text = _text(html)
    assert f"Retried in run #{second.number}: now Successful" in text
    assert f"Retried in run #{second.number}: now Failed" in text
    # Nothing to retry here any more: the failures are the retry run's business.
    assert response.context["groups"] == []


def test_the_retry_run_links_each_item_back_to_the_run_it_came_from(
    retried: dict[str, Any], finance_client: Client
) -> None:
    first, second = retried["first"], retried["second"]
    response = finance_client.get(reverse("exports:run", args=[second.pk]))
    html = response.content.decode()
    assert [r.item.accounting_entry_id for r in response.context["rows"]] == ["e-f1", "e-f2"]
    for item in retried["bad"]:
        assert f'href="{reverse("exports:run", args=[first.pk])}#item-{item.pk}"' in html
    assert _text(html).count(f"Retry of run #{first.number}") == 2
    status = finance_client.get(reverse("exports:run_status", args=[first.pk])).json()
    assert (status["successful"], status["failed"]) == (1, 2)


def test_the_run_page_reads_a_bounded_number_of_queries(
    retried: dict[str, Any], finance_client: Client, django_assert_max_num_queries: Any
) -> None:
    first, second = retried["first"], retried["second"]
    for n in range(20):
        item = f.item_make(first, f"e-more-{n}", status="failed", reason_type="tag_unknown")
        export_item_upsert(run=second, payload=item.payload, item_type=item.item_type)
    with django_assert_max_num_queries(14):
        response = finance_client.get(reverse("exports:run", args=[first.pk]))
    assert len(response.context["rows"]) == 23


def test_runs_are_numbered_per_connection(connection: Connection, finance_client: Client) -> None:
    first = f.run_make(connection, job_id="a-1")
    second = f.run_make(connection, job_id="a-2")
    other = f.connection_make("Fjord Start AS")
    theirs = f.run_make(other, job_id="b-1")
    assert (first.number, second.number, theirs.number) == (1, 2, 1)
    html = finance_client.get(reverse("exports:run", args=[theirs.pk])).content.decode()
    assert "Export #1" in html
    listing = finance_client.get(reverse("exports:connection", args=[connection.pk]))
    assert ">#2</a>" in listing.content.decode() and ">#1</a>" in listing.content.decode()
    # A number already given is kept on later saves.
    second.status = ExportRun.Status.FAILED
    second.save()
    second.refresh_from_db()
    assert second.number == 2


def test_the_same_job_registered_twice_is_one_run(connection: Connection) -> None:
    from django.db import IntegrityError, transaction

    f.run_make(connection, job_id="same")
    with pytest.raises(IntegrityError), transaction.atomic():
        f.run_make(connection, job_id="same")
    assert ExportRun.objects.filter(pleo_job_id="same").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_of_one_connection_get_distinct_numbers(connection: Connection) -> None:
    if db_connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def create(n: int) -> None:
        try:
            barrier.wait()
            for k in range(5):
                ExportRun.objects.create(connection=connection, pleo_job_id=f"job-{n}-{k}")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(
        ExportRun.objects.filter(connection=connection).values_list("number", flat=True)
    )
    assert numbers == list(range(1, 31))


@pytest.mark.django_db(transaction=True)
def test_the_migration_numbers_existing_runs_per_connection_in_creation_order() -> None:
    from datetime import UTC, datetime

    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(db_connection)
    before = [("exports", "0009_exportrun_number")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    OldConnection = old.get_model("connections", "Connection")
    OldRun = old.get_model("exports", "ExportRun")
    a = OldConnection.objects.create(name="A")
    b = OldConnection.objects.create(name="B")
    made = {}
    # Created out of id order: the number follows the creation time.
    for job, conn, day in [("a-late", a, 9), ("b-only", b, 5), ("a-early", a, 1), ("a-mid", a, 4)]:
        made[job] = OldRun.objects.create(
            connection=conn, pleo_job_id=job, created_at=datetime(2026, 3, day, tzinfo=UTC)
        ).pk
    executor = MigrationExecutor(db_connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    numbers = dict(ExportRun.objects.values_list("pleo_job_id", "number"))
    assert numbers == {"a-early": 1, "a-mid": 2, "a-late": 3, "b-only": 1}
