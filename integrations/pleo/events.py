"""Who handles which Pleo event.

The webhook endpoint lives here but must not import `exports` or `masterdata` (dependencies
point one way), so those apps register their handlers at start-up:

    register_handler("v1.export-job.created", export_job_created_handler)
"""

from __future__ import annotations

import threading
import time
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

# Every delivery is verified against the live connections' secrets. Read from the database and
# decrypted for each delivery, they took about a third of the intake's CPU; they are kept in
# this process for SECRETS_KEPT_SECONDS instead. A delivery that none of the kept secrets
# verifies has them read again before it is refused (`webhook_secrets(..., fresh=True)`), so a
# secret just set or rotated is never refused for being new. A connection saved or deleted in
# this process forgets them at once (`webhook_secrets_changed`); another process's copy is at
# most SECRETS_KEPT_SECONDS old, which lets a delivery signed with the secret of a connection
# just disconnected through no longer than that: the same as a delivery accepted just before
# the disconnection, which the handlers meet anyway.
SECRETS_KEPT_SECONDS = 10.0
_kept: dict[str | None, tuple[SecretSource, float, list[tuple[int, str]]]] = {}
_kept_lock = threading.Lock()


def register_secret_source(source: SecretSource) -> None:
    _secret_source[:] = [source]
    webhook_secrets_changed()


def webhook_secrets_changed() -> None:
    """Forget the secrets kept in this process: the next delivery reads them again."""
    with _kept_lock:
        _kept.clear()


def webhook_secrets(company_id: str | None, *, fresh: bool = False) -> list[tuple[int, str]]:
    """(connection id, secret) pairs that may have signed a delivery for `company_id` (every
    live connection's when None): as read at most SECRETS_KEPT_SECONDS ago, or read now with
    `fresh`."""
    if not _secret_source:
        return []
    source = _secret_source[0]
    now = time.monotonic()
    if not fresh:
        with _kept_lock:
            kept = _kept.get(company_id)
        if kept is not None and kept[0] is source and now - kept[1] < SECRETS_KEPT_SECONDS:
            return kept[2]
    pairs = source(company_id)
    with _kept_lock:
        _kept[company_id] = (source, now, pairs)
    return pairs
