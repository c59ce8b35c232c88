"""Token stores backed by the connection row (the `core.tokens.TokenStore` protocol).

`locked()` is the one place where a database transaction spans an HTTP call: a token refresh
must be exclusive, because Pleo rotates refresh tokens and spending one twice revokes the grant.
On PostgreSQL the row lock (`select_for_update`) serialises workers on every machine.

SQLite has no row locks: a transaction there would hold the write lock on the whole database
during the HTTP call, and a sandbox served by the same installation (the demo) could then not
record the token it issues, a deadlock. So on SQLite no transaction is held; a process-local lock
keyed by connection serialises the threads of one process, and an advisory file lock
(`flock`) the processes (web server and worker) of the one machine SQLite runs on.
"""

from __future__ import annotations

import fcntl
import hashlib
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from django.db import connection as db_connection
from django.db import transaction

from integrations.connections.models import Connection
from integrations.core.tokens import OAuthToken

Provider = Literal["pleo", "visma"]
# A fresh token read from the row is used again for this long without reading the row: every
# remote call asks for the token, and a run makes thousands. A token refreshed by another worker
# meanwhile is seen after this time, or at once after a 401 (`locked` reads the row).
TOKEN_REUSE_SECONDS = 30.0

_process_locks: dict[tuple[int, str], threading.Lock] = {}
_process_locks_guard = threading.Lock()


def _process_lock(connection_id: int, provider: str) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault((connection_id, provider), threading.Lock())


@contextmanager
def _file_lock(connection_id: int, provider: str) -> Iterator[None]:
    # One lock file per database file and connection, so two installations never share one.
    database = str(db_connection.settings_dict.get("NAME") or "")
    key = hashlib.sha256(f"{database}:{connection_id}:{provider}".encode()).hexdigest()[:24]
    path = Path(tempfile.gettempdir()) / f"pleo-visma-token-{key}.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fields(provider: Provider) -> tuple[str, str, str, str, str]:
    return (
        f"{provider}_access_token",
        f"{provider}_refresh_token",
        f"{provider}_token_expires_at",
        f"{provider}_token_scope",
        f"{provider}_refresh_expires_at",
    )


def token_from_row(connection: Connection, provider: Provider) -> OAuthToken | None:
    access, refresh, expires, scope, refresh_expires = _fields(provider)
    access_token = getattr(connection, access) or ""
    refresh_token = getattr(connection, refresh) or ""
    if not access_token and not refresh_token:
        return None
    return OAuthToken(
        access_token=access_token,
        refresh_token=refresh_token,
        expires_at=getattr(connection, expires),
        scope=getattr(connection, scope) or "",
        refresh_expires_at=getattr(connection, refresh_expires),
    )


class ConnectionTokenStore:
    """Stores one provider's OAuth token on a `Connection` row, encrypted."""

    def __init__(self, *, connection_id: int, provider: Provider) -> None:
        self.connection_id = connection_id
        self.provider: Provider = provider
        self._kept: tuple[OAuthToken | None, float] | None = None

    def _keep(self, token: OAuthToken | None) -> OAuthToken | None:
        self._kept = (token, time.monotonic())
        return token

    def load(self) -> OAuthToken | None:
        kept = self._kept
        if (
            kept is not None
            and kept[0] is not None
            and kept[0].is_fresh()
            and time.monotonic() - kept[1] < TOKEN_REUSE_SECONDS
        ):
            return kept[0]
        row = Connection.objects.filter(pk=self.connection_id).only(*_fields(self.provider)).get()
        return self._keep(token_from_row(row, self.provider))

    def save(self, token: OAuthToken) -> None:
        access, refresh, expires, scope, refresh_expires = _fields(self.provider)
        # A queryset update writes only the token columns (and still encrypts them), so a save
        # from inside a refresh never overwrites settings someone changed meanwhile.
        Connection.objects.filter(pk=self.connection_id).update(
            **{
                access: token.access_token or None,
                refresh: token.refresh_token or None,
                expires: token.expires_at,
                scope: token.scope,
                refresh_expires: token.refresh_expires_at if token.refresh_token else None,
            }
        )
        self._keep(token)

    def clear(self) -> None:
        access, refresh, expires, scope, refresh_expires = _fields(self.provider)
        Connection.objects.filter(pk=self.connection_id).update(
            **{access: None, refresh: None, expires: None, scope: "", refresh_expires: None}
        )
        self._kept = None

    @contextmanager
    def locked(self) -> Iterator[OAuthToken | None]:
        with connection_exclusive(self.connection_id, self.provider):
            # Read the row, not what was kept: another worker may have refreshed meanwhile.
            self._kept = None
            yield self.load()


@contextmanager
def connection_exclusive(connection_id: int, purpose: str) -> Iterator[None]:
    """One holder at a time per connection and purpose, for work that spans HTTP calls (a token
    refresh, creating a record in Visma.net once): the connection's row lock on PostgreSQL (held
    in a transaction), a process and a file lock on SQLite (see the module's docstring)."""
    if db_connection.vendor == "sqlite":
        with _process_lock(connection_id, purpose), _file_lock(connection_id, purpose):
            yield
        return
    with transaction.atomic():
        Connection.objects.select_for_update().only("pk").get(pk=connection_id)
        yield
