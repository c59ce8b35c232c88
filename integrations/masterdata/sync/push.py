"""The generic applier loop: choose what may need a write, read Pleo once, diff, write, and
remember what was written on the mirror row.

Writes of separate records are independent: they go out side by side, at most the connection's
concurrency at once (`writes_at_once`, the setting an export run uses), each through the one
HTTP seam (its timeout, retries and the service's 429 answers). Whatever one write raises fails
that record only; its outcome, and every counter and mirror row, is recorded by the calling
thread as each write finishes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from integrations.connections.models import Connection, ExportSettings
from integrations.core.bulk import rows_update
from integrations.core.errors import ApiError
from integrations.core.parallel import concurrency_usable, units_work
from integrations.masterdata.models import PushedToPleo
from integrations.masterdata.sync.diff import Action, Current, Desired, Op, diff_records, needs_push
from integrations.masterdata.sync.tally import Tally

Unit = TypeVar("Unit")
Result = TypeVar("Result")

# Creates sent together (accounts: the batch endpoint); returns (op, pleo id or None, error).
BatchCreate = Callable[[Sequence[Op]], list[tuple[Op, str | None, str | None]]]


def writes_at_once(connection: Connection) -> int:
    """Independent Pleo writes of one sync under way at once: the connection's concurrency
    (ExportSettings.export_concurrency, its default when the connection has no settings yet),
    one where threads cannot work (`concurrency_usable`)."""
    wanted = (
        ExportSettings.objects.filter(connection=connection)
        .values_list("export_concurrency", flat=True)
        .first()
    )
    if wanted is None:
        wanted = ExportSettings._meta.get_field("export_concurrency").get_default()
    return concurrency_usable(int(wanted))


def each_side_by_side(
    units: Sequence[Unit],
    work: Callable[[Unit], Result],
    *,
    concurrency: int,
    finished: Callable[[Unit, Result | None, str | None], None],
) -> None:
    """`work(unit)` for every unit, at most `concurrency` at once; `finished(unit, result,
    error)` in the calling thread after each, with the reason when `work` raised (that unit
    fails alone; the others go on)."""
    outcomes: dict[int, tuple[Result | None, str | None]] = {}

    def one(unit: Unit) -> None:
        try:
            outcomes[id(unit)] = (work(unit), None)
        except Exception as exc:
            outcomes[id(unit)] = (None, error_reason(exc))

    def done(unit: Unit) -> None:
        result, error = outcomes.pop(id(unit))
        finished(unit, result, error)

    units_work(units, one, concurrency=concurrency, finished=done)


def error_reason(exc: Exception) -> str:
    if isinstance(exc, ApiError):
        return str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {exc}"


# Mirror rows whose push outcome changed are saved together, this many per UPDATE batch.
REMEMBER_BATCH = 500
_PUSH_FIELDS = ("pleo_id", "pleo_state_hash", "pleo_error")


class _Remembered:
    """What a push learnt about its rows (Pleo id, the hash of what was written, the error),
    saved in batches: only rows whose values changed are written."""

    def __init__(self, extra_fields: tuple[str, ...]) -> None:
        self.fields = [*_PUSH_FIELDS, *extra_fields]
        self.rows: dict[int, PushedToPleo] = {}

    def remember(self, row: PushedToPleo, *, pleo_id: str, state_hash: str) -> None:
        if row.pleo_id == pleo_id and row.pleo_state_hash == state_hash and not row.pleo_error:
            return
        row.pleo_id, row.pleo_state_hash, row.pleo_error = pleo_id, state_hash, ""
        self._keep(row)

    def forget(self, row: PushedToPleo, *, error: str) -> None:
        # Clearing the hash makes the next run retry this record.
        row.pleo_state_hash, row.pleo_error = "", error[:500]
        self._keep(row)

    def changed(self, row: PushedToPleo) -> None:
        """`row` gained a value in one of the extra fields."""
        self._keep(row)

    def _keep(self, row: PushedToPleo) -> None:
        self.rows[id(row)] = row
        if len(self.rows) >= REMEMBER_BATCH:
            self.save()

    def save(self) -> None:
        if not self.rows:
            return
        rows = list(self.rows.values())
        self.rows = {}
        rows_update(type(rows[0]), rows, self.fields, batch=REMEMBER_BATCH)


def push_records(
    *,
    tally: Tally,
    items: Sequence[tuple[Desired, PushedToPleo]],
    full: bool,
    fetch_current: Callable[[Sequence[Desired]], list[Current]],
    apply_one: Callable[[Op], str],
    batch_create: BatchCreate | None = None,
    on_written: Callable[[Op, str, PushedToPleo], Any] | None = None,
    remember_fields: tuple[str, ...] = (),
    concurrency: int = 1,
) -> None:
    """`apply_one(op)` performs one write and returns the Pleo id; it raises on failure. Up to
    `concurrency` writes are under way at once (`apply_one` and `batch_create` may be called
    from other threads; the other callbacks run in the calling thread).
    `on_written(op, pleo_id, row)` may set `remember_fields` on the row: they are saved with
    the push outcome when it returns True."""
    tally.plan(len(items))
    if full:
        candidates = list(items)
    else:
        candidates = [
            (d, row)
            for d, row in items
            if needs_push(d, pleo_id=row.pleo_id, pushed_hash=row.pleo_state_hash)
        ]
        # What we already wrote and Visma.net did not change: no read, no write.
        tally.count(Action.UNCHANGED, len(items) - len(candidates))
    if not candidates:
        return
    rows = {id(d): row for d, row in candidates}
    current = fetch_current([d for d, _ in candidates])
    ops = diff_records([d for d, _ in candidates], current)
    remembered = _Remembered(remember_fields)

    def done(op: Op, pleo_id: str | None, error: str | None) -> None:
        row = rows[id(op.desired)]
        if error is not None or not pleo_id:
            remembered.forget(row, error=error or "Pleo returned no id")
            tally.fail(op.desired.label, error or "Pleo returned no id")
            return
        remembered.remember(row, pleo_id=pleo_id, state_hash=op.desired.state_hash)
        if on_written is not None and on_written(op, pleo_id, row):
            remembered.changed(row)
        tally.count(op.action)

    try:
        _apply(
            ops,
            done=done,
            apply_one=apply_one,
            batch_create=batch_create,
            concurrency=concurrency,
        )
    finally:
        remembered.save()


def _apply(
    ops: list[Op],
    *,
    done: Callable[[Op, str | None, str | None], None],
    apply_one: Callable[[Op], str],
    batch_create: BatchCreate | None,
    concurrency: int,
) -> None:
    creates = [op for op in ops if op.action == Action.CREATE]
    if batch_create is not None and creates:
        for op, pleo_id, error in batch_create(creates):
            done(op, pleo_id, error)
        ops = [op for op in ops if op.action != Action.CREATE]
    writes = []
    for op in ops:
        if op.action == Action.UNCHANGED:
            done(op, op.pleo_id, None)
        else:
            writes.append(op)
    each_side_by_side(writes, apply_one, concurrency=concurrency, finished=done)
