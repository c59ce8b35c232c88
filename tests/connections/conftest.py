from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import responses
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from integrations.connections import services
from integrations.connections.models import Connection
from integrations.connections.tokens import ConnectionTokenStore
from integrations.core.roles import FINANCE, SUPPORT, roles_sync
from integrations.core.tokens import OAuthToken
from tests.membership import connection_admits_every_user, user_joins_every_connection

PLEO_API = "https://pleo.test"
PLEO_AUTH = "https://auth.pleo.test"
VISMA_API = "https://visma.test"
VISMA_CONNECT = "https://connect.visma.test"
PUBLIC = "https://integration.example"
WEBHOOK = f"{PUBLIC}/api/pleo/webhooks/"


@pytest.fixture(autouse=True)
def remote_settings(settings: Any) -> Any:
    settings.PLEO_API_URL = PLEO_API
    settings.PLEO_AUTH_URL = PLEO_AUTH
    settings.PLEO_CLIENT_ID = "pleo-client"
    settings.PLEO_CLIENT_SECRET = "pleo-secret"
    settings.VISMA_API_URL = VISMA_API
    settings.VISMA_CONNECT_URL = VISMA_CONNECT
    settings.VISMA_CLIENT_ID = "visma-client"
    settings.VISMA_CLIENT_SECRET = "visma-secret"
    settings.PUBLIC_BASE_URL = PUBLIC
    settings.REMOTE_MAX_RETRY_WAIT = 0.0
    return settings


def _user(username: str, group: str | None) -> User:
    roles_sync()
    user = User.objects.create_user(username=username, password="pw")
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user_joins_every_connection(user)


@pytest.fixture
def finance_user(db: None) -> User:
    return _user("fiona", FINANCE)


@pytest.fixture
def support_user(db: None) -> User:
    return _user("sam", SUPPORT)


@pytest.fixture
def finance_client(finance_user: User) -> Client:
    client = Client()
    client.force_login(finance_user)
    return client


@pytest.fixture
def support_client(support_user: User) -> Client:
    client = Client()
    client.force_login(support_user)
    return client


@pytest.fixture
def connection(finance_user: User) -> Connection:
    return connection_admits_every_user(
        services.connection_create(name="Nordlys AS", created_by=finance_user)
    )


def tokens_give(connection: Connection, provider: str, **kwargs: Any) -> None:
    values: dict[str, Any] = {
        "access_token": f"{provider}-access",
        "refresh_token": f"{provider}-refresh",
        "expires_at": timezone.now() + timedelta(hours=1),
        "scope": "",
    }
    values.update(kwargs)
    ConnectionTokenStore(connection_id=connection.pk, provider=provider).save(  # type: ignore[arg-type]
        OAuthToken(**values)
    )


@pytest.fixture
def connected(connection: Connection) -> Connection:
    """Both sides connected with fresh tokens, branch 1 chosen, webhook subscribed."""
    tokens_give(connection, "pleo")
    tokens_give(
        connection,
        "visma",
        refresh_token="",
        scope="vismanet_erp_service_api:read vismanet_erp_service_api:create",
    )
    Connection.objects.filter(pk=connection.pk).update(
        pleo_company_id="company-1",
        pleo_connected_at=timezone.now(),
        pleo_webhook_subscription_id="sub-1",
        visma_auth_mode="service",
        visma_tenant_id="tenant-1",
        visma_connected_at=timezone.now(),
        visma_branch_number="1",
        visma_company_name="Nordlys AS",
        status="connected",
    )
    connection.refresh_from_db()
    connection.pleo_webhook_secret = "whsec_c2VjcmV0"
    connection.save()
    return connection


def subscription(sub_id: str = "sub-1", **overrides: Any) -> dict[str, Any]:
    body = {
        "id": sub_id,
        "endpointUrl": WEBHOOK,
        "eventTypes": ["v1.export-job.created", "v1.vendor.created"],
        "status": "ACTIVE",
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-01-01T00:00:00Z",
    }
    body.update(overrides)
    return body


def page(data: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "data": data,
        "pagination": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "currentRequestPagination": {},
        },
    }


def branch(number: str = "1", name: str = "Nordlys AS", active: bool = True) -> dict[str, Any]:
    return {"number": number, "name": name, "isMainBranch": number == "1", "isActive": active}


@pytest.fixture
def mocked() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def visma_happy(
    rsps: responses.RequestsMock, *, branches: list[dict[str, Any]] | None = None
) -> None:
    rsps.get(f"{VISMA_API}/v1/branch", json=branches if branches is not None else [branch()])
    rsps.get(f"{VISMA_API}/v1/account", json=[])
    rsps.get(f"{VISMA_API}/v1/vatCategory", json=[])
    rsps.get(f"{VISMA_API}/v1/supplier", json=[])


def pleo_happy(rsps: responses.RequestsMock, subs: list[dict[str, Any]] | None = None) -> None:
    rsps.get(
        f"{PLEO_API}/v1/subscriptions", json=page(subs if subs is not None else [subscription()])
    )


Factory = Callable[..., Any]
