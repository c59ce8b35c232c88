"""`rows_update`: each row's own values written by primary key, a batch per statement, on
SQLite and on PostgreSQL; bulk inserts as VALUES rows on PostgreSQL; `rows_insert`: one COPY
on PostgreSQL, `bulk_create` elsewhere, rows stored meanwhile skipped when asked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from integrations.connections.models import Connection
from integrations.core.bulk import row_update, row_update_while, rows_insert, rows_update
from integrations.masterdata.models import VismaSupplier

pytestmark = pytest.mark.django_db


def test_each_row_gets_its_own_values_and_other_rows_keep_theirs() -> None:
    connection_row = Connection.objects.create(name="Co", pleo_company_id="co")
    VismaSupplier.objects.bulk_create(
        VismaSupplier(connection=connection_row, number=str(n), name=f"S{n}", active=True)
        for n in range(6)
    )
    rows = list(VismaSupplier.objects.order_by("number"))
    changed = rows[:5]
    when = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    for n, row in enumerate(changed):
        row.pleo_id = f"pleo-{n}"
        row.pleo_error = 'O\'Brien said "no"; DROP TABLE x' if n == 1 else ""
        row.active = n % 2 == 0
        row.remote_modified_at = when if n == 2 else None
        row.raw = {"n": n, "name": f"S{n}"}

    with CaptureQueriesContext(connection) as captured:
        matched = rows_update(
            VismaSupplier,
            changed,
            ["pleo_id", "pleo_error", "active", "remote_modified_at", "raw"],
            batch=2,
        )

    assert matched == 5
    assert len(captured) == 3  # batches of 2, 2 and 1
    saved = {r.number: r for r in VismaSupplier.objects.all()}
    for n in range(5):
        row = saved[str(n)]
        assert row.pleo_id == f"pleo-{n}"
        assert row.active is (n % 2 == 0)
        assert row.raw == {"n": n, "name": f"S{n}"}
        assert row.remote_modified_at == (when if n == 2 else None)
    assert saved["1"].pleo_error == 'O\'Brien said "no"; DROP TABLE x'
    assert saved["5"].pleo_id == "" and saved["5"].active is True and saved["5"].raw == {}


def test_nothing_to_write_sends_nothing() -> None:
    with CaptureQueriesContext(connection) as captured:
        assert rows_update(VismaSupplier, [], ["pleo_id"]) == 0
    assert captured.captured_queries == []


@pytest.mark.postgres
def test_json_documents_of_a_bulk_insert_go_as_plain_parameters_not_one_array() -> None:
    connection_row = Connection.objects.create(name="Co", pleo_company_id="co")
    documents = [{"number": str(n), "name": f'Supplier "{n}" \\ AS', "n": n} for n in range(3)]
    with CaptureQueriesContext(connection) as captured:
        VismaSupplier.objects.bulk_create(
            VismaSupplier(connection=connection_row, number=d["number"], name="S", raw=d)
            for d in documents
        )
    [insert] = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    assert "UNNEST" not in insert.upper()
    assert [r.raw for r in VismaSupplier.objects.order_by("number")] == documents


@pytest.mark.postgres
def test_every_bulk_insert_goes_as_values_rows_under_client_side_binding() -> None:
    # integrations.core.postgresql: text columns too (the log of remote calls), not only JSON.
    from integrations.core.models import ApiCall

    assert not connection.settings_dict.get("OPTIONS", {}).get("server_side_binding")
    excerpts = ['{"a": "O\'Brien \\ \\"x\\""}', "ö" * 50, ""]
    with CaptureQueriesContext(connection) as captured:
        ApiCall.objects.bulk_create(
            ApiCall(service="pleo", method="GET", url="u", path="/p", response_excerpt=text)
            for text in excerpts
        )
    [insert] = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    assert "UNNEST" not in insert.upper() and insert.count("), (") == 2
    assert list(ApiCall.objects.order_by("id").values_list("response_excerpt", flat=True)) == (
        excerpts
    )


def _run_and_item() -> tuple[object, object]:
    from integrations.exports.models import ExportItem, ExportRun

    connection_row = Connection.objects.create(name="Co", pleo_company_id="co")
    beat = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
    run = ExportRun.objects.create(
        connection=connection_row, pleo_job_id="job-1", claimed_by="w1", heartbeat_at=beat
    )
    item = ExportItem.objects.create(run=run, connection=connection_row, accounting_entry_id="e1")
    return run, item


def test_row_update_while_writes_the_row_while_the_holder_holds() -> None:
    from integrations.exports.models import ExportItem, ExportRun

    run, item = _run_and_item()
    assert isinstance(run, ExportRun) and isinstance(item, ExportItem)
    sent = datetime(2026, 3, 1, 12, 31, tzinfo=UTC)
    with CaptureQueriesContext(connection) as captured:
        written = row_update_while(
            ExportItem,
            item.pk,
            {"step": "sending", "attempts": 2, "sent_at": sent, "plan": {"lines": [1, "x'y"]}},
            holder=ExportRun,
            holder_pk=run.pk,
            holds={"claimed_by": "w1", "heartbeat_at": run.heartbeat_at},
        )
    assert written == 1
    assert len(captured) == 1  # the check and the write in one statement
    item.refresh_from_db()
    assert (item.step, item.attempts, item.sent_at) == ("sending", 2, sent)
    assert item.plan == {"lines": [1, "x'y"]}


@pytest.mark.parametrize(
    "holds",
    [
        {"claimed_by": "w2"},  # another worker took the run over
        {"heartbeat_at": datetime(2026, 3, 1, 12, 30, 15, 123457, tzinfo=UTC)},  # it beat since
        {"heartbeat_at": None},
    ],
)
def test_row_update_while_writes_nothing_once_the_holder_changed(holds: dict[str, object]) -> None:
    from integrations.exports.models import ExportItem, ExportRun

    run, item = _run_and_item()
    assert isinstance(run, ExportRun) and isinstance(item, ExportItem)
    claim = {"claimed_by": "w1", "heartbeat_at": run.heartbeat_at, **holds}
    written = row_update_while(
        ExportItem, item.pk, {"step": "sending"}, holder=ExportRun, holder_pk=run.pk, holds=claim
    )
    assert written == 0
    item.refresh_from_db()
    assert item.step != "sending"


def test_row_update_while_matches_a_null_held_value() -> None:
    from integrations.exports.models import ExportItem, ExportRun

    run, item = _run_and_item()
    assert isinstance(run, ExportRun) and isinstance(item, ExportItem)
    written = row_update_while(
        ExportItem,
        item.pk,
        {"step": "sending"},
        holder=ExportRun,
        holder_pk=run.pk,
        holds={"claimed_by": "w1", "not_before": None},
    )
    assert written == 1


def test_row_update_writes_only_the_named_columns_of_one_row() -> None:
    from integrations.exports.models import ExportItem

    run, item = _run_and_item()
    other = ExportItem.objects.create(run=run, connection=run.connection, accounting_entry_id="e2")
    before = ExportItem.objects.get(pk=other.pk).updated_at

    assert row_update(ExportItem, item.pk, {"step": "created", "visma_number": "000042"}) == 1

    item = ExportItem.objects.get(pk=item.pk)
    assert (item.step, item.visma_number) == ("created", "000042")
    assert ExportItem.objects.get(pk=other.pk).updated_at == before
    assert ExportItem.objects.get(pk=other.pk).visma_number == ""
    assert row_update(ExportItem, 999_999, {"step": "created"}) == 0


# Text that COPY's own format gives a meaning to (tab, newline, backslash, its NULL marker).
AWKWARD = ["tab\there", "two\nlines", "\\N", "back\\slash \\.", 'O\'Brien "x"', "ö" * 50, ""]


def test_rows_insert_stores_every_value_as_given_in_one_statement() -> None:
    from integrations.core.models import ApiCall

    when = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
    rows = [
        ApiCall(
            created_at=when,
            service="pleo",
            method="GET",
            url="u",
            path="/p",
            status_code=None if n == 2 else 200,
            request_headers={"X-Text": text, "n": [n, None]},
            response_excerpt=text,
            export_item_id=n,
        )
        for n, text in enumerate(AWKWARD)
    ]

    with CaptureQueriesContext(connection) as captured:
        rows_insert(ApiCall, rows)

    # Seen by the query log like any statement (a query counter counts it).
    [statement] = captured.captured_queries
    if connection.vendor == "postgresql":
        assert statement["sql"].startswith("COPY ")
        assert all(row.pk is None for row in rows)  # keys are not read back
    saved = list(
        ApiCall.objects.order_by("export_item_id").values_list(
            "created_at", "status_code", "request_headers", "response_excerpt"
        )
    )
    assert saved == [
        (when, None if n == 2 else 200, {"X-Text": text, "n": [n, None]}, text)
        for n, text in enumerate(AWKWARD)
    ]


def _export_items(run: object, *entries: str) -> list[object]:
    from integrations.exports.models import ExportItem, ExportRun

    assert isinstance(run, ExportRun)
    return [
        ExportItem(
            run=run, connection_id=run.connection_id, accounting_entry_id=e, payload={"e": e}
        )
        for e in entries
    ]


def test_rows_insert_skips_rows_stored_meanwhile_when_asked() -> None:
    from integrations.exports.models import ExportItem

    run, _ = _run_and_item()  # holds entry e1, payload {}

    rows_insert(ExportItem, _export_items(run, "e0", "e1", "e2"), ignore_conflicts=True)

    saved = dict(ExportItem.objects.values_list("accounting_entry_id", "payload"))
    assert saved == {"e0": {"e": "e0"}, "e1": {}, "e2": {"e": "e2"}}


@pytest.mark.django_db(transaction=True)
def test_rows_insert_refuses_a_duplicate_otherwise_and_stores_none_of_the_rows() -> None:
    from integrations.exports.models import ExportItem

    run, _ = _run_and_item()

    with pytest.raises(IntegrityError):
        rows_insert(ExportItem, _export_items(run, "e0", "e1"))

    assert list(ExportItem.objects.values_list("accounting_entry_id", flat=True)) == ["e1"]
