"""OAuth tokens as the clients see them, and the storage protocol they use.

The clients never import the models that hold tokens; `connections` implements `TokenStore`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.utils import timezone

from integrations.core import errors

# Refresh this long before the token's stated expiry, so a call never starts with a token that
# dies on the way.
EXPIRY_MARGIN = timedelta(seconds=90)


@dataclass(frozen=True)
class OAuthToken:
    access_token: str
    refresh_token: str = ""
    expires_at: datetime | None = None
    scope: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # When the refresh token stops working (then a person must sign in again); None = unknown.
    refresh_expires_at: datetime | None = None

    def is_fresh(self, *, now: datetime | None = None) -> bool:
        if not self.access_token:
            return False
        if self.expires_at is None:
            return True
        return (now or timezone.now()) < self.expires_at - EXPIRY_MARGIN

    @classmethod
    def from_response(
        cls,
        payload: dict[str, Any],
        *,
        previous: OAuthToken | None = None,
        refresh_lifetime: timedelta | None = None,
    ) -> OAuthToken:
        """Build from a standard OAuth2 token response (RFC 6749 §5.1).

        The refresh token's end: the answer's `refresh_token_expires_in` (or
        `refresh_expires_in`) when it sends one, else `refresh_lifetime` from now for a newly
        issued refresh token (what the service documents), else the previous token's."""
        now = timezone.now()
        expires_at = _seconds_from(now, payload, "expires_in")
        refresh_expires_at = _seconds_from(now, payload, "refresh_token_expires_in") or (
            _seconds_from(now, payload, "refresh_expires_in")
        )
        if refresh_expires_at is None:
            if payload.get("refresh_token") and refresh_lifetime is not None:
                refresh_expires_at = now + refresh_lifetime
            elif not payload.get("refresh_token") and previous is not None:
                refresh_expires_at = previous.refresh_expires_at
        known = {
            "access_token",
            "refresh_token",
            "expires_in",
            "scope",
            "token_type",
            "refresh_token_expires_in",
            "refresh_expires_in",
        }
        return cls(
            access_token=str(payload["access_token"]),
            # Rotating refresh tokens: keep the new one; some grants send none, keep the old.
            refresh_token=str(
                payload.get("refresh_token") or (previous.refresh_token if previous else "")
            ),
            expires_at=expires_at,
            scope=str(payload.get("scope") or (previous.scope if previous else "")),
            extra={k: v for k, v in payload.items() if k not in known},
            refresh_expires_at=refresh_expires_at,
        )


def _seconds_from(now: datetime, payload: dict[str, Any], key: str) -> datetime | None:
    value = payload.get(key)
    if value is None:
        return None
    try:
        return now + timedelta(seconds=int(value))
    except (TypeError, ValueError, OverflowError) as exc:
        raise errors.UnexpectedAnswer(
            f"The token endpoint answered {key}={str(value)[:40]!r}, not seconds"
        ) from exc


class TokenStore(Protocol):
    def load(self) -> OAuthToken | None: ...

    def save(self, token: OAuthToken) -> None: ...

    def locked(self) -> Any:
        """A context manager that holds an exclusive lock on the stored token and yields it.

        Refreshing happens inside it, so two workers never spend the same refresh token.
        """
        ...


class MemoryTokenStore:
    """A token store kept in memory (client-credentials tokens, tests)."""

    def __init__(self, token: OAuthToken | None = None) -> None:
        self._token = token
        self._lock = threading.Lock()

    def load(self) -> OAuthToken | None:
        return self._token

    def save(self, token: OAuthToken) -> None:
        self._token = token

    @contextmanager
    def locked(self) -> Iterator[OAuthToken | None]:
        with self._lock:
            yield self._token
