"""Reads about connections."""

from __future__ import annotations

from django.db.models import QuerySet

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


def connection_list() -> QuerySet[Connection]:
    return Connection.objects.all().order_by("name", "id")
