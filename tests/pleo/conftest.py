from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from integrations.pleo import events
from tests.pleo.webhook_support import OTHER_SECRET, SECRET, URL


@pytest.fixture
def post(client: Client, django_capture_on_commit_callbacks: Any) -> Any:
    """POST as Pleo does, running what the view queues after commit (Q_SYNC runs tasks inline)."""

    def send(body: bytes, **headers: str) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(URL, body, content_type="application/json", **headers)

    return send


@pytest.fixture
def secrets_and_handlers() -> Iterator[list[dict[str, Any]]]:
    """Two connections' secrets (7 and 11) and a recording export-job handler."""
    handled: list[dict[str, Any]] = []
    saved_source = list(events._secret_source)
    saved_handlers = dict(events._handlers)
    events.register_secret_source(lambda company: [(7, OTHER_SECRET), (11, SECRET)])
    events._handlers.clear()
    events.register_handler(
        events.EXPORT_JOB_CREATED,
        lambda *, connection_id, event: handled.append({"c": connection_id, "e": event}),
    )
    yield handled
    events._secret_source[:] = saved_source
    events._handlers.clear()
    events._handlers.update(saved_handlers)
