"""`manage.py demo_configure`: sync the demo connection and configure it as README documents.

Idempotent; `demo_connect` calls it by name at the end.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.connections.models import Connection
from integrations.demo.configure import demo_configure
from integrations.demo.connection import DEMO


class Command(BaseCommand):
    help = "Sync the demo connection in full and configure accounts, tags and categories."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--connection", type=int, help="Connection id (default: the demo's).")

    def handle(self, *args: Any, connection: int | None = None, **options: Any) -> None:
        if connection is not None:
            found = Connection.objects.filter(pk=connection).first()
        else:
            if not settings.SANDBOX_ENABLED:
                raise CommandError("The demo needs SANDBOX_ENABLED=1.")
            found = Connection.objects.filter(name=DEMO.name).order_by("id").first()
        if found is None:
            raise CommandError("No demo connection: run demo_connect first.")
        if not (found.pleo_connected and found.visma_connected):
            raise CommandError(f"Connection {found} is not connected to both sides yet.")
        report = demo_configure(connection=found, write=self.stdout.write)
        if report.problems:
            # Reported, not raised: the demo still starts, and the setup overview shows what is
            # left to fix.
            for problem in report.problems:
                self.stderr.write(f"Not configured: {problem}")
            return
        self.stdout.write(self.style.SUCCESS(f"Configured {found}."))
