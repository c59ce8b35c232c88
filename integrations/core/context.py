"""What a remote call is done for, so that its ApiCall row links to it.

with call_links(connection_id=c.id, export_item_id=item.id):
    client.journal_transaction_create(...)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

LINK_FIELDS = ("connection_id", "export_run_id", "export_item_id", "sync_run_id")

_links: ContextVar[dict[str, int]] = ContextVar("api_call_links", default={})  # noqa: B039


@contextmanager
def call_links(**links: int | None) -> Iterator[None]:
    unknown = set(links) - set(LINK_FIELDS)
    if unknown:
        raise TypeError(f"Unknown link fields: {sorted(unknown)}")
    merged = {**_links.get(), **{k: v for k, v in links.items() if v is not None}}
    token = _links.set(merged)
    try:
        yield
    finally:
        _links.reset(token)


def current_links() -> dict[str, int]:
    return dict(_links.get())
