"""The dashboard page of a connection (members only, as every connection page)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from integrations.connections.models import Connection
from integrations.core.access import connection_member_required
from integrations.core.roles import finance_required
from integrations.exports.dashboard import connection_dashboard


@connection_member_required
@finance_required
@require_GET
def connection_dashboard_view(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=connection_id)
    return render(
        request,
        "exports/dashboard.html",
        {"connection": connection, "dashboard": connection_dashboard(connection=connection)},
    )
