"""Seed the sandbox services: `manage.py sandbox_seed --preset demo [--keep-existing]`."""

from __future__ import annotations

import importlib
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.sandbox.visma.presets import PRESETS, visma_seed


class Command(BaseCommand):
    help = "Seed the Visma.net and Pleo sandboxes with a preset."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--preset", default="demo", choices=PRESETS)
        parser.add_argument(
            "--keep-existing",
            action="store_true",
            help="Leave a service untouched when it already holds the preset's data.",
        )

    def handle(self, *args: Any, preset: str, keep_existing: bool, **options: Any) -> None:
        seeded = visma_seed(preset, keep_existing=keep_existing)
        self.stdout.write(f"Visma.net sandbox: {'seeded' if seeded else 'kept existing data'}.")
        try:
            # The Pleo sandbox is optional here: seed it when its preset module exists.
            pleo_presets = importlib.import_module("integrations.sandbox.pleo.presets")
        except ModuleNotFoundError:
            self.stderr.write("Pleo sandbox: no presets module yet, skipped.")
            return
        pleo_seed = getattr(pleo_presets, "pleo_seed", None)
        if pleo_seed is None:
            self.stderr.write("Pleo sandbox: pleo_seed() not found, skipped.")
            return
        try:
            result = pleo_seed(preset, keep_existing=keep_existing)
        except ValueError as exc:
            raise CommandError(f"Pleo sandbox: {exc}") from exc
        # pleo_seed may answer None (no report) or a bool like visma_seed.
        outcome = {True: "seeded", False: "kept existing data"}.get(result, "done")
        self.stdout.write(f"Pleo sandbox: {outcome}.")
