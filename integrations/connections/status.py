"""The connection's lifecycle state and its event log."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User

from integrations.connections.models import Connection, ConnectionEvent


def user_or_none(user: AbstractBaseUser | AnonymousUser | None) -> User | None:
    """The signed-in user to record as the author, or None (anonymous, commands)."""
    if user is None or not user.is_authenticated:
        return None
    return cast(User, user)


def connection_event_record(
    *,
    connection: Connection,
    kind: str,
    ok: bool = True,
    by: AbstractBaseUser | AnonymousUser | None = None,
    detail: str = "",
    lines: list[dict[str, Any]] | None = None,
) -> ConnectionEvent:
    return ConnectionEvent.objects.create(
        connection=connection,
        kind=kind,
        ok=ok,
        by=user_or_none(by),
        detail=detail[:4000],
        lines=lines or [],
    )


def connection_status_refresh(*, connection: Connection) -> Connection:
    """`connected` once both sides are connected and a branch is chosen; else `setup`.

    A disconnected connection stays disconnected until one side is connected again.
    """
    if connection.status == Connection.Status.DISCONNECTED:
        return connection
    ready = (
        connection.pleo_connected
        and connection.visma_connected
        and bool(connection.visma_branch_number)
    )
    wanted = Connection.Status.CONNECTED if ready else Connection.Status.SETUP
    if connection.status != wanted:
        connection.status = wanted
        connection.save(update_fields=["status", "updated_at"])
    return connection
