from __future__ import annotations

from typing import Any

import pytest

from integrations.core.pagination import PaginationError, iter_cursor, iter_page_numbers


def test_cursor_follows_end_cursor_until_no_next_page() -> None:
    pages = {
        None: {"data": [1, 2], "pagination": {"endCursor": "A", "hasNextPage": True}},
        "A": {"data": [3], "pagination": {"endCursor": "B", "hasNextPage": True}},
        "B": {"data": [4], "pagination": {"endCursor": "C", "hasNextPage": False}},
    }
    calls: list[str | None] = []

    def fetch(cursor: str | None) -> dict[str, Any]:
        calls.append(cursor)
        return pages[cursor]

    assert list(iter_cursor(fetch)) == [1, 2, 3, 4]
    assert calls == [None, "A", "B"]


def test_cursor_that_repeats_is_an_error() -> None:
    def fetch(cursor: str | None) -> dict[str, Any]:
        return {"data": [1], "pagination": {"endCursor": "A", "hasNextPage": True}}

    with pytest.raises(PaginationError):
        list(iter_cursor(fetch))


def test_page_numbers_respect_capped_page_size_and_total() -> None:
    records = [{"n": i, "metadata": {"totalCount": 7, "maxPageSize": 3}} for i in range(7)]
    asked: list[tuple[int, int]] = []

    def fetch(page: int, size: int) -> list[dict[str, Any]]:
        asked.append((page, size))
        effective = min(size, 3)
        return records[(page - 1) * effective : page * effective]

    assert [r["n"] for r in iter_page_numbers(fetch, page_size=1000)] == list(range(7))
    assert asked == [(1, 1000), (2, 3), (3, 3)]


def test_page_numbers_stop_on_empty_page() -> None:
    assert list(iter_page_numbers(lambda page, size: [], page_size=100)) == []
