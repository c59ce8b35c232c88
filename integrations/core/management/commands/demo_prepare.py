"""Prepare the demo: seed the sandbox, create the users, connect and configure the demo company.

Each step is idempotent, so `make demo` can run it on every start.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Seed the sandbox and create the demo users (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        # Later steps belong to apps that core does not import; they are called by name.
        commands = get_commands()
        if "sandbox_seed" in commands:
            call_command("sandbox_seed", preset="demo", keep_existing=True)
        call_command("demo_users")
        if "demo_connect" in commands:
            call_command("demo_connect")
