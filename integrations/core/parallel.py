"""Working the independent units of one run side by side: the items and shared journals of an
export run, the independent Pleo writes of a master-data sync.

Each unit is taken by one of at most `concurrency` threads; the calling thread hands the units
out as the threads need them and receives every finished unit in turn (to report, to keep the
heartbeat).
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
    ahead: int | None = None,
) -> None:
    """`work(unit)` for every unit, at most `concurrency` at once; `finished(unit)` in the
    calling thread after each, and `idle()` there every IDLE_SECONDS no unit finishes (the
    heartbeat goes on while every thread waits, e.g. for the call budget).

    `units` is taken lazily, by the calling thread: at most `ahead` units (default
    `concurrency`) wait for a thread beyond those being worked, and each finished unit lets one
    more in. So `units` may read its units page by page (an export's items): the next page is
    read while the threads still work the last units of the one before, and what is held stays
    bounded whatever the number of units."""
    if concurrency <= 1:
        for unit in units:
            work(unit)
            finished(unit)
        return
    source = iter(units)
    first = list(islice(source, 1))
    if not first:
        return
    todo: queue.SimpleQueue[object] = queue.SimpleQueue()
    done: queue.SimpleQueue[object] = queue.SimpleQueue()
    stop = threading.Event()
    failures: list[BaseException] = []
    context = contextvars.copy_context()

    def worker() -> None:
        try:
            while not stop.is_set():
                unit = todo.get()
                if unit is _FINISHED:
                    return
                try:
                    work(unit)  # type: ignore[arg-type]
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
    exhausted = False

    def let_in(count: int) -> None:
        """Hand `count` more units to the threads; once there are no more (or the work
        stopped), one end mark per thread."""
        nonlocal exhausted
        if exhausted:
            return
        if not stop.is_set():
            taken = 0
            for unit in islice(source, count):
                todo.put(unit)
                taken += 1
            if taken == count:
                return
        exhausted = True
        for _ in threads:
            todo.put(_FINISHED)

    todo.put(first[0])
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        let_in(concurrency - 1 + (concurrency if ahead is None else max(0, ahead)))
        while running:
            try:
                item = done.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                if idle is not None and not stop.is_set():
                    idle()
                continue
            if item is _FINISHED:
                running -= 1
                # A thread that stopped on a failure: the others get their end marks.
                if stop.is_set():
                    let_in(0)
                continue
            if not stop.is_set():
                finished(item)  # type: ignore[arg-type]
            let_in(1)
    except BaseException:
        stop.set()
        raise
    finally:
        stop.set()
        let_in(0)  # stopped: the end marks, unless they went already
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
