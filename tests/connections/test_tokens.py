from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import responses
from django.db import connection as db_connection
from django.db import connections
from django.utils import timezone

from integrations.connections.clients import pleo_oauth_for
from integrations.connections.models import Connection
from integrations.connections.tokens import ConnectionTokenStore
from integrations.core.tokens import OAuthToken
from tests.connections.conftest import PLEO_AUTH, tokens_give


@pytest.mark.django_db
def test_tokens_are_encrypted_in_the_database(connection: Connection) -> None:
    tokens_give(
        connection, "pleo", access_token="clear-access-123", refresh_token="clear-refresh-456"
    )
    connection.refresh_from_db()
    connection.pleo_webhook_secret = "whsec_clear-secret"
    connection.save()
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT pleo_access_token, pleo_refresh_token, pleo_webhook_secret "
            "FROM connections_connection WHERE id = %s",
            [connection.pk],
        )
        raw = cursor.fetchone()
    assert all(value and value.startswith("gAAAA") for value in raw), raw
    assert "clear-access-123" not in raw[0]
    assert "clear-refresh-456" not in raw[1]
    assert "clear-secret" not in raw[2]
    token = ConnectionTokenStore(connection_id=connection.pk, provider="pleo").load()
    assert token is not None
    assert (token.access_token, token.refresh_token) == ("clear-access-123", "clear-refresh-456")


@pytest.mark.django_db
def test_history_never_copies_secrets(connection: Connection) -> None:
    history_fields = {f.name for f in Connection.history.model._meta.fields}
    assert "pleo_refresh_token" not in history_fields
    assert "pleo_webhook_secret" not in history_fields
    assert "visma_access_token" not in history_fields
    assert "pleo_company_id" in history_fields


@pytest.mark.django_db
def test_a_stale_instance_save_keeps_rotated_tokens(connection: Connection) -> None:
    tokens_give(connection, "pleo", refresh_token="first")
    stale = Connection.objects.get(pk=connection.pk)
    # A refresh elsewhere rotates the refresh token while a page holds the old instance.
    tokens_give(connection, "pleo", refresh_token="rotated")
    stale.name = "Renamed"
    stale.save()
    fresh = Connection.objects.get(pk=connection.pk)
    assert fresh.name == "Renamed"
    assert fresh.pleo_refresh_token == "rotated"


@pytest.mark.django_db
def test_clear_deletes_the_tokens(connection: Connection) -> None:
    tokens_give(connection, "visma")
    store = ConnectionTokenStore(connection_id=connection.pk, provider="visma")
    store.clear()
    assert store.load() is None
    connection.refresh_from_db()
    assert connection.visma_access_token is None and connection.visma_refresh_token is None


def _concurrent_refresh(connection: Connection, callers: int = 5) -> tuple[list[str], int]:
    tokens_give(
        connection,
        "pleo",
        access_token="old",
        refresh_token="refresh-1",
        expires_at=timezone.now() - timedelta(minutes=5),
    )
    calls: list[str] = []

    def token_endpoint(request: Any) -> tuple[int, dict[str, str], str]:
        calls.append(request.body)
        time.sleep(0.3)  # long enough for the other callers to pile up on the lock
        return (
            200,
            {"Content-Type": "application/json"},
            f'{{"access_token": "new-{len(calls)}", "refresh_token": "refresh-{len(calls) + 1}", '
            '"expires_in": 3600}',
        )

    results: list[str] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(callers)

    def caller() -> None:
        try:
            oauth = pleo_oauth_for(connection=connection)
            barrier.wait()
            results.append(oauth.access_token())
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            connections.close_all()

    with responses.RequestsMock() as rsps:
        rsps.add_callback(responses.POST, f"{PLEO_AUTH}/oauth/token", callback=token_endpoint)
        threads = [threading.Thread(target=caller) for _ in range(callers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert not failures, failures
    return results, len(calls)


@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_refresh_once(connection: Connection) -> None:
    results, refreshes = _concurrent_refresh(connection)
    assert refreshes == 1
    assert results == ["new-1"] * 5
    token = ConnectionTokenStore(connection_id=connection.pk, provider="pleo").load()
    assert token is not None and token.refresh_token == "refresh-2"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_refresh_once_under_the_row_lock(connection: Connection) -> None:
    # On PostgreSQL only the row lock (select_for_update) serialises the callers, as it does
    # for workers on different machines.
    assert db_connection.vendor == "postgresql"
    results, refreshes = _concurrent_refresh(connection, callers=4)
    assert refreshes == 1
    assert results == ["new-1"] * 4


@pytest.mark.django_db
def test_an_empty_token_is_stored_as_null(connection: Connection) -> None:
    tokens_give(connection, "pleo")
    ConnectionTokenStore(connection_id=connection.pk, provider="pleo").save(
        OAuthToken(access_token="")
    )
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT pleo_access_token, pleo_refresh_token FROM connections_connection WHERE id = %s",
            [connection.pk],
        )
        assert cursor.fetchone() == (None, None)
