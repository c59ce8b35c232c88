"""Working the independent units of one run side by side: the items and shared journals of an
export run, the independent Pleo writes of a master-data sync.

Each unit is taken by one of at most `concurrency` threads; the calling thread receives every
finished unit in turn (to report, to keep the heartbeat) and does no remote work of its own.
Every thread runs in a copy of the caller's context (the ApiCall links and buffer travel
along), has its own database connection, and closes it when it ends.

A unit's own failures are handled inside its work (the item fails, the others carry on). An
exception that escapes a unit concerns the whole run (a deferral, an expired credential, the
run taken over, a bug): no new unit is started, the units under way finish their step, and the
first such exception is raised in the calling thread.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import islice
from typing import TypeVar

from django.db import connection as db_connection

Unit = TypeVar("Unit")

_FINISHED = object()
IDLE_SECONDS = 1.0


def concurrency_usable(wanted: int) -> int:
    """Units worked at once: `wanted` (the connection's setting), but one inside a transaction
    (other threads could not see its rows) and on an in-memory SQLite database (its shared
    cache locks whole tables instead of waiting): only tests work a run in either."""
    in_memory = db_connection.vendor == "sqlite" and bool(
        getattr(db_connection, "is_in_memory_db", lambda: False)()
    )
    if db_connection.in_atomic_block or in_memory:
        return 1
    return max(1, wanted)


def units_work(
    units: Iterable[Unit],
    work: Callable[[Unit], None],
    *,
    concurrency: int,
    finished: Callable[[Unit], None],
    idle: Callable[[], None] | None = None,
) -> None:
    """`work(unit)` for every unit, at most `concurrency` at once; `finished(unit)` in the
    calling thread after each, and `idle()` there every IDLE_SECONDS no unit finishes (the
    heartbeat goes on while every thread waits, e.g. for the call budget)."""
    if concurrency <= 1:
        for unit in units:
            work(unit)
            finished(unit)
        return
    todo: queue.SimpleQueue[Unit] = queue.SimpleQueue()
    for unit in units:
        todo.put(unit)
    if todo.empty():
        return
    done: queue.SimpleQueue[object] = queue.SimpleQueue()
    stop = threading.Event()
    failures: list[BaseException] = []
    context = contextvars.copy_context()

    def worker() -> None:
        try:
            while not stop.is_set():
                try:
                    unit = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    work(unit)
                except BaseException as exc:  # the run decides; see the module docstring
                    failures.append(exc)
                    stop.set()
                    return
                done.put(unit)
        finally:
            db_connection.close()
            done.put(_FINISHED)

    threads = [
        threading.Thread(target=context.copy().run, args=(worker,), daemon=True)
        for _ in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        while running:
            try:
                item = done.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                if idle is not None and not stop.is_set():
                    idle()
                continue
            if item is _FINISHED:
                running -= 1
                continue
            if not stop.is_set():
                finished(item)  # type: ignore[arg-type]
    except BaseException:
        stop.set()
        raise
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]


Arg = TypeVar("Arg")
Result = TypeVar("Result")


def ordered_side_by_side(
    work: Callable[[Arg], Result], args: Iterable[Arg], *, at_once: int
) -> Iterator[Result]:
    """`work(arg)` for every arg, at most `at_once` under way, the results given back in the
    order of `args` (reads whose answers are used in turn, such as the pages of a listing).

    At most twice `at_once` results wait to be taken, so a slow consumer does not let the
    reads run ahead and pile up in memory. Each call runs in a copy of the caller's context
    (the ApiCall links and buffer travel along) on a thread that closes its own database
    connection after each call. The first exception a call raises comes out where its result
    would have; the calls not yet begun are then dropped."""
    if at_once <= 1:
        for arg in args:
            yield work(arg)
        return

    def call(arg: Arg) -> Result:
        try:
            return work(arg)
        finally:
            db_connection.close()

    pending: deque[Future[Result]] = deque()
    todo = iter(args)
    with ThreadPoolExecutor(max_workers=at_once) as executor:
        try:
            while True:
                for arg in islice(todo, 2 * at_once - len(pending)):
                    context = contextvars.copy_context()
                    pending.append(executor.submit(context.run, call, arg))
                if not pending:
                    return
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
