"""What a task process of the worker does when django-q2 starts it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from django_q.signals import post_spawn


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_started_task_process_keeps_what_it_holds_out_of_the_full_collections(
    unfrozen: None,
) -> None:
    assert gc.get_freeze_count() == 0
    post_spawn.send(sender="django_q", proc_name="Process-1:1")

    # What the process held when it started is no longer walked by the collector ...
    assert gc.get_freeze_count() > 10_000
    # ... and what it creates afterwards still is: a cycle made later is collected.
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1
