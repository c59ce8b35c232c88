"""Queue the export runs a stopped worker left behind (run at start-up; a schedule repeats it)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from integrations.exports.services.runs import export_runs_resume


class Command(BaseCommand):
    help = "Queue export runs whose worker is gone and pending runs nobody took."

    def handle(self, *args: Any, **options: Any) -> None:
        queued = export_runs_resume()
        self.stdout.write(f"Export runs queued again: {len(queued)}")
