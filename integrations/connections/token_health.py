"""How long each service's sign-in of a connection lasts, and when a person must connect again.

Access tokens are short-lived and renew themselves; what bites is the end of the refresh token
(Pleo: at least 60 days after it was issued, so an idle connection must sign in again; Visma
Connect, when it says so), or an access token that cannot renew. Read from the connection row
alone: no query of its own. The dashboard shows it; a daily task e-mails before it bites.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from django.utils import timezone

from integrations.connections.models import Connection
from integrations.core.dates import when_text

# Warn this long before a sign-in ends.
WARN_BEFORE = timedelta(days=7)

State = Literal["ok", "warn", "expired", "missing"]


@dataclass(frozen=True)
class TokenHealth:
    service: Literal["pleo", "visma"]
    label: str
    state: State
    message: str
    ends_at: datetime | None  # when a person must sign in again; None when nothing ends
    access_expires_at: datetime | None
    anchor: str  # the section of the connection page that connects it again

    @property
    def needs_reconnect(self) -> bool:
        return self.state in ("warn", "expired")


def _state(ends_at: datetime | None, now: datetime) -> State:
    if ends_at is None:
        return "ok"
    if ends_at <= now:
        return "expired"
    return "warn" if ends_at - now <= WARN_BEFORE else "ok"


def _when(at: datetime) -> str:
    return when_text(at)


def _pleo(connection: Connection, now: datetime) -> TokenHealth:
    label = "Pleo"
    if not connection.pleo_connected:
        return TokenHealth("pleo", label, "missing", "Not connected.", None, None, "#pleo")
    access = connection.pleo_token_expires_at
    ends = connection.pleo_refresh_expires_at if connection.pleo_refresh_token else access
    state = _state(ends, now)
    if state == "expired":
        message = "The sign-in has ended: connect Pleo again; exports and syncs stop until then."
    elif state == "warn":
        assert ends is not None
        message = (
            f"The sign-in ends {_when(ends)} unless it is used before: connect Pleo again to "
            "be sure exports keep running."
        )
    elif connection.pleo_refresh_token and ends is not None:
        message = (
            "Renews itself whenever it is used; if unused until "
            f"{_when(ends)}, Pleo must be connected again."
        )
    else:
        message = "Renews itself."
    return TokenHealth("pleo", label, state, message, ends, access, "#pleo")


def _visma(connection: Connection, now: datetime) -> TokenHealth:
    label = "Visma.net"
    if not connection.visma_connected:
        return TokenHealth("visma", label, "missing", "Not connected.", None, None, "#visma")
    access = connection.visma_token_expires_at
    if connection.visma_auth_mode == Connection.VismaAuthMode.SERVICE:
        return TokenHealth(
            "visma",
            label,
            "ok",
            "Service integration: a new token is fetched with the client credentials, so "
            "nothing ends.",
            None,
            access,
            "#visma",
        )
    ends = connection.visma_refresh_expires_at if connection.visma_refresh_token else access
    state = _state(ends, now)
    if state == "expired":
        message = (
            "The sign-in has ended: sign in to Visma.net again; exports and syncs stop until then."
        )
    elif state == "warn":
        assert ends is not None
        message = f"The sign-in ends {_when(ends)}: sign in to Visma.net again before then."
    elif ends is not None:
        message = f"Renews itself until {_when(ends)}."
    else:
        message = "Renews itself; Visma Connect did not say when the sign-in ends."
    return TokenHealth("visma", label, state, message, ends, access, "#visma")


def token_health(*, connection: Connection, now: datetime | None = None) -> list[TokenHealth]:
    now = now or timezone.now()
    return [_pleo(connection, now), _visma(connection, now)]
