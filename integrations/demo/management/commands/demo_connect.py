"""Connect the demo connection to both sandboxes and configure it (idempotent).

Called by `demo_prepare` after the sandbox is seeded and the users exist. Ends with
`demo_configure` (master data sync, tags and categories), which finds the connection by
`integrations.demo.connection.DEMO.name`.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from integrations.connections.checks import PERMISSION_CHECK_EVENT
from integrations.connections.errors import ConnectionSetupError
from integrations.core.errors import ApiError
from integrations.demo.connection import demo_connection_prepare


class Command(BaseCommand):
    help = "Create the demo connection “Nordlys Demo AS”, connected to both sandboxes."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            connection = demo_connection_prepare()
        except (ConnectionSetupError, ApiError) as exc:
            raise CommandError(f"The demo connection could not be prepared: {exc}") from exc
        self.stdout.write(
            f"Demo connection “{connection.name}” (id {connection.pk}): {connection.status}; "
            f"Pleo {connection.pleo_company_text}, Visma.net tenant "
            f"{connection.visma_tenant_id}, branch {connection.visma_branch_number}."
        )
        check = connection.events.filter(kind=PERMISSION_CHECK_EVENT).first()
        if check is not None:
            outcome = "passed" if check.ok else f"failed: {check.detail}"
            self.stdout.write(f"Permission check {outcome}")
        call_command("demo_configure")
