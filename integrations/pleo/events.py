"""Who handles which Pleo event.

The webhook endpoint lives here but must not import `exports` or `masterdata` (dependencies
point one way), so those apps register their handlers at start-up:

    register_handler("v1.export-job.created", export_job_created_handler)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

EXPORT_JOB_CREATED = "v1.export-job.created"
VENDOR_CREATED = "v1.vendor.created"
SUBSCRIBED_EVENTS = (EXPORT_JOB_CREATED, VENDOR_CREATED)
# Older spellings seen in Pleo's documentation; treated as the current event.
ALIASES = {"v1.export.job-created": EXPORT_JOB_CREATED, "v2.export-job.created": EXPORT_JOB_CREATED}


class EventHandler(Protocol):
    def __call__(self, *, connection_id: int, event: dict[str, Any]) -> None: ...


_handlers: dict[str, list[Callable[..., None]]] = {}


def canonical_event_type(event_type: str) -> str:
    return ALIASES.get(event_type, event_type)


def register_handler(event_type: str, handler: Callable[..., None]) -> None:
    handlers = _handlers.setdefault(canonical_event_type(event_type), [])
    if handler not in handlers:
        handlers.append(handler)


def handlers_for(event_type: str) -> list[Callable[..., None]]:
    return list(_handlers.get(canonical_event_type(event_type), []))


# -- where the webhook secrets come from ---------------------------------------------------
# The secrets are stored on connections, which this app must not import: `connections`
# registers a function giving the (connection id, secret) pairs that may have signed a delivery
# for a Pleo company (all active connections when the company is unknown).

SecretSource = Callable[[str | None], list[tuple[int, str]]]
_secret_source: list[SecretSource] = []


def register_secret_source(source: SecretSource) -> None:
    _secret_source[:] = [source]


def webhook_secrets(company_id: str | None) -> list[tuple[int, str]]:
    if not _secret_source:
        return []
    return _secret_source[0](company_id)
