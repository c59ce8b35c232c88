"""Remote clients built for one connection, with token stores backed by its row."""

from __future__ import annotations

import requests
from django.conf import settings

from integrations.connections.models import Connection
from integrations.connections.tokens import ConnectionTokenStore
from integrations.core.pacing import pacing_for
from integrations.pleo.client import PleoClient, PleoOAuth
from integrations.visma.client import VismaClient, VismaConnect

# Where Pleo delivers webhooks and where the two OAuth providers send the user back.
WEBHOOK_PATH = "/api/pleo/webhooks/"
PLEO_CALLBACK_PATH = "/connections/oauth/pleo/callback/"
VISMA_CALLBACK_PATH = "/connections/oauth/visma/callback/"
WEBHOOK_EVENT_TYPES = ("v1.export-job.created", "v1.vendor.created")


def webhook_url() -> str:
    return f"{settings.PUBLIC_BASE_URL}{WEBHOOK_PATH}"


def pleo_redirect_uri() -> str:
    # Built from the configured public address, not the request: providers match redirect URIs
    # exactly against what was registered.
    return f"{settings.PUBLIC_BASE_URL}{PLEO_CALLBACK_PATH}"


def visma_redirect_uri() -> str:
    return f"{settings.PUBLIC_BASE_URL}{VISMA_CALLBACK_PATH}"


def pleo_oauth_for(*, connection: Connection, session: requests.Session | None = None) -> PleoOAuth:
    return PleoOAuth(
        auth_url=settings.PLEO_AUTH_URL,
        client_id=settings.PLEO_CLIENT_ID,
        client_secret=settings.PLEO_CLIENT_SECRET,
        token_store=ConnectionTokenStore(connection_id=connection.pk, provider="pleo"),
        session=session,
    )


def visma_connect_for(
    *,
    connection: Connection,
    session: requests.Session | None = None,
    tenant_id: str | None = None,
) -> VismaConnect:
    # tenant_id "" (an interactive sign-in not yet finished): the company chosen at Visma
    # Connect decides; None: the connection's own.
    return VismaConnect(
        connect_url=settings.VISMA_CONNECT_URL,
        client_id=settings.VISMA_CLIENT_ID,
        client_secret=settings.VISMA_CLIENT_SECRET,
        tenant_id=connection.visma_tenant_id if tenant_id is None else tenant_id,
        token_store=ConnectionTokenStore(connection_id=connection.pk, provider="visma"),
        session=session,
        # An interactive connection without a refresh token needs a person to sign in again; it
        # never falls back to client credentials.
        interactive=connection.visma_auth_mode == Connection.VismaAuthMode.INTERACTIVE,
    )


def connection_pleo_client(
    *, connection: Connection, session: requests.Session | None = None
) -> PleoClient:
    return PleoClient(
        base_url=settings.PLEO_API_URL,
        auth=pleo_oauth_for(connection=connection, session=session),
        company_id=connection.pleo_company_id,
        session=session,
    )


def connection_visma_client(
    *, connection: Connection, session: requests.Session | None = None
) -> VismaClient:
    client = VismaClient(
        base_url=settings.VISMA_API_URL,
        auth=visma_connect_for(connection=connection, session=session),
        session=session,
    )
    # Visma.net counts calls per company and client: every client of the company in this
    # process shares one budget and one memory of failed requests.
    client.pacing = pacing_for(
        ("visma", connection.visma_tenant_id or f"connection-{connection.pk}")
    )
    return client
