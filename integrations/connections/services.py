"""Writes on connections: create, connect (see `connect.py`), choose the branch, check, disconnect.

The public names of the app's services are all importable from here.
"""

from __future__ import annotations

from collections.abc import Callable

import requests
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from integrations.connections.access import connection_member_add
from integrations.connections.branch import branch_problem
from integrations.connections.checks import (
    CheckLine,
    connection_permission_check,
    permission_check_last,
)
from integrations.connections.clients import (
    connection_pleo_client,
    connection_visma_client,
    pleo_oauth_for,
    visma_connect_for,
)
from integrations.connections.connect import (
    pending_oauth_claim,
    pleo_connect_finish,
    pleo_connect_start,
    pleo_webhook_ensure,
    visma_connect_interactive_finish,
    visma_connect_interactive_start,
    visma_connect_service,
)
from integrations.connections.errors import ConnectionSetupError, OAuthStateError
from integrations.connections.export_settings import (
    PaymentMethodChoice,
    export_settings_update,
    payment_methods_for_connection,
)
from integrations.connections.models import AccountMapping, Connection, ExportSettings
from integrations.connections.status import (
    connection_event_record,
    connection_status_refresh,
    user_or_none,
)
from integrations.connections.tokens import ConnectionTokenStore
from integrations.core import errors
from integrations.core.context import call_links
from integrations.visma.types import Branch

__all__ = [
    "CheckLine",
    "ConnectionSetupError",
    "OAuthStateError",
    "PaymentMethodChoice",
    "connection_create",
    "connection_disconnect",
    "connection_permission_check",
    "connection_pleo_client",
    "connection_status_refresh",
    "connection_visma_client",
    "export_settings_update",
    "payment_methods_for_connection",
    "pending_oauth_claim",
    "permission_check_last",
    "pleo_connect_finish",
    "pleo_connect_start",
    "pleo_webhook_ensure",
    "visma_branch_choose",
    "visma_branches_list",
    "visma_connect_interactive_finish",
    "visma_connect_interactive_start",
    "visma_connect_service",
]


def connection_create(
    *, name: str, created_by: AbstractBaseUser | AnonymousUser | None
) -> Connection:
    """A new connection with default export settings and an empty account mapping."""
    name = name.strip()
    if not name:
        raise ConnectionSetupError("Give the connection a name, e.g. the company's name.")
    if len(name) > 200:
        raise ConnectionSetupError("A connection name has at most 200 characters.")
    user = user_or_none(created_by)
    with transaction.atomic():
        connection = Connection.objects.create(name=name, created_by=user)
        ExportSettings.objects.create(connection=connection)
        AccountMapping.objects.create(connection=connection)
        connection_event_record(connection=connection, kind="created", by=user)
        # Whoever creates a connection can see it (and a superuser adds the colleagues).
        connection_member_add(connection=connection, user=user, by=user)
    return connection


def visma_branches_list(
    *, connection: Connection, session: requests.Session | None = None
) -> list[Branch]:
    client = connection_visma_client(connection=connection, session=session)
    with call_links(connection_id=connection.pk):
        return client.branches_list()


def visma_branch_choose(
    *,
    connection: Connection,
    branch_number: str,
    by: AbstractBaseUser | AnonymousUser | None = None,
    session: requests.Session | None = None,
) -> Connection:
    """Choose the company branch, checked against what Visma.net lists now."""
    branch_number = branch_number.strip()
    if not branch_number:
        raise ConnectionSetupError("Choose a branch.")
    try:
        branches = visma_branches_list(connection=connection, session=session)
    except errors.ApiError as exc:
        raise ConnectionSetupError(
            f"Visma.net did not list the branches ({exc.message}). Run the permission check "
            "below to see what to fix."
        ) from exc
    problem = branch_problem(branch_number=branch_number, branches=branches)
    if problem:
        raise ConnectionSetupError(f"{problem} Choose an active branch of the company.")
    branch = next(b for b in branches if b.number == branch_number)
    connection.refresh_from_db()
    connection.visma_branch_number = branch.number
    # A branch is a legal entity in Visma.net; its name is the company name the user knows.
    connection.visma_company_name = branch.name
    connection.save()
    connection_event_record(
        connection=connection,
        kind="visma_branch",
        by=user_or_none(by),
        detail=f"branch {branch.number} ({branch.name})",
    )
    return connection_status_refresh(connection=connection)


def connection_disconnect(
    *,
    connection: Connection,
    by: AbstractBaseUser | AnonymousUser | None,
    session: requests.Session | None = None,
) -> Connection:
    """Delete the webhook subscription and revoke tokens (best effort, each step recorded),
    then forget the tokens and secret. The row, its settings and its history stay."""
    user = user_or_none(by)
    connection.refresh_from_db()
    pleo_store = ConnectionTokenStore(connection_id=connection.pk, provider="pleo")
    visma_store = ConnectionTokenStore(connection_id=connection.pk, provider="visma")
    with call_links(connection_id=connection.pk):
        if pleo_store.load() is not None:
            subscription_id = connection.pleo_webhook_subscription_id
            if subscription_id:
                try:
                    connection_pleo_client(
                        connection=connection, session=session
                    ).subscription_delete(subscription_id)
                    connection_event_record(
                        connection=connection,
                        kind="pleo_webhook_delete",
                        by=user,
                        detail=f"subscription {subscription_id}",
                    )
                except errors.ApiError as exc:
                    connection_event_record(
                        connection=connection,
                        kind="pleo_webhook_delete",
                        ok=False,
                        by=user,
                        detail=f"subscription {subscription_id}: {exc}",
                    )
            _best_effort(
                connection,
                "pleo_revoke",
                user,
                pleo_oauth_for(connection=connection, session=session).revoke,
            )
        visma_token = visma_store.load()
        if visma_token is not None and visma_token.refresh_token:
            _best_effort(
                connection,
                "visma_revoke",
                user,
                visma_connect_for(connection=connection, session=session).revoke,
            )
    pleo_store.clear()
    visma_store.clear()
    connection.refresh_from_db()
    connection.pleo_webhook_subscription_id = ""
    connection.pleo_webhook_secret = None
    connection.status = Connection.Status.DISCONNECTED
    connection.disconnected_at = timezone.now()
    connection.disconnected_by = user
    connection.save()
    connection_event_record(connection=connection, kind="disconnected", by=user)
    return connection


def _best_effort(
    connection: Connection, kind: str, user: User | None, action: Callable[[], None]
) -> None:
    try:
        action()
    except errors.ApiError as exc:
        connection_event_record(
            connection=connection, kind=kind, ok=False, by=user, detail=str(exc)
        )
    else:
        connection_event_record(connection=connection, kind=kind, by=user)
