"""The webhook secrets are read once every few seconds per process, not once per delivery;
a secret set or rotated meanwhile is read at once, and a connection saved in this process makes
them read again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from integrations.pleo import events
from tests.pleo.webhook_support import OTHER_SECRET, SECRET, event_body, signed

pytestmark = pytest.mark.django_db


@pytest.fixture
def reads() -> Iterator[dict[str, Any]]:
    """A secret source that counts its reads and whose secret a test can change."""
    state: dict[str, Any] = {"reads": 0, "secret": SECRET}

    def source(company: str | None) -> list[tuple[int, str]]:
        state["reads"] += 1
        return [(11, state["secret"])]

    saved = list(events._secret_source)
    events.register_secret_source(source)
    yield state
    events._secret_source[:] = saved
    events.webhook_secrets_changed()


def _body(n: int) -> bytes:
    return event_body("v1.unhandled-event", event_id=f"e-{n}")


def test_deliveries_in_a_row_read_the_secrets_once(post: Any, reads: dict[str, Any]) -> None:
    for n in range(3):
        body = _body(n)
        assert post(body, **signed(body, msg_id=f"msg_{n}")).status_code == 202
    assert reads["reads"] == 1


def test_a_rotated_secret_is_read_again_before_a_delivery_is_refused(
    post: Any, reads: dict[str, Any]
) -> None:
    first = _body(1)
    assert post(first, **signed(first, msg_id="msg_1")).status_code == 202
    reads["secret"] = OTHER_SECRET  # rotated in the database, by another process
    second = _body(2)
    answer = post(second, **signed(second, secret=OTHER_SECRET, msg_id="msg_2"))
    assert answer.status_code == 202
    assert reads["reads"] == 2
    # The old secret no longer verifies anything, even though it was kept.
    third = _body(3)
    assert post(third, **signed(third, secret=SECRET, msg_id="msg_3")).status_code == 401


def test_the_secrets_are_read_again_once_kept_long_enough(
    post: Any, reads: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(events.time, "monotonic", lambda: clock[0])
    events.webhook_secrets_changed()
    assert events.webhook_secrets(None) == [(11, SECRET)]
    clock[0] += events.SECRETS_KEPT_SECONDS - 0.5
    events.webhook_secrets(None)
    assert reads["reads"] == 1
    clock[0] += 1.0
    events.webhook_secrets(None)
    assert reads["reads"] == 2


def test_a_connection_saved_here_has_the_stored_secrets_read_again(client: Client) -> None:
    from integrations.connections.models import Connection

    events.webhook_secrets_changed()
    assert events.webhook_secrets(None) == []
    Connection.objects.create(
        name="Acme", pleo_webhook_subscription_id="sub-1", pleo_webhook_secret=SECRET
    )
    (found,) = events.webhook_secrets(None)
    assert found[1] == SECRET
