from __future__ import annotations

import pytest
import responses
from django.contrib.auth.models import User

from integrations.connections import services
from integrations.connections.models import Connection
from integrations.connections.tokens import ConnectionTokenStore
from tests.connections.conftest import PLEO_API, PLEO_AUTH, VISMA_CONNECT, tokens_give

pytestmark = pytest.mark.django_db


def test_disconnect_revokes_deletes_tokens_and_keeps_history(
    connected: Connection, finance_user: User, mocked: responses.RequestsMock
) -> None:
    tokens_give(connected, "visma", refresh_token="visma-refresh")
    sub = mocked.delete(f"{PLEO_API}/v1/subscriptions/sub-1", status=204)
    pleo_revoke = mocked.post(f"{PLEO_AUTH}/oauth/revoke", status=200)
    visma_revoke = mocked.post(f"{VISMA_CONNECT}/connect/revocation", status=200)
    history_before = connected.history.count()

    services.connection_disconnect(connection=connected, by=finance_user)

    connected.refresh_from_db()
    assert sub.call_count == 1 and pleo_revoke.call_count == 2 and visma_revoke.call_count == 1
    assert connected.status == Connection.Status.DISCONNECTED
    assert connected.disconnected_by == finance_user and connected.disconnected_at is not None
    for provider in ("pleo", "visma"):
        assert ConnectionTokenStore(connection_id=connected.pk, provider=provider).load() is None  # type: ignore[arg-type]
    assert connected.pleo_webhook_secret is None and connected.pleo_webhook_subscription_id == ""
    # The row, its settings and its history stay.
    assert connected.history.count() > history_before
    assert connected.history.filter(status="connected").exists()
    assert connected.export_settings.pk and connected.account_mapping.pk
    kinds = set(connected.events.values_list("kind", flat=True))
    assert {"pleo_webhook_delete", "pleo_revoke", "visma_revoke", "disconnected"} <= kinds


def test_disconnect_is_best_effort_when_remote_fails(
    connected: Connection, finance_user: User, mocked: responses.RequestsMock
) -> None:
    mocked.delete(f"{PLEO_API}/v1/subscriptions/sub-1", status=404, json={"message": "gone"})
    mocked.post(f"{PLEO_AUTH}/oauth/revoke", status=400, json={"error": "invalid_token"})
    services.connection_disconnect(connection=connected, by=finance_user)
    connected.refresh_from_db()
    assert connected.status == Connection.Status.DISCONNECTED
    assert ConnectionTokenStore(connection_id=connected.pk, provider="pleo").load() is None
    failed = connected.events.get(kind="pleo_webhook_delete")
    assert not failed.ok and "gone" in failed.detail
