from __future__ import annotations

from django.apps import AppConfig


class SandboxPleoConfig(AppConfig):
    name = "integrations.sandbox.pleo"
    label = "sandbox_pleo"
    verbose_name = "Sandbox: Pleo"
