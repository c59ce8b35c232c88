"""Who may see which connection (the rule behind `integrations.core.access`): superusers every
connection, other users the connections they are members of."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from integrations.connections.models import Connection, ConnectionMembership
from integrations.core.access import scope_to_user


def connection_member_ids(user: AbstractBaseUser) -> QuerySet[Any]:
    """The rule registered with core: the ids of the user's connections, as a subquery."""
    return ConnectionMembership.objects.filter(user_id=user.pk).values("connection_id")


def connections_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Connection]:
    return scope_to_user(Connection.objects.all(), user, field="pk").order_by("name", "id")


def connection_members(*, connection: Connection) -> QuerySet[ConnectionMembership]:
    return connection.memberships.select_related("user").order_by("user__username")


def connection_member_add(
    *, connection: Connection, user: AbstractBaseUser | None, by: AbstractBaseUser | None = None
) -> None:
    """Idempotent: a user already a member stays one."""
    if user is None or not user.pk:
        return
    ConnectionMembership.objects.get_or_create(
        connection=connection, user_id=user.pk, defaults={"added_by_id": by.pk if by else None}
    )
