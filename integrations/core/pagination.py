"""Paging helpers for both remote styles, capped so a broken remote cannot loop us forever."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

MAX_PAGES = 10_000


class PaginationError(RuntimeError):
    pass


class PagesUneven(PaginationError):
    """Pages read by offset did not line up: one held more or fewer records than its place
    called for. Read the listing again by cursor."""


def iter_cursor(
    fetch: Callable[[str | None], dict[str, Any]],
    *,
    max_pages: int = MAX_PAGES,
    first: dict[str, Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """Pleo style: `{data: [...], pagination: {endCursor, hasNextPage}}`; follow `after`.
    `first`: the first page, already read (its records are given back too)."""
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(max_pages):
        page = fetch(cursor) if first is None or cursor is not None else first
        yield from page.get("data") or []
        pagination = page.get("pagination") or {}
        if not pagination.get("hasNextPage"):
            return
        cursor = pagination.get("endCursor")
        if not cursor or cursor in seen:
            raise PaginationError(
                "The remote service says there is a next page but gave no new cursor"
            )
        seen.add(cursor)
    raise PaginationError(f"Stopped after {max_pages} pages")


def iter_page_numbers(
    fetch: Callable[[int, int], list[dict[str, Any]]],
    *,
    page_size: int,
    max_pages: int = MAX_PAGES,
) -> Iterator[dict[str, Any]]:
    """Visma.net style: `pageNumber` (1-based) and `pageSize`; each record carries
    `metadata.totalCount` and `metadata.maxPageSize`. An oversize `pageSize` is silently capped
    by Visma.net, so the effective size comes from `maxPageSize`. Stop on an empty or short
    page, or once `totalCount` is reached."""
    for page_number in range(1, max_pages + 1):
        rows = fetch(page_number, page_size)
        yield from rows
        if not rows:
            return
        metadata = rows[0].get("metadata") or {}
        max_size = metadata.get("maxPageSize")
        if isinstance(max_size, int) and 0 < max_size < page_size:
            page_size = max_size
        if len(rows) < page_size:
            return
        total = metadata.get("totalCount")
        if isinstance(total, int) and page_number * page_size >= total:
            return
    raise PaginationError(f"Stopped after {max_pages} pages")
