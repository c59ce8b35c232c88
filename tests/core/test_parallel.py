from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from integrations.core.parallel import ordered_side_by_side, units_work


def test_results_come_back_in_order_while_the_calls_overlap() -> None:
    lock = threading.Lock()
    under_way = 0
    most = 0

    def work(n: int) -> int:
        nonlocal under_way, most
        with lock:
            under_way += 1
            most = max(most, under_way)
        # Later arguments finish first: the order given back is still the arguments'.
        time.sleep(0.002 * (10 - n))
        with lock:
            under_way -= 1
        return n * n

    assert list(ordered_side_by_side(work, range(10), at_once=3)) == [n * n for n in range(10)]
    assert 1 < most <= 3


def test_a_slow_consumer_does_not_let_the_calls_run_ahead() -> None:
    started: list[int] = []

    def work(n: int) -> int:
        started.append(n)
        return n

    results = ordered_side_by_side(work, range(100), at_once=2)
    assert next(results) == 0
    time.sleep(0.05)
    # At most twice at_once results wait to be taken.
    assert len(started) <= 5
    assert list(results) == list(range(1, 100))


def test_the_first_failure_comes_out_where_its_result_would_have() -> None:
    def work(n: int) -> int:
        if n == 3:
            raise ValueError("page 3 broke")
        return n

    taken: list[int] = []
    with pytest.raises(ValueError, match="page 3 broke"):
        taken.extend(ordered_side_by_side(work, range(50), at_once=4))
    assert taken == [0, 1, 2]


def test_one_at_a_time_runs_in_the_calling_thread() -> None:
    def work(_: int) -> int:
        return threading.get_ident()

    assert set(ordered_side_by_side(work, range(3), at_once=1)) == {threading.get_ident()}
    assert threading.get_ident() not in set(ordered_side_by_side(work, range(3), at_once=2))


def test_units_are_taken_as_the_threads_need_them_not_all_at_once() -> None:
    pulled: list[int] = []
    release = threading.Event()

    def units() -> Iterator[int]:
        for n in range(100):
            pulled.append(n)
            yield n

    def work(_: int) -> None:
        release.wait(timeout=10)

    finished: list[int] = []
    worker = threading.Thread(
        target=units_work,
        args=(units(), work),
        kwargs={"concurrency": 3, "finished": finished.append, "ahead": 2},
    )
    worker.start()
    time.sleep(0.2)
    # Three being worked and two waiting for a thread; nothing more is read meanwhile.
    assert len(pulled) == 5
    release.set()
    worker.join(timeout=10)
    assert sorted(finished) == list(range(100))
    assert len(pulled) == 100


def test_the_next_page_is_read_while_the_threads_still_work_the_page_before() -> None:
    lock = threading.Lock()
    under_way: set[int] = set()
    seen_at_read: list[set[int]] = []

    def pages() -> Iterator[int]:
        for page in range(3):
            with lock:
                seen_at_read.append(set(under_way))
            yield from range(page * 10, page * 10 + 10)

    def work(n: int) -> None:
        with lock:
            under_way.add(n)
        time.sleep(0.01)
        with lock:
            under_way.discard(n)

    finished: list[int] = []
    units_work(pages(), work, concurrency=4, finished=finished.append, ahead=4)
    assert sorted(finished) == list(range(30))
    # Pages two and three were read with units of the page before still being worked: the
    # threads never all waited for a page (reading a page does not wait for its last unit).
    assert seen_at_read[0] == set()
    assert seen_at_read[1] and max(seen_at_read[1]) < 10
    assert seen_at_read[2] and all(10 <= n < 20 for n in seen_at_read[2])


def test_a_failed_unit_stops_the_reading_and_is_raised_in_the_calling_thread() -> None:
    pulled: list[int] = []

    def units() -> Iterator[int]:
        for n in range(1000):
            pulled.append(n)
            yield n

    def work(n: int) -> None:
        if n == 5:
            raise RuntimeError("the run was taken over")
        time.sleep(0.001)

    finished: list[int] = []
    with pytest.raises(RuntimeError, match="taken over"):
        units_work(units(), work, concurrency=3, finished=finished.append, ahead=3)
    assert 5 not in finished
    # No unit was read much past the failure: the rest of the source was never taken.
    assert len(pulled) < 20
