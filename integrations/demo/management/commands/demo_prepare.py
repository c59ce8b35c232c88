"""Prepare the demo: seed the sandbox, create the users, connect and configure the demo company.

Each step is idempotent, so `make demo` can run it on every start.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Seed the sandbox and create the demo users (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo is installed with the sandbox (settings.py); its seed is called by name.
        call_command("sandbox_seed", preset="demo", keep_existing=True)
        call_command("demo_users")
        call_command("demo_connect")
