from __future__ import annotations

from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "integrations.sandbox"
    label = "sandbox"
    verbose_name = "Sandbox"

    def ready(self) -> None:
        from django.core.signals import request_started

        from integrations.sandbox.common import commits_as_configured

        # A database session that served sandbox requests commits as configured again
        # before it serves anything else (see `quick_commits`).
        request_started.connect(commits_as_configured, dispatch_uid="sandbox-commits")
