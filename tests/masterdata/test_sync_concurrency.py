"""Independent Pleo writes of one sync go out side by side (the connection's concurrency): one
write that fails fails its own record only, every other outcome is kept on its mirror row, and
the counters add up."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest

from integrations.connections.models import Connection, ExportSettings
from integrations.masterdata.models import VismaSupplier
from integrations.masterdata.sync.desired import vendor_desired
from integrations.masterdata.sync.diff import Action, Current, Desired, Op
from integrations.masterdata.sync.push import each_side_by_side, push_records, writes_at_once
from integrations.masterdata.sync.tally import Tally
from integrations.masterdata.sync.vendor_import import vendors_import
from integrations.pleo.types import Vendor
from tests.masterdata.fakes import FakePleo

pytestmark = pytest.mark.django_db


def _suppliers(connection: Connection, count: int) -> list[VismaSupplier]:
    VismaSupplier.objects.bulk_create(
        VismaSupplier(
            connection=connection,
            number=str(60000 + n),
            name=f"S{n}",
            status="Active",
            active=True,
            currency_id="NOK",
        )
        for n in range(count)
    )
    return list(VismaSupplier.objects.filter(connection=connection).order_by("number"))


def test_writes_are_in_flight_together_and_one_failure_loses_no_other_outcome() -> None:
    connection = Connection.objects.create(name="Co", pleo_company_id="co")
    rows = _suppliers(connection, 6)
    items = [(vendor_desired(r, base_currency="NOK"), r) for r in rows]
    # Three writes must be under way at the same moment to pass this point: one at a time, the
    # first would wait here until the barrier breaks, and every write would fail.
    together = threading.Barrier(3, timeout=60)
    threads: set[int] = set()
    lock = threading.Lock()

    def apply_one(op: Op) -> str:
        with lock:
            threads.add(threading.get_ident())
        together.wait()
        if op.desired.key == "60003":
            raise ValueError("refused")
        return f"pleo-{op.desired.key}"

    def fetch(wanted: Sequence[Desired]) -> list[Current]:
        return []

    tally = Tally(sync_run_id=None)
    push_records(
        tally=tally,
        items=items,
        full=False,
        fetch_current=fetch,
        apply_one=apply_one,
        concurrency=3,
    )

    assert len(threads) == 3
    assert tally.counts["created"] == 5 and tally.counts["failed"] == 1
    assert tally.progress_done == tally.progress_total == 6
    assert tally.failures == [{"record": "supplier 60003", "reason": "ValueError: refused"}]
    saved = {r.number: r for r in VismaSupplier.objects.filter(connection=connection)}
    for number, row in saved.items():
        if number == "60003":
            assert not row.pleo_id and not row.pleo_state_hash and "refused" in row.pleo_error
        else:
            assert row.pleo_id == f"pleo-{number}" and row.pleo_state_hash and not row.pleo_error


def test_outcomes_are_received_in_the_calling_thread() -> None:
    caller = threading.get_ident()
    seen: list[tuple[int, int | None, str | None, bool]] = []

    def work(n: int) -> int:
        if n % 4 == 0:
            raise RuntimeError(f"unit {n}")
        return n * 10

    each_side_by_side(
        list(range(1, 13)),
        work,
        concurrency=4,
        finished=lambda n, result, error: seen.append(
            (n, result, error, threading.get_ident() == caller)
        ),
    )

    assert sorted(seen) == [
        (n, None if n % 4 == 0 else n * 10, f"RuntimeError: unit {n}" if n % 4 == 0 else None, True)
        for n in range(1, 13)
    ]


class ReadBackFailsOnce(FakePleo):
    """Pleo imports every row; one of the searches that read the imported vendors back fails."""

    def __init__(self) -> None:
        super().__init__()
        self.searches: list[list[str]] = []
        self.lock = threading.Lock()

    def vendors_search(
        self, *, external_ids: Sequence[str] | None = None, **_: Any
    ) -> list[Vendor]:
        wanted = list(external_ids or [])
        with self.lock:
            self.searches.append(wanted)
        if "60150" in wanted:
            raise ConnectionError("connection reset")
        return [v for v in self.vendors.values() if v.external_id in wanted]

    def vendor_archive(self, vendor_id: str) -> None:
        with self.lock:
            self.vendors[vendor_id] = replace(self.vendors[vendor_id], state="ARCHIVED")
            self.writes.append(("archive", vendor_id))


def test_a_failed_read_back_fails_only_its_own_vendors_and_the_next_push_creates_none_twice() -> (
    None
):
    connection = Connection.objects.create(name="Co", pleo_company_id="co")
    rows = _suppliers(connection, 250)
    VismaSupplier.objects.filter(number__in=["60007", "60201"]).update(active=False)
    rows = list(VismaSupplier.objects.filter(connection=connection).order_by("number"))
    ops = [Op(Action.CREATE, vendor_desired(r, base_currency="NOK")) for r in rows]
    pleo = ReadBackFailsOnce()

    outcomes = vendors_import(pleo=pleo, ops=ops, concurrency=3)  # type: ignore[arg-type]

    assert sorted(len(s) for s in pleo.searches) == [50, 100, 100]
    by_key = {op.desired.key: (pleo_id, error) for op, pleo_id, error in outcomes}
    assert len(outcomes) == len(by_key) == 250
    failed = {key for key, (pleo_id, error) in by_key.items() if error is not None}
    # The second search (60100-60199) failed: those vendors are not known to be imported.
    assert failed == {str(60000 + n) for n in range(100, 200)}
    for key in failed:
        assert "could not be read: ConnectionError: connection reset" in by_key[key][1]  # type: ignore[operator]
    in_pleo = {v.external_id: v for v in pleo.vendors.values()}
    for key, (pleo_id, error) in by_key.items():
        if error is None:
            assert pleo_id == in_pleo[key].id
    # The inactive suppliers read back are archived; the one whose read failed is not yet.
    assert in_pleo["60007"].state == "ARCHIVED"
    assert in_pleo["60201"].state == "ARCHIVED"
    assert [w for w, _ in pleo.writes].count("archive") == 2
    assert [w for w, _ in pleo.writes].count("import") == 1


def test_the_sync_takes_the_connections_concurrency(monkeypatch: pytest.MonkeyPatch) -> None:
    connection = Connection.objects.create(name="Co", pleo_company_id="co")
    # Tests run on an in-memory SQLite database, where threads cannot work: one at a time.
    assert writes_at_once(connection) == 1
    monkeypatch.setattr(
        "integrations.masterdata.sync.push.concurrency_usable", lambda wanted: wanted
    )
    assert writes_at_once(connection) == 4  # no settings yet: the setting's default
    ExportSettings.objects.create(connection=connection, export_concurrency=7)
    assert writes_at_once(connection) == 7
