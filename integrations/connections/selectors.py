"""Reads about connections."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from integrations.connections.access import connections_for_user
from integrations.connections.models import Connection


def connection_get_for_pleo_company(*, company_id: str) -> Connection | None:
    """The live connection for a Pleo company (webhooks and exports find theirs this way)."""
    if not company_id:
        return None
    return (
        Connection.objects.filter(pleo_company_id=company_id)
        .exclude(status=Connection.Status.DISCONNECTED)
        .order_by("-created_at", "-id")
        .first()
    )


def connection_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Connection]:
    """The connections `user` may see (superusers: all), by name."""
    return connections_for_user(user)


def webhook_secrets_for_company(company_id: str | None) -> list[tuple[int, str]]:
    """(connection id, webhook secret) pairs that may have signed a Pleo delivery: the
    company's own connections first; every live connection when the company is unknown."""
    live = Connection.objects.exclude(status=Connection.Status.DISCONNECTED).exclude(
        pleo_webhook_subscription_id=""
    )
    if company_id:
        live = live.filter(pleo_company_id=company_id)
    # Two columns, not the row: each delivery reads this, and a whole row decrypts every token.
    rows = live.order_by("-id").values_list("id", "pleo_webhook_secret")
    return [(connection_id, secret) for connection_id, secret in rows if secret]
