from __future__ import annotations

import threading
import time

import pytest

from integrations.core.parallel import ordered_side_by_side


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
