from __future__ import annotations

from django.apps import AppConfig


class SandboxVismaConfig(AppConfig):
    name = "integrations.sandbox.visma"
    label = "sandbox_visma"
    verbose_name = "Sandbox: Visma"
